package plan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// Deadline extensions (gia hạn; issue 11, part 3). A lead unit asks for a
// new due date with a reason — a coordinating unit may not: the task is
// not its to finish —; the plan's coordinator, or its issuer (the leader
// of the issuing unit), grants or refuses. A grant moves the task's due
// date (tasks.due_on, which overdue and the review read); the plan's date
// stays in tasks.original_due_on, and pages and the review say «đã gia hạn
// đến …». One request waits at a time per task.

// DecideExtension grants or refuses an extension: the plan's coordinator
// or its issuer.
const DecideExtension org.Action = "task.extension.decide"

// Extension states.
const (
	ExtensionRequested = "requested"
	ExtensionGranted   = "granted"
	ExtensionRefused   = "refused"
)

// Extension is a request for a new due date and its decision.
type Extension struct {
	ID            int64      `json:"id"`
	TaskID        int64      `json:"taskId"`
	Unit          UnitRef    `json:"unit" doc:"the lead unit that asked"`
	PreviousDueOn string     `json:"previousDueOn" doc:"the due date when it was asked"`
	DueOn         string     `json:"dueOn" doc:"the date asked for"`
	Reason        string     `json:"reason"`
	State         string     `json:"state" doc:"requested, granted or refused"`
	Requester     string     `json:"requester"`
	RequestedAt   time.Time  `json:"requestedAt"`
	Decider       string     `json:"decider,omitempty"`
	DecidedAt     *time.Time `json:"decidedAt,omitempty"`
	Comment       string     `json:"comment,omitempty" doc:"the decision's comment"`
}

// ExtensionInput asks for a new due date.
type ExtensionInput struct {
	AssignmentID int64  `json:"assignmentId,omitempty" doc:"the lead unit's part; the caller's own when absent"`
	DueOn        string `json:"dueOn" doc:"YYYY-MM-DD, after the current due date"`
	Reason       string `json:"reason"`
}

// RequestExtension records a lead unit's request.
func (s *Store) RequestExtension(ctx context.Context, tx *sql.Tx, task int64, in ExtensionInput, actor int64, author string) (int64, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var taskID, unit int64
	var role, due, code string
	err := tx.QueryRowContext(ctx, `SELECT a.task_id, a.unit_id, a.role, t.due_on, u.code FROM task_assignments a JOIN tasks t ON t.id = a.task_id JOIN org_units u ON u.id = a.unit_id
		WHERE a.id = $1 AND a.ended_on = ''`, in.AssignmentID).Scan(&taskID, &unit, &role, &due, &code)
	if errors.Is(err, sql.ErrNoRows) || err == nil && taskID != task {
		return 0, errs.Invalid(errs.Field{Name: "assignmentId", Code: "not_found", Context: "extension"})
	} else if err != nil {
		return 0, err
	}
	v := errs.Validator{Context: "extension"}
	if role != "lead" {
		v.Add("assignmentId", "extension_not_lead", code)
	}
	v.Check(org.ValidDate(in.DueOn), "dueOn", "date")
	v.Check(!org.ValidDate(in.DueOn) || due == "" || in.DueOn > due, "dueOn", "extension_after_due", locale.InputDate(due))
	v.Check(in.Reason != "", "reason", "required")
	v.Text("reason", in.Reason, errs.Paragraph)
	if err := v.Err(); err != nil {
		return 0, err
	}
	var pending int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_extensions WHERE task_id = $1 AND state = 'requested'`, task).Scan(&pending); err != nil {
		return 0, err
	}
	if pending > 0 {
		return 0, errs.Invalid(errs.Field{Name: "dueOn", Code: "extension_pending", Context: "extension"})
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO task_extensions (task_id, assignment_id, unit_id, previous_due_on, due_on, reason, state, requested_by, requester, requested_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, $9) RETURNING id`, task, in.AssignmentID, unit, due, in.DueOn, in.Reason, nilIfZero(actor), author, store.Now()).Scan(&id)
	return id, err
}

// DecideOn grants or refuses a waiting request; a grant moves the task's
// due date.
func (s *Store) DecideOn(ctx context.Context, tx *sql.Tx, id int64, grant bool, comment string, actor int64, author string) error {
	comment = strings.TrimSpace(comment)
	v := errs.Validator{Context: "extension"}
	v.Check(grant || comment != "", "comment", "required")
	v.Text("comment", comment, errs.Paragraph)
	if err := v.Err(); err != nil {
		return err
	}
	state := ExtensionRefused
	if grant {
		state = ExtensionGranted
	}
	now := store.Now()
	res, err := tx.ExecContext(ctx, `UPDATE task_extensions SET state = $1, decided_by = $2, decider = $3, decided_at = $4, decision_comment = $5 WHERE id = $6 AND state = 'requested'`,
		state, nilIfZero(actor), author, now, comment, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM task_extensions WHERE id = $1`, id).Scan(&cur); errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound
		}
		return errs.Invalid(errs.Field{Name: "state", Code: "extension_state", Args: []any{cur}, Context: "extension"})
	}
	if !grant {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET original_due_on = CASE WHEN original_due_on = '' THEN due_on ELSE original_due_on END,
		due_on = (SELECT due_on FROM task_extensions WHERE id = $1) WHERE id = (SELECT task_id FROM task_extensions WHERE id = $1)`, id); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE plans SET updated_at = $1 WHERE id = (SELECT t.plan_id FROM tasks t JOIN task_extensions e ON e.task_id = t.id WHERE e.id = $2)`, now, id)
	return err
}

// Extensions lists a task's requests, newest first.
func (s *Store) Extensions(ctx context.Context, task int64) ([]Extension, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, task_id, unit_id, previous_due_on, due_on, reason, state, requester, requested_at, decider, decided_at, decision_comment
		FROM task_extensions WHERE task_id = $1 ORDER BY id DESC`, task)
	if err != nil {
		return nil, err
	}
	out := []Extension{}
	for rows.Next() {
		var e Extension
		var decided sql.NullTime
		if err := rows.Scan(&e.ID, &e.TaskID, &e.Unit.ID, &e.PreviousDueOn, &e.DueOn, &e.Reason, &e.State, &e.Requester, &e.RequestedAt, &e.Decider, &decided, &e.Comment); err != nil {
			rows.Close()
			return nil, err
		}
		if decided.Valid {
			e.DecidedAt = &decided.Time
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	refs := s.refs(ctx)
	for i := range out {
		out[i].Unit = refs.get(out[i].Unit.ID)
	}
	return out, nil
}

// requestExtension authorises and records a request: the caller reports
// for the unit whose part it is (their own lead part by default).
func (s *Store) requestExtension(r *http.Request, task int64, in ExtensionInput) (int64, error) {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	t, err := s.Task(ctx, task)
	if err != nil {
		return 0, err
	}
	pl, err := s.Plan(ctx, t.PlanID)
	if err != nil {
		return 0, err
	}
	if in.AssignmentID == 0 {
		mine, err := s.MyUnits(ctx, p)
		if err != nil {
			return 0, err
		}
		// Their lead part; else their coordinating part, refused below
		// with a message that says why.
		for _, a := range append(t.LeadUnits, t.CoordinatingUnits...) {
			if contains64(mine, a.Unit.ID) {
				in.AssignmentID = a.ID
				break
			}
		}
		if in.AssignmentID == 0 {
			return 0, errs.Invalid(errs.Field{Name: "assignmentId", Code: "required", Context: "extension"})
		}
	}
	_, unit, _, _, err := s.assignment(ctx, in.AssignmentID)
	if err != nil {
		return 0, errs.Invalid(errs.Field{Name: "assignmentId", Code: "not_found", Context: "extension"})
	}
	if err := s.org.Authorize(ctx, p, ReportTask, unit); err != nil {
		return 0, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = s.RequestExtension(ctx, tx, task, in, p.UserID, p.FullName); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.From(r, audit.TaskExtension, strings.TrimSpace(pl.Number+" "+t.Number), "requested "+in.DueOn, true))
	})
	if err != nil {
		return 0, err
	}
	s.notify(ctx, Notice{Kind: "plan.extension.requested", Units: []int64{pl.IssuerUnit.ID}, Roles: []string{org.RoleCoordinator},
		Subject: "notice.extension_requested.subject", Body: "notice.extension_requested.body", Args: []any{strings.TrimSpace(pl.Number + " " + t.Number), in.DueOn},
		Link: fmt.Sprintf("/tasks/%d#extensions", task), Actor: p.UserID})
	return id, nil
}

// decideExtension authorises and records a grant or refusal: the plan's
// coordinator or issuer.
func (s *Store) decideExtension(r *http.Request, id int64, grant bool, comment string) (Extension, error) {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	var task int64
	var unit int64
	var due string
	err := s.db.Read.QueryRowContext(ctx, `SELECT task_id, unit_id, due_on FROM task_extensions WHERE id = $1`, id).Scan(&task, &unit, &due)
	if errors.Is(err, sql.ErrNoRows) {
		return Extension{}, errs.NotFound
	} else if err != nil {
		return Extension{}, err
	}
	t, err := s.Task(ctx, task)
	if err != nil {
		return Extension{}, err
	}
	pl, err := s.Plan(ctx, t.PlanID)
	if err != nil {
		return Extension{}, err
	}
	if err := s.org.Authorize(ctx, p, DecideExtension, pl.IssuerUnit.ID); err != nil {
		return Extension{}, err
	}
	word := "refused"
	if grant {
		word = "granted"
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.DecideOn(ctx, tx, id, grant, comment, p.UserID, p.FullName); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.From(r, audit.TaskExtension, strings.TrimSpace(pl.Number+" "+t.Number), word+" "+due, true))
	})
	if err != nil {
		return Extension{}, err
	}
	subject := strings.TrimSpace(pl.Number + " " + t.Number)
	s.notify(ctx, Notice{Kind: "plan.extension." + word, Units: []int64{unit}, Roles: []string{org.RoleReporter, org.RoleApprover},
		Subject: "notice.extension_" + word + ".subject", Body: "notice.extension_" + word + ".body", Args: []any{subject, due, strings.TrimSpace(comment)},
		Link: fmt.Sprintf("/tasks/%d#extensions", task), Actor: p.UserID})
	list, err := s.Extensions(ctx, task)
	if err != nil {
		return Extension{}, err
	}
	for _, e := range list {
		if e.ID == id {
			return e, nil
		}
	}
	return Extension{}, errs.NotFound
}
