package plan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// Progress approval (issue 11, part 1). In a plan that requires approval
// (Plan.RequiresApproval, on for new plans), a unit's progress report is a
// draft until its reporter submits it; the unit's approver — the approver
// role scoped to that unit — approves it or returns it with a comment; the
// coordinator of the plan may return an approved report with a comment. A
// unit's part (task_assignments.status, progress, completed_on) is always
// that of its newest approved report, so only approved reports count in
// the task's progress, the review and the league table. In a plan that
// does not require approval a report is approved as it is written, as
// before. Every step is kept (task_update_events) and audited.

// Report states.
const (
	StateDraft     = "draft"
	StateSubmitted = "submitted"
	StateReturned  = "returned"
	StateApproved  = "approved"
)

// Actions of the workflow, added to the policy table in Mount.
const (
	// ApproveReport approves or returns a unit's progress report: the
	// unit's approver.
	ApproveReport org.Action = "task.approve"
	// ReopenReport returns an approved report: the plan's coordinator.
	ReopenReport org.Action = "task.reopen"
)

// UpdateEvent is one step of a progress report.
type UpdateEvent struct {
	Action  string    `json:"action" doc:"submit, approve, return or reopen"`
	State   string    `json:"state" doc:"the state it left the report in"`
	Comment string    `json:"comment,omitempty"`
	Author  string    `json:"author"`
	At      time.Time `json:"at"`
}

// SubmitInput submits a draft or returned report, optionally revised: the
// fields given replace the report's.
type SubmitInput struct {
	Status      string      `json:"status,omitempty" doc:"a new status; the report's when empty"`
	Progress    *int        `json:"progress,omitempty" doc:"a new progress 0–100; the report's when absent"`
	Body        *string     `json:"body,omitempty" doc:"a new text; the report's when absent"`
	Attachments []FileInput `json:"attachments,omitempty" doc:"evidence files added"`
}

// DecisionInput is an approver's or coordinator's decision on a report.
type DecisionInput struct {
	Comment string `json:"comment" doc:"why; required to return a report"`
}

// ApprovalSetting switches approval on or off for a plan.
type ApprovalSetting struct {
	RequiresApproval bool `json:"requiresApproval"`
}

// initialState is the state a new report starts in.
func (s *Store) initialState(ctx context.Context, q store.Querier, task int64, draft bool) (string, error) {
	var requires bool
	err := q.QueryRowContext(ctx, `SELECT p.requires_approval FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE t.id = $1`, task).Scan(&requires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", errs.NotFound
	case err != nil:
		return "", err
	case !requires:
		return StateApproved, nil
	case draft:
		return StateDraft, nil
	}
	return StateSubmitted, nil
}

func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, update int64, action, state, comment string, actor int64, author string) error {
	var by any
	if actor != 0 {
		by = actor
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO task_update_events (update_id, action, state, comment, created_by, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		update, action, state, comment, by, author, store.Now())
	return err
}

// addEvents fills the events of a task's reports (index: report id → at).
func (s *Store) addEvents(ctx context.Context, task int64, out []Update, index map[int64]int) error {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT e.update_id, e.action, e.state, e.comment, e.author, e.created_at FROM task_update_events e
		JOIN task_updates u ON u.id = e.update_id WHERE u.task_id = $1 ORDER BY e.id`, task)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var e UpdateEvent
		if err := rows.Scan(&id, &e.Action, &e.State, &e.Comment, &e.Author, &e.At); err != nil {
			return err
		}
		if i, ok := index[id]; ok {
			out[i].Events = append(out[i].Events, e)
		}
	}
	return rows.Err()
}

// reportRef is what deciding on a report needs to know about it.
type reportRef struct {
	id, task, assignment, unit, plan, issuer int64
	state, status, body                      string
	progress                                 int
	planNumber, taskNumber                   string
}

func (s *Store) reportRef(ctx context.Context, q store.Querier, id int64) (reportRef, error) {
	var r reportRef
	var assignment, unit sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT u.id, u.task_id, u.assignment_id, u.unit_id, u.state, u.status, u.progress, u.body, t.plan_id, p.issuer_unit_id, p.number, t.number
		FROM task_updates u JOIN tasks t ON t.id = u.task_id JOIN plans p ON p.id = t.plan_id WHERE u.id = $1`, id).
		Scan(&r.id, &r.task, &assignment, &unit, &r.state, &r.status, &r.progress, &r.body, &r.plan, &r.issuer, &r.planNumber, &r.taskNumber)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !assignment.Valid {
		return r, errs.NotFound
	}
	r.assignment, r.unit = assignment.Int64, unit.Int64
	return r, err
}

// moveState changes a report's state from one of from, or says that the
// report is no longer in a state that allows it (someone acted first).
func moveState(ctx context.Context, tx *sql.Tx, id int64, to string, from []string, actor int64) error {
	args := []any{to, store.Now(), nilIfZero(actor), id}
	var ph []string
	for _, f := range from {
		args = append(args, f)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	q := `UPDATE task_updates SET state = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND state IN (` + strings.Join(ph, ", ") + `)`
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var cur string
		tx.QueryRowContext(ctx, `SELECT state FROM task_updates WHERE id = $1`, id).Scan(&cur)
		return errs.Invalid(errs.Field{Name: "state", Code: "report_state", Args: []any{cur}, Context: "progress"})
	}
	return nil
}

func nilIfZero(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// applyApproved makes a part's status and progress those of its newest
// approved report (not started when none is), and stamps the plan so the
// review cache sees the change.
func applyApproved(ctx context.Context, tx *sql.Tx, assignment int64) error {
	status, progress, completed := "not_started", 0, ""
	var at any
	var created time.Time
	err := tx.QueryRowContext(ctx, `SELECT status, progress, created_at FROM task_updates WHERE assignment_id = $1 AND state = 'approved' ORDER BY created_at DESC, id DESC LIMIT 1`, assignment).
		Scan(&status, &progress, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		at = created
		if status == "done" {
			completed = created.In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE task_assignments SET status = $1, progress = $2, updated_at = $3, completed_on = $4 WHERE id = $5`,
		status, progress, at, completed, assignment); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE plans SET updated_at = $1 WHERE id = (SELECT t.plan_id FROM tasks t JOIN task_assignments a ON a.task_id = t.id WHERE a.id = $2)`, store.Now(), assignment)
	return err
}

// Submit sends a draft or returned report to the unit's approver, with the
// revision in applied first.
func (s *Store) Submit(ctx context.Context, tx *sql.Tx, id int64, in SubmitInput, actor int64, author string) error {
	r, err := s.reportRef(ctx, tx, id)
	if err != nil {
		return err
	}
	status, progress, body := r.status, r.progress, r.body
	if in.Status != "" {
		status = in.Status
	}
	if in.Progress != nil {
		progress = *in.Progress
	}
	if in.Body != nil {
		body = strings.TrimSpace(*in.Body)
	}
	v := errs.Validator{Context: "task"}
	v.Check(slices.Contains(reportStatuses, status), "status", "one_of", strings.Join(reportStatuses, ", "))
	v.Check(progress >= 0 && progress <= 100, "progress", "range", 0, 100)
	v.Check(status != "done" || progress == 100, "progress", "done_is_100")
	v.Check(body != "" || len(in.Attachments) > 0, "body", "required")
	v.Text("body", body, errs.Paragraph)
	checkFiles(&v, "attachments", in.Attachments)
	if err := v.Err(); err != nil {
		return err
	}
	if err := moveState(ctx, tx, id, StateSubmitted, []string{StateDraft, StateReturned}, actor); err != nil {
		return err
	}
	// A resubmitted report is dated anew: it is the unit's latest word.
	if _, err := tx.ExecContext(ctx, `UPDATE task_updates SET status = $1, progress = $2, body = $3, created_at = $4, decided_at = NULL, decided_by = NULL WHERE id = $5`,
		status, progress, body, store.Now(), id); err != nil {
		return err
	}
	if err := insertFiles(ctx, tx, `INSERT INTO task_attachments (update_id, filename, content_type, size, sha256, data) VALUES ($1, $2, $3, $4, $5, $6)`, id, in.Attachments); err != nil {
		return err
	}
	return s.addEvent(ctx, tx, id, "submit", StateSubmitted, "", actor, author)
}

// Approve approves a submitted report: the unit's part takes its status
// and progress.
func (s *Store) Approve(ctx context.Context, tx *sql.Tx, id int64, in DecisionInput, actor int64, author string) error {
	in.Comment = strings.TrimSpace(in.Comment)
	v := errs.Validator{Context: "progress"}
	v.Text("comment", in.Comment, errs.Paragraph)
	if err := v.Err(); err != nil {
		return err
	}
	r, err := s.reportRef(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := moveState(ctx, tx, id, StateApproved, []string{StateSubmitted}, actor); err != nil {
		return err
	}
	if err := applyApproved(ctx, tx, r.assignment); err != nil {
		return err
	}
	return s.addEvent(ctx, tx, id, "approve", StateApproved, in.Comment, actor, author)
}

// Return sends a submitted report back to its unit (the approver), or an
// approved one (the coordinator: "reopen"; the part falls back to the
// report approved before it). The comment is required.
func (s *Store) Return(ctx context.Context, tx *sql.Tx, id int64, in DecisionInput, actor int64, author string) error {
	in.Comment = strings.TrimSpace(in.Comment)
	v := errs.Validator{Context: "progress"}
	v.Check(in.Comment != "", "comment", "required")
	v.Text("comment", in.Comment, errs.Paragraph)
	if err := v.Err(); err != nil {
		return err
	}
	r, err := s.reportRef(ctx, tx, id)
	if err != nil {
		return err
	}
	action := "return"
	if r.state == StateApproved {
		action = "reopen"
	}
	if err := moveState(ctx, tx, id, StateReturned, []string{StateSubmitted, StateApproved}, actor); err != nil {
		return err
	}
	if action == "reopen" {
		if err := applyApproved(ctx, tx, r.assignment); err != nil {
			return err
		}
	}
	return s.addEvent(ctx, tx, id, action, StateReturned, in.Comment, actor, author)
}

// SetRequiresApproval switches approval on or off for a plan. Reports
// waiting stay waiting when it is switched off (they are approved or
// returned as before); new ones are approved as written.
func (s *Store) SetRequiresApproval(ctx context.Context, tx *sql.Tx, plan int64, on bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE plans SET requires_approval = $1, updated_at = $2 WHERE id = $3`, on, store.Now(), plan)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFound
	}
	return nil
}

// ---- through HTTP: authorisation and audit ----

// decideReport authorises and records a step on a report: submit by the
// unit's reporter, approve or return by its approver, return of an
// approved report by the plan's coordinator.
func (s *Store) decideReport(r *http.Request, id int64, action string, sub SubmitInput, dec DecisionInput) (reportRef, error) {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	ref, err := s.reportRef(ctx, s.db.Read, id)
	if err != nil {
		return ref, err
	}
	var kind string
	switch action {
	case "submit":
		err, kind = s.org.Authorize(ctx, p, ReportTask, ref.unit), audit.TaskReportSubmit
	case "approve":
		err, kind = s.org.Authorize(ctx, p, ApproveReport, ref.unit), audit.TaskReportApprove
	case "return":
		kind = audit.TaskReportReturn
		if ref.state == StateApproved {
			err = s.org.Authorize(ctx, p, ReopenReport, ref.issuer)
		} else {
			err = s.org.Authorize(ctx, p, ApproveReport, ref.unit)
		}
	default:
		return ref, errs.NotFound
	}
	if err != nil {
		return ref, err
	}
	// A draft is its unit's own business until submitted.
	if ref.state == StateDraft && action != "submit" {
		return ref, errs.Invalid(errs.Field{Name: "state", Code: "report_state", Args: []any{ref.state}, Context: "progress"})
	}
	subject := strings.TrimSpace(ref.planNumber + " " + ref.taskNumber)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		switch action {
		case "submit":
			err = s.Submit(ctx, tx, id, sub, p.UserID, p.FullName)
		case "approve":
			err = s.Approve(ctx, tx, id, dec, p.UserID, p.FullName)
		default:
			err = s.Return(ctx, tx, id, dec, p.UserID, p.FullName)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.From(r, kind, subject, fmt.Sprintf("report %d %s", id, strings.TrimSpace(dec.Comment)), true))
	})
	if err != nil {
		return ref, err
	}
	link := fmt.Sprintf("/tasks/%d#report-%d", ref.task, id)
	switch action {
	case "submit":
		s.notify(ctx, Notice{Kind: "plan.report.submitted", Units: []int64{ref.unit}, Roles: []string{org.RoleApprover},
			Subject: "notice.report_submitted.subject", Body: "notice.report_submitted.body", Args: []any{subject}, Link: link, Actor: p.UserID})
	case "approve":
		s.notify(ctx, Notice{Kind: "plan.report.approved", Units: []int64{ref.unit}, Roles: []string{org.RoleReporter},
			Subject: "notice.report_approved.subject", Body: "notice.report_approved.body", Args: []any{subject}, Link: link, Actor: p.UserID})
	default:
		s.notify(ctx, Notice{Kind: "plan.report.returned", Units: []int64{ref.unit}, Roles: []string{org.RoleReporter, org.RoleApprover},
			Subject: "notice.report_returned.subject", Body: "notice.report_returned.body", Args: []any{subject, strings.TrimSpace(dec.Comment)}, Link: link, Actor: p.UserID})
	}
	return ref, nil
}

// postReport is postUpdate with the notice a submitted report sends.
func (s *Store) postReport(r *http.Request, task int64, in UpdateInput) (int64, error) {
	id, err := s.postUpdate(r, task, in)
	if err != nil {
		return id, err
	}
	ctx := r.Context()
	if ref, err := s.reportRef(ctx, s.db.Read, id); err == nil && ref.state == StateSubmitted {
		audit.Record(ctx, s.db.Write, audit.From(r, audit.TaskReportSubmit, strings.TrimSpace(ref.planNumber+" "+ref.taskNumber), fmt.Sprintf("report %d", id), true))
		s.notify(ctx, Notice{Kind: "plan.report.submitted", Units: []int64{ref.unit}, Roles: []string{org.RoleApprover},
			Subject: "notice.report_submitted.subject", Body: "notice.report_submitted.body", Args: []any{strings.TrimSpace(ref.planNumber + " " + ref.taskNumber)},
			Link: fmt.Sprintf("/tasks/%d#report-%d", task, id), Actor: org.PrincipalFrom(ctx).UserID})
	}
	return id, nil
}

// visibleUpdates leaves out the drafts of units the viewer may not report
// for: a draft is its unit's own until submitted.
func (s *Store) visibleUpdates(r *http.Request, ups []Update) []Update {
	out := ups[:0:0]
	for _, u := range ups {
		if u.State == StateDraft && (u.Unit == nil || !s.can(r, ReportTask, u.Unit.ID)) {
			continue
		}
		out = append(out, u)
	}
	return out
}

func (s *Store) setApproval(r *http.Request, plan int64, on bool) error {
	ctx := r.Context()
	p, err := s.Plan(ctx, plan)
	if err != nil {
		return err
	}
	if err := s.org.Authorize(ctx, org.PrincipalFrom(ctx), ManagePlans, p.IssuerUnit.ID); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.SetRequiresApproval(ctx, tx, plan, on); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.From(r, audit.PlanApprovalSetting, p.Number, fmt.Sprint("requiresApproval=", on), true))
	})
}

// ---- the review: reports waiting for approval ----

// UnitCount is a number of things for one unit.
type UnitCount struct {
	Unit  UnitRef `json:"unit"`
	Count int     `json:"count"`
}

// waitingByUnit counts the submitted reports of the plans, by the unit
// that reported; only units (with their predecessors) when given.
func (s *Store) waitingByUnit(ctx context.Context, plans []int64, units []int64) ([]UnitCount, int, error) {
	if len(plans) == 0 {
		return []UnitCount{}, 0, nil
	}
	var args []any
	q := `SELECT u.unit_id, COUNT(*) FROM task_updates u JOIN tasks t ON t.id = u.task_id WHERE u.state = 'submitted' AND u.unit_id IS NOT NULL AND t.plan_id IN (` + store.InList(&args, plans) + `)`
	if units != nil {
		q += ` AND u.unit_id IN (` + store.InList(&args, units) + `)`
	}
	rows, err := s.db.Read.QueryContext(ctx, q+` GROUP BY u.unit_id`, args...)
	if err != nil {
		return nil, 0, err
	}
	out := []UnitCount{}
	var ids []int64
	total := 0
	for rows.Next() {
		var c UnitCount
		if err := rows.Scan(&c.Unit.ID, &c.Count); err != nil {
			rows.Close()
			return nil, 0, err
		}
		total += c.Count
		ids = append(ids, c.Unit.ID)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	// Filed, like the rest of the review, under the unit that answers
	// today (an ended district's reports under its heir).
	refs := s.refs(ctx)
	refs.load(ids)
	merged := out[:0]
	at := map[int64]int{}
	for _, c := range out {
		c.Unit = refs.get(c.Unit.ID)
		if h := s.holder(ctx, refs, c.Unit.ID); h != nil {
			c.Unit = *h
		}
		if i, ok := at[c.Unit.ID]; ok {
			merged[i].Count += c.Count
			continue
		}
		at[c.Unit.ID] = len(merged)
		merged = append(merged, c)
	}
	out = merged
	slices.SortFunc(out, func(a, b UnitCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Unit.Name, b.Unit.Name)
	})
	return out, total, nil
}

// reviewWaiting adds to a review the reports waiting for approval, by unit
// (Review.Waiting, Totals["waiting_approval"]); with a unit filter, that
// unit's and its predecessors'.
func (s *Store) reviewWaiting(ctx context.Context, r *Review, plans []int64, f ReviewFilter) error {
	var units []int64
	if f.Unit != 0 {
		var err error
		if units, err = s.org.Predecessors(ctx, f.Unit); err != nil {
			return err
		}
	}
	waiting, total, err := s.waitingByUnit(ctx, plans, units)
	if err != nil {
		return err
	}
	r.Waiting = waiting
	if total > 0 {
		r.Totals["waiting_approval"] = total
	}
	return nil
}

// ApproveHistory records a report as approved at a past instant by
// approver (loading history: the demo's trail, an older system's
// reports), without the checks of a live decision.
func (s *Store) ApproveHistory(ctx context.Context, tx *sql.Tx, id int64, at time.Time, approver string) error {
	r, err := s.reportRef(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE task_updates SET state = 'approved', created_at = $1, decided_at = $1 WHERE id = $2`, at, id); err != nil {
		return err
	}
	// Its submission is as old as the report, not the day the trail was written.
	if _, err := tx.ExecContext(ctx, `UPDATE task_update_events SET created_at = $1 WHERE update_id = $2`, at, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO task_update_events (update_id, action, state, comment, author, created_at) VALUES ($1, 'approve', 'approved', '', $2, $3)`, id, approver, at); err != nil {
		return err
	}
	return applyApproved(ctx, tx, r.assignment)
}
