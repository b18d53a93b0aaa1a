package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
)

// Reminders (đôn đốc): each day from SendFrom o'clock in Vietnam, the
// node holding the lease reads every plan in force with its rules and
// tells each lead unit still working on a task (its reporters and
// approvers) that it falls due, is due today or is late, and that the
// monthly progress report is due; each plan's coordinators get one digest
// a day. What was sent is written to reminders_sent in the transaction
// that writes its notifications, keyed by (rule, plan, task, unit, due
// date, occurrence): a reminder goes once, whichever node and however
// often the job runs.

// SendFrom is the hour (Vietnam) from which the day's reminders go.
const SendFrom = 7

// DueOf is the date a task is due, as reminders read it: the one place to
// read it, so that a granted extension (the current due date) is taken
// here when it exists.
func DueOf(t plan.Task) string { return t.TimeFrame.DueOn }

// reminder is one reminder to send.
type reminder struct {
	rule       string
	plan, task int64
	unit       int64
	due        string
	occurrence int
	notice     plan.Notice
}

// SendReminders produces the reminders due now and not sent before, and
// returns how many notices it wrote. The caller holds the lease (Tick);
// running it on two nodes at once still sends each reminder once.
func (s *Store) SendReminders(ctx context.Context) (int, error) {
	now := s.now().In(vietnam)
	if now.Hour() < SendFrom {
		return 0, nil
	}
	today := now.Format(time.DateOnly)
	plans, err := s.plans.Plans(ctx, "")
	if err != nil {
		return 0, err
	}
	sn, err := s.org.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, p := range plans {
		if p.Status != "in_force" || p.EndedOn(today) {
			continue
		}
		n, err := s.planReminders(ctx, p, today, sn)
		sent += n
		if err != nil {
			return sent, fmt.Errorf("plan %d: %w", p.ID, err)
		}
	}
	return sent, nil
}

// counts are what a plan's digest says.
type counts struct{ dueSoon, dueToday, overdue, sent int }

func (s *Store) planReminders(ctx context.Context, p plan.Plan, today string, sn *org.Snapshot) (int, error) {
	rules, err := s.RulesOf(ctx, p.ID)
	if err != nil || len(rules.Rules) == 0 {
		return 0, err
	}
	tasks, err := s.plans.Tasks(ctx, plan.TaskFilter{PlanID: p.ID, AsOf: today, LeadOnly: true})
	if err != nil {
		return 0, err
	}
	day := mustDay(today)
	var rs []reminder
	var c counts
	soonest := 0
	for _, r := range rules.Rules {
		if r.Kind == RuleBeforeDue && r.Days > soonest {
			soonest = r.Days
		}
	}
	working := map[int64]bool{} // lead units with a part not done
	var unitsOrder []int64
	for _, t := range tasks {
		due := DueOf(t)
		if t.Status == "done" || t.Status == "cancelled" || t.Status == "paused" {
			continue
		}
		for _, a := range t.LeadUnits {
			if a.Status == "done" || a.Status == "cancelled" || a.Reassign {
				continue
			}
			unit := a.Unit.ID
			if a.HeldBy != nil {
				unit = a.HeldBy.ID
			}
			if !working[unit] {
				working[unit] = true
				unitsOrder = append(unitsOrder, unit)
			}
			if due == "" {
				continue
			}
			dd := mustDay(due)
			left := int(dd.Sub(day).Hours() / 24)
			switch {
			case left > 0 && left <= soonest:
				c.dueSoon++
			case left == 0:
				c.dueToday++
			case left < 0:
				c.overdue++
			}
			for _, r := range rules.Rules {
				rm := reminder{rule: r.Key(), plan: p.ID, task: t.ID, unit: unit, due: due}
				notice := plan.Notice{Units: []int64{unit}, Roles: []string{org.RoleReporter, org.RoleApprover},
					Link: "/tasks/" + strconv.FormatInt(t.ID, 10), Args: []any{t.Number, planName(p), t.Description, due}}
				switch {
				case r.Kind == RuleBeforeDue && left > 0 && left <= r.Days:
					notice.Kind, notice.Subject, notice.Body = KindDueSoon, "notify.due_soon.subject", "notify.due_soon.body"
					notice.Args = append(notice.Args, left)
				case r.Kind == RuleOnDue && left == 0:
					notice.Kind, notice.Subject, notice.Body = KindDueToday, "notify.due_today.subject", "notify.due_today.body"
				case r.Kind == RuleOverdue && left < 0:
					late := -left
					rm.occurrence = (late - 1) / r.Days
					notice.Kind, notice.Subject, notice.Body = KindOverdue, "notify.overdue.subject", "notify.overdue.body"
					notice.Args = append(notice.Args, late)
				default:
					continue
				}
				rm.notice = notice
				rs = append(rs, rm)
			}
		}
	}
	for _, r := range rules.Rules {
		if r.Kind != RuleBeforeReport {
			continue
		}
		deadline := time.Date(day.Year(), day.Month(), r.Day, 0, 0, 0, 0, time.UTC)
		if deadline.Before(day) {
			deadline = deadline.AddDate(0, 1, 0)
		}
		left := int(deadline.Sub(day).Hours() / 24)
		if left > r.Days {
			continue
		}
		d := deadline.Format(time.DateOnly)
		for _, unit := range unitsOrder {
			rs = append(rs, reminder{rule: r.Key(), plan: p.ID, unit: unit, due: d, notice: plan.Notice{
				Kind: KindReportDue, Units: []int64{unit}, Roles: []string{org.RoleReporter, org.RoleApprover},
				Subject: "notify.report_due.subject", Body: "notify.report_due.body", Args: []any{planName(p), d, left},
				Link: "/tasks?mine=1&status=open"}})
		}
	}
	sent, err := s.sentKeys(ctx, p.ID)
	if err != nil {
		return 0, err
	}
	for _, rm := range rs {
		if sent[rm.key()] {
			continue // sent before: no transaction for it
		}
		ok, err := s.sendOnce(ctx, rm, sn)
		if err != nil {
			return c.sent, err
		}
		if ok {
			c.sent++
		}
	}
	if c.dueSoon+c.dueToday+c.overdue > 0 {
		digest := reminder{rule: "digest", plan: p.ID, due: today, notice: plan.Notice{
			Kind: KindDigest, Units: []int64{p.IssuerUnit.ID}, Roles: []string{org.RoleCoordinator},
			Subject: "notify.digest.subject", Body: "notify.digest.body",
			Args: []any{planName(p), today, c.dueSoon, soonest, c.dueToday, c.overdue, c.sent},
			Link: "/plans/" + strconv.FormatInt(p.ID, 10)}}
		if _, err := s.sendOnce(ctx, digest, sn); err != nil {
			return c.sent, err
		}
	}
	return c.sent, nil
}

func (rm reminder) key() string {
	return fmt.Sprint(rm.rule, "|", rm.task, "|", rm.unit, "|", rm.due, "|", rm.occurrence)
}

// sentKeys reads the sent-log of a plan.
func (s *Store) sentKeys(ctx context.Context, plan int64) (map[string]bool, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT rule, task_id, unit_id, due_on, occurrence FROM reminders_sent WHERE plan_id = $1`, plan)
	if err != nil {
		return nil, fmt.Errorf("notify: sent-log: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var rm reminder
		if err := rows.Scan(&rm.rule, &rm.task, &rm.unit, &rm.due, &rm.occurrence); err != nil {
			return nil, err
		}
		out[rm.key()] = true
	}
	return out, rows.Err()
}

// sendOnce writes the reminder's row in the sent-log and its
// notifications in one transaction; false when it was sent before.
func (s *Store) sendOnce(ctx context.Context, rm reminder, sn *org.Snapshot) (bool, error) {
	var pending []int64
	fresh := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO reminders_sent (rule, plan_id, task_id, unit_id, due_on, occurrence, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
			rm.rule, rm.plan, rm.task, rm.unit, rm.due, rm.occurrence, s.now()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // sent before
		} else if err != nil {
			return fmt.Errorf("notify: sent-log: %w", err)
		}
		fresh = true
		pending, err = s.notifyTx(ctx, tx, rm.notice, sn)
		return err
	})
	if err != nil {
		return false, err
	}
	if len(pending) > 0 {
		s.wake()
	}
	return fresh, nil
}

// planName is how a reminder names a plan: its number, else its title.
func planName(p plan.Plan) string {
	if p.Number != "" {
		return p.Number
	}
	return p.Title
}

func mustDay(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}
