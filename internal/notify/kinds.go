package notify

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/tinhso/tinhso/internal/store"
)

// Kinds of notification this package produces (reminders) and that the
// programme's workflow sends through plan.Notice (returns, comments,
// extensions, directives). Officials choose which they take by e-mail;
// a kind not listed here is chosen under KindOther.
const (
	KindDueSoon    = "plan.task.due_soon"  // a task falls due in a few days (rule before_due)
	KindDueToday   = "plan.task.due_today" // a task falls due today (rule on_due)
	KindOverdue    = "plan.task.overdue"   // a task is late (rule overdue, repeated)
	KindReportDue  = "plan.report.due"     // the monthly progress report is due (rule before_report)
	KindDigest     = "plan.digest"         // the coordinator's daily digest of a plan's reminders
	KindReturned   = "plan.report.returned"
	KindSubmitted  = "plan.report.submitted"
	KindApproved   = "plan.report.approved"
	KindComment    = "plan.comment"
	KindMention    = "plan.mention"
	KindEvidence   = "plan.evidence.requested"
	KindExtension  = "plan.extension"
	KindDirective  = "plan.directive"
	KindOther      = "other"
	kindPrefixRule = "plan.extension." // plan.extension.requested, .granted, .refused choose under KindExtension
)

// KindInfo is a kind as the settings page offers it.
type KindInfo struct {
	Kind string `json:"kind"`
	// Email is what an official takes who never chose.
	Email bool `json:"defaultEmail"`
}

// Kinds lists the kinds officials choose e-mails for, in the order the
// settings page shows them. The reminders and what needs an answer go by
// e-mail unless the official says no; comments and the digest do not.
var Kinds = []KindInfo{
	{KindDueSoon, true}, {KindDueToday, true}, {KindOverdue, true}, {KindReportDue, true},
	{KindReturned, true}, {KindSubmitted, true}, {KindApproved, false}, {KindEvidence, true},
	{KindComment, false}, {KindMention, true}, {KindExtension, true}, {KindDirective, true},
	{KindDigest, true}, {KindOther, false},
}

// choiceKind is the kind an official's choice is kept under.
func choiceKind(kind string) string {
	if len(kind) > len(kindPrefixRule) && kind[:len(kindPrefixRule)] == kindPrefixRule {
		return KindExtension
	}
	if slices.ContainsFunc(Kinds, func(k KindInfo) bool { return k.Kind == kind }) {
		return kind
	}
	return KindOther
}

func defaultEmail(kind string) bool {
	for _, k := range Kinds {
		if k.Kind == kind {
			return k.Email
		}
	}
	return false
}

// Pref is an official's choice for one kind.
type Pref struct {
	Kind  string `json:"kind"`
	Email bool   `json:"email"`
}

// Prefs lists an official's e-mail choice for every kind.
func (s *Store) Prefs(ctx context.Context, user int64) ([]Pref, error) {
	chosen := map[string]bool{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT kind, email FROM notification_prefs WHERE user_id = $1`, user)
	if err != nil {
		return nil, fmt.Errorf("notify: prefs: %w", err)
	}
	for rows.Next() {
		var k string
		var e bool
		if err := rows.Scan(&k, &e); err != nil {
			rows.Close()
			return nil, err
		}
		chosen[k] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Pref, 0, len(Kinds))
	for _, k := range Kinds {
		e, ok := chosen[k.Kind]
		if !ok {
			e = k.Email
		}
		out = append(out, Pref{Kind: k.Kind, Email: e})
	}
	return out, nil
}

// SetPrefs stores an official's choices; kinds not named keep theirs. An
// unknown kind is refused (the caller validates; see validPrefs).
func (s *Store) SetPrefs(ctx context.Context, tx *sql.Tx, user int64, prefs []Pref) error {
	for _, p := range prefs {
		if _, err := tx.ExecContext(ctx, `DELETE FROM notification_prefs WHERE user_id = $1 AND kind = $2`, user, p.Kind); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notification_prefs (user_id, kind, email) VALUES ($1, $2, $3)`, user, p.Kind, p.Email); err != nil {
			return err
		}
	}
	return nil
}

// mailChoices says, for each official, whether they take kind by e-mail:
// their choice (or the default) and an address.
func (s *Store) mailChoices(ctx context.Context, q store.Querier, users []int64, kind string) (map[int64]bool, error) {
	ck := choiceKind(kind)
	out := map[int64]bool{}
	var args []any
	args = append(args, ck)
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.email, p.email FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id AND p.kind = $1
		WHERE u.id IN (`+store.InList(&args, users)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("notify: e-mail choices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var addr string
		var choice sql.NullBool
		if err := rows.Scan(&id, &addr, &choice); err != nil {
			return nil, err
		}
		on := defaultEmail(ck)
		if choice.Valid {
			on = choice.Bool
		}
		out[id] = on && addr != ""
	}
	return out, rows.Err()
}
