package notify

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
)

// Reminder rule kinds.
const (
	RuleBeforeDue    = "before_due"    // Days before a task's due date
	RuleOnDue        = "on_due"        // on the due date
	RuleOverdue      = "overdue"       // every Days while late
	RuleBeforeReport = "before_report" // Days before the monthly progress report, due on Day of each month
)

// RuleKinds lists the kinds in the order the pages show them.
var RuleKinds = []string{RuleBeforeDue, RuleOnDue, RuleOverdue, RuleBeforeReport}

// Rule is one reminder rule of a plan.
type Rule struct {
	Kind string `json:"kind" doc:"before_due, on_due, overdue or before_report"`
	Days int    `json:"days" doc:"before_due, before_report: days ahead (0 = on the day); overdue: repeat every so many days (at least 1)"`
	Day  int    `json:"day,omitempty" doc:"before_report: the day of the month the progress report is due (1–28)"`
}

// Key is the rule's stable name in the sent-log: a rule saved again with
// the same values is the same rule, so nothing is sent twice.
func (r Rule) Key() string {
	switch r.Kind {
	case RuleOnDue:
		return r.Kind
	case RuleBeforeReport:
		return fmt.Sprintf("%s:%d:%d", r.Kind, r.Days, r.Day)
	}
	return fmt.Sprintf("%s:%d", r.Kind, r.Days)
}

// DefaultRules are a plan's rules until its coordinator saves others: 7
// days before the due date, on the due date, every 7 days while late, and
// the day before the monthly progress report (due on the 25th).
var DefaultRules = []Rule{{Kind: RuleBeforeDue, Days: 7}, {Kind: RuleOnDue}, {Kind: RuleOverdue, Days: 7}, {Kind: RuleBeforeReport, Days: 1, Day: 25}}

// Rules are a plan's reminder rules.
type Rules struct {
	PlanID  int64  `json:"planId"`
	Default bool   `json:"default" doc:"the plan follows the defaults (its coordinator never saved rules)"`
	Rules   []Rule `json:"rules"`
}

// RulesInput replaces a plan's rules; an empty list turns reminders off,
// Default true goes back to the defaults.
type RulesInput struct {
	Default bool   `json:"default,omitempty"`
	Rules   []Rule `json:"rules"`
}

// RulesOf reads a plan's rules (the defaults when it has none).
func (s *Store) RulesOf(ctx context.Context, plan int64) (Rules, error) {
	out := Rules{PlanID: plan, Rules: []Rule{}}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT kind, days, day FROM plan_reminder_rules WHERE plan_id = $1 ORDER BY position`, plan)
	if err != nil {
		return out, fmt.Errorf("notify: rules: %w", err)
	}
	defer rows.Close()
	saved := false
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.Kind, &r.Days, &r.Day); err != nil {
			return out, err
		}
		saved = true
		if r.Kind != "" { // "" is the marker of a plan whose reminders are off
			out.Rules = append(out.Rules, r)
		}
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	if !saved {
		out.Default, out.Rules = true, slices.Clone(DefaultRules)
	}
	return out, nil
}

// ValidateRules checks rules: a known kind, no negative offset, a repeat
// of at least a day, a report day of 1–28, no rule twice.
func ValidateRules(rules []Rule) error {
	v := errs.Validator{Context: "reminder"}
	seen := map[string]bool{}
	for i, r := range rules {
		f := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }
		if !slices.Contains(RuleKinds, r.Kind) {
			v.Add(f("kind"), "one_of", strings.Join(RuleKinds, ", "))
			continue
		}
		if r.Days < 0 {
			v.Add(f("days"), "negative_offset", r.Days)
		} else if r.Kind == RuleOverdue && r.Days < 1 {
			v.Add(f("days"), "range", 1, 365)
		} else if r.Days > 365 {
			v.Add(f("days"), "range", 0, 365)
		}
		if r.Kind == RuleBeforeReport && (r.Day < 1 || r.Day > 28) {
			v.Add(f("day"), "range", 1, 28)
		}
		if r.Kind != RuleBeforeReport && r.Day != 0 {
			v.Add(f("day"), "only_report")
		}
		if seen[r.Key()] {
			v.Add(f("kind"), "duplicate_rule")
		}
		seen[r.Key()] = true
	}
	return v.Err()
}

// SetRules replaces a plan's rules in tx (validated first: nothing is
// written when one is wrong).
func (s *Store) SetRules(ctx context.Context, tx *sql.Tx, plan int64, in RulesInput) error {
	if !in.Default {
		if err := ValidateRules(in.Rules); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM plan_reminder_rules WHERE plan_id = $1`, plan); err != nil {
		return err
	}
	if in.Default {
		return nil
	}
	if len(in.Rules) == 0 {
		// Reminders off: one marker row, so the defaults do not apply.
		_, err := tx.ExecContext(ctx, `INSERT INTO plan_reminder_rules (plan_id, position, kind, days, day) VALUES ($1, 0, '', 0, 0)`, plan)
		return err
	}
	for i, r := range in.Rules {
		if _, err := tx.ExecContext(ctx, `INSERT INTO plan_reminder_rules (plan_id, position, kind, days, day) VALUES ($1, $2, $3, $4, $5)`, plan, i, r.Kind, r.Days, r.Day); err != nil {
			return err
		}
	}
	return nil
}
