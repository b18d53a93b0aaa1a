package plan

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

// The workflow on the task page: a report's state, history and the
// decisions the viewer may take; the task's threads and the unit's open
// evidence requests; extensions; the coordinator's edit page. Handlers
// call the same helpers as the API (decideReport, addComment,
// requestExtension, decideExtension, editTask).

var taskEditPage = newPlanPage("task_edit.html")

func (s *Store) workflowPages(site *web.Site) {
	site.Page("POST /tasks/{id}/reports/{report}/{action}", s.reportDecisionSubmit)
	site.Page("POST /tasks/{id}/comments", s.commentSubmit)
	site.Page("POST /tasks/{id}/extensions", s.extensionSubmit)
	site.Page("POST /tasks/{id}/extensions/{ext}/{action}", s.extensionDecisionSubmit)
	site.Page("GET /workflow", s.workflowShow)
	site.Page("POST /plans/{id}/approval", s.approvalSettingSubmit)
	site.AddHome("plan-workflow", s.workflowHome)
	site.Page("GET /tasks/{id}/edit", s.taskEditShow)
	site.Page("POST /tasks/{id}/edit", s.taskEditSubmit)
}

// workflowView is what the task page shows of the workflow.
type workflowView struct {
	RequiresApproval bool
	Actions          map[int64]reportActions // by report
	Comments         []Comment
	OpenRequests     []Comment // on the viewer's parts: their to-do
	CommentParts     []Assignment
	CanRequest       bool // evidence on some part
	Mentions         []Mention
	Extensions       []Extension
	Pending          *Extension
	LeadParts        []Assignment // the viewer's lead parts: may ask for an extension
	CoordOnly        bool         // the viewer's parts are all coordinating
	CanDecide        bool
	Edits            []TaskEditEntry
}

// reportActions are the steps the viewer may take on one report.
type reportActions struct {
	Submit, Approve, Return bool
}

// workflowData fills the task page's workflow part.
func (s *Store) workflowData(r *http.Request, d *taskData) error {
	ctx := r.Context()
	t, p := d.Task, d.Plan
	f := workflowView{RequiresApproval: p.RequiresApproval, Actions: map[int64]reportActions{}}
	for _, u := range d.Updates {
		if u.Unit == nil {
			continue
		}
		var a reportActions
		switch u.State {
		case StateDraft, StateReturned:
			a.Submit = s.can(r, ReportTask, u.Unit.ID)
		case StateSubmitted:
			a.Approve = s.can(r, ApproveReport, u.Unit.ID)
			a.Return = a.Approve
		case StateApproved:
			a.Return = p.RequiresApproval && s.can(r, ReopenReport, p.IssuerUnit.ID)
		}
		f.Actions[u.ID] = a
	}
	var err error
	if f.Comments, err = s.Comments(ctx, t.ID); err != nil {
		return err
	}
	mine := map[int64]bool{}
	for _, a := range d.MyParts {
		mine[a.ID] = true
	}
	for _, c := range f.Comments {
		if c.Open && c.AssignmentID != nil && mine[*c.AssignmentID] {
			f.OpenRequests = append(f.OpenRequests, c)
		}
	}
	for _, a := range d.Parts {
		if s.can(r, CommentTask, a.Unit.ID) {
			f.CommentParts = append(f.CommentParts, a.Assignment)
		}
		if s.can(r, RequestEvidence, a.Unit.ID) {
			f.CanRequest = true
		}
	}
	if f.Mentions, err = s.mentionChoices(ctx, t, p.IssuerUnit.ID); err != nil {
		return err
	}
	if f.Extensions, err = s.Extensions(ctx, t.ID); err != nil {
		return err
	}
	for i := range f.Extensions {
		if f.Extensions[i].State == ExtensionRequested {
			f.Pending = &f.Extensions[i]
		}
	}
	f.CoordOnly = len(d.MyParts) > 0
	for _, a := range d.MyParts {
		if a.Role == "lead" {
			f.CoordOnly = false
			if s.can(r, ReportTask, a.Unit.ID) {
				f.LeadParts = append(f.LeadParts, a.Assignment)
			}
		}
	}
	f.CanDecide = s.can(r, DecideExtension, p.IssuerUnit.ID)
	if f.Edits, err = s.TaskEdits(ctx, t.ID); err != nil {
		return err
	}
	d.Flow = f
	return nil
}

// renameFields renames a form's error fields (prefix match on the API's
// names) to the inputs of the form that was sent.
func renameFields(err error, names map[string]string) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = nil
	seen := map[string]bool{}
	for _, f := range e.Fields {
		for from, to := range names {
			if f.Name == from || strings.HasPrefix(f.Name, from+"[") {
				f.Name = to
				break
			}
		}
		if k := f.Name + "/" + f.Code; !seen[k] {
			seen[k] = true
			c.Fields = append(c.Fields, f)
		}
	}
	return &c
}

// taskFormError shows the task page again with a form's errors.
func (s *Store) taskFormError(w http.ResponseWriter, r *http.Request, id int64, err error) error {
	d, derr := s.taskData(r, id)
	if derr != nil {
		return derr
	}
	return taskPage.FormError(w, r, err, d)
}

func (s *Store) reportDecisionSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	report, err := httpx.PathID(r, "report")
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	if action != "submit" && action != "approve" && action != "return" {
		return errs.NotFound
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return errs.BadRequest
	}
	var sub SubmitInput
	if action == "submit" && r.PostForm.Has("report") {
		sub.Status = r.PostFormValue("status")
		body := r.PostFormValue("report")
		sub.Body = &body
		n, perr := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.PostFormValue("progress")), "%")))
		if perr != nil {
			n = -1
		}
		sub.Progress = &n
		if sub.Attachments, err = readUploads(r); err != nil {
			return err
		}
	}
	ref, err := s.reportRef(r.Context(), s.db.Read, report)
	if err != nil || ref.task != id {
		return errs.NotFound
	}
	if _, err := s.decideReport(r, report, action, sub, DecisionInput{Comment: r.PostFormValue("decision")}); err != nil {
		return s.taskFormError(w, r, id, renameFields(err, map[string]string{"comment": "decision", "body": "report", "attachments": "file"}))
	}
	web.Redirect(w, r, fmt.Sprintf("/tasks/%d?ok=progress_%s#report-%d", id, action, report))
	return nil
}

func (s *Store) commentSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return errs.BadRequest
	}
	in := CommentInput{Body: r.PostFormValue("commentBody"), Kind: r.PostFormValue("kind"), Mentions: r.PostForm["mentions"]}
	in.AssignmentID, _ = strconv.ParseInt(r.PostFormValue("about"), 10, 64)
	in.ReplyTo, _ = strconv.ParseInt(r.PostFormValue("replyTo"), 10, 64)
	if in.Attachments, err = readUploads(r); err != nil {
		return err
	}
	cid, err := s.addComment(r, id, in)
	if err != nil {
		return s.taskFormError(w, r, id, renameFields(err, map[string]string{"body": "commentBody", "attachments": "file", "assignmentId": "about", "mentions": "mentions"}))
	}
	web.Redirect(w, r, fmt.Sprintf("/tasks/%d?ok=comment_saved#comment-%d", id, cid))
	return nil
}

func (s *Store) extensionSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	in := ExtensionInput{DueOn: locale.FormDate(r.PostFormValue("extDueOn")), Reason: r.PostFormValue("extReason")}
	in.AssignmentID, _ = strconv.ParseInt(r.PostFormValue("extPart"), 10, 64)
	if _, err := s.requestExtension(r, id, in); err != nil {
		return s.taskFormError(w, r, id, renameFields(err, map[string]string{"dueOn": "extDueOn", "reason": "extReason", "assignmentId": "extPart"}))
	}
	web.Redirect(w, r, fmt.Sprintf("/tasks/%d?ok=extension_requested#extensions", id))
	return nil
}

func (s *Store) extensionDecisionSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	ext, err := httpx.PathID(r, "ext")
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	if action != "grant" && action != "refuse" {
		return errs.NotFound
	}
	var task int64
	if err := s.db.Read.QueryRowContext(r.Context(), `SELECT task_id FROM task_extensions WHERE id = $1`, ext).Scan(&task); err != nil || task != id {
		return errs.NotFound
	}
	if _, err := s.decideExtension(r, ext, action == "grant", r.PostFormValue("extComment")); err != nil {
		return s.taskFormError(w, r, id, renameFields(err, map[string]string{"comment": "extComment"}))
	}
	web.Redirect(w, r, fmt.Sprintf("/tasks/%d?ok=extension_%s#extensions", id, action))
	return nil
}

// ---- /tasks/{id}/edit ----

type taskEditData struct {
	Task                      Task
	Plan                      Plan
	Edit                      TaskEdit
	Overrides                 []string
	Budget                    string // as the field shows it
	LeadChoices, CoordChoices []option
}

func (s *Store) taskEditData(r *http.Request, id int64) (taskEditData, error) {
	ctx := r.Context()
	t, err := s.Task(ctx, id)
	if err != nil {
		return taskEditData{}, err
	}
	p, err := s.Plan(ctx, t.PlanID)
	if err != nil {
		return taskEditData{}, err
	}
	if err := s.org.Authorize(ctx, org.PrincipalFrom(ctx), ManagePlans, p.IssuerUnit.ID); err != nil {
		return taskEditData{}, err
	}
	d := taskEditData{Task: t, Plan: p, Edit: EditOf(t), Overrides: []string{"", "paused", "cancelled"}}
	if t.Budget != nil {
		d.Budget = locale.Number(locale.FromRequest(r), *t.Budget, 2)
	}
	if d.LeadChoices, d.CoordChoices, err = s.unitChoices(r, t); err != nil {
		return d, err
	}
	// unitChoices keeps what was posted to the units form; here, to this one.
	if r.Method == http.MethodPost && r.PostForm.Has("lead") {
		sel := func(opts []option, field string) {
			for i := range opts {
				opts[i].Selected = false
				for _, v := range r.PostForm[field] {
					if v == opts[i].Value {
						opts[i].Selected = true
					}
				}
			}
		}
		sel(d.LeadChoices, "lead")
		sel(d.CoordChoices, "coordinating")
	}
	return d, nil
}

func (s *Store) taskEditShow(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.taskEditData(r, id)
	if err != nil {
		return err
	}
	return taskEditPage.Render(w, r, d)
}

func (s *Store) taskEditSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	in, err := editForm(r)
	if err == nil {
		err = s.editTask(r, id, in)
	}
	if err != nil {
		d, derr := s.taskEditData(r, id)
		if derr != nil {
			return derr
		}
		return taskEditPage.FormError(w, r, unitsFormFields(err), d)
	}
	web.Redirect(w, r, fmt.Sprintf("/tasks/%d?ok=task_edited#edits", id))
	return nil
}

// reportFlash names the confirmation after a progress report: saved (it
// counts now), submitted for approval, or kept as a draft.
func (s *Store) reportFlash(r *http.Request, report int64) string {
	ref, err := s.reportRef(r.Context(), s.db.Read, report)
	switch {
	case err != nil || ref.state == StateApproved:
		return "progress_saved"
	case ref.state == StateDraft:
		return "progress_draft"
	}
	return "progress_submit"
}

// ---- /workflow: what waits for the viewer ----

var workflowPage = newPlanPage("workflow.html")

// todoItem is one thing waiting, with its task.
type todoItem struct {
	TaskID                  int64
	PlanNumber, TaskNumber  string
	Description, Unit, Text string
	Author                  string
	At                      time.Time
	Anchor                  string
}

type workflowTodo struct {
	CanApprove bool
	Approve    []todoItem // reports waiting for the viewer's approval
	Returned   []todoItem // the viewer's units' reports sent back
	Evidence   []todoItem // evidence asked of the viewer's units
	Extensions []todoItem // requests waiting for the viewer's decision
}

// todo gathers what waits for the viewer: the home page counts it, the
// page lists it.
func (s *Store) todo(r *http.Request) (workflowTodo, error) {
	ctx := r.Context()
	var d workflowTodo
	d.CanApprove = s.can(r, ApproveReport, 0)
	if d.CanApprove {
		queue, err := s.reportQueue(r.Context())
		if err != nil {
			return d, err
		}
		for _, q := range queue {
			d.Approve = append(d.Approve, todoItem{TaskID: q.TaskID, PlanNumber: q.PlanNumber, TaskNumber: q.TaskNumber, Description: q.TaskDescription,
				Unit: cmpLabel(q.Unit), Text: q.Body, Author: q.Author, At: q.At, Anchor: fmt.Sprintf("report-%d", q.ID)})
		}
	}
	mine, err := s.MyUnits(ctx, org.PrincipalFrom(ctx))
	if err != nil {
		return d, err
	}
	refs := s.refs(ctx)
	scan := func(q string, args []any, out *[]todoItem, anchor string) error {
		rows, err := s.db.Read.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it todoItem
			var id, unit int64
			if err := rows.Scan(&id, &it.TaskID, &it.PlanNumber, &it.TaskNumber, &it.Description, &unit, &it.Text, &it.Author, &it.At); err != nil {
				return err
			}
			u := refs.get(unit)
			it.Unit, it.Anchor = cmpLabel(&u), fmt.Sprintf("%s-%d", anchor, id)
			*out = append(*out, it)
		}
		return rows.Err()
	}
	if len(mine) > 0 {
		var args []any
		in := store.InList(&args, mine)
		// A returned report is listed with why it came back.
		if err := scan(`SELECT u.id, u.task_id, p.number, t.number, t.description, u.unit_id,
			COALESCE((SELECT e.comment FROM task_update_events e WHERE e.update_id = u.id ORDER BY e.id DESC LIMIT 1), ''),
			COALESCE((SELECT e.author FROM task_update_events e WHERE e.update_id = u.id ORDER BY e.id DESC LIMIT 1), ''), u.created_at FROM task_updates u
			JOIN tasks t ON t.id = u.task_id JOIN plans p ON p.id = t.plan_id WHERE u.state = 'returned' AND u.unit_id IN (`+in+`) ORDER BY u.created_at`, args, &d.Returned, "report"); err != nil {
			return d, err
		}
		if err := scan(`SELECT c.id, c.task_id, p.number, t.number, t.description, a.unit_id, c.body, c.author, c.created_at FROM task_comments c
			JOIN task_assignments a ON a.id = c.assignment_id JOIN tasks t ON t.id = c.task_id JOIN plans p ON p.id = t.plan_id
			WHERE c.kind = 'evidence_request' AND c.answered_by IS NULL AND a.ended_on = '' AND a.unit_id IN (`+in+`) ORDER BY c.created_at`, args, &d.Evidence, "comment"); err != nil {
			return d, err
		}
	}
	if s.can(r, DecideExtension, 0) {
		var all []todoItem
		var issuers []int64
		rows, err := s.db.Read.QueryContext(ctx, `SELECT e.id, e.task_id, p.number, t.number, t.description, e.unit_id, e.reason, e.requester, e.requested_at, p.issuer_unit_id
			FROM task_extensions e JOIN tasks t ON t.id = e.task_id JOIN plans p ON p.id = t.plan_id WHERE e.state = 'requested' ORDER BY e.requested_at`)
		if err != nil {
			return d, err
		}
		for rows.Next() {
			var it todoItem
			var id, unit, issuer int64
			if err := rows.Scan(&id, &it.TaskID, &it.PlanNumber, &it.TaskNumber, &it.Description, &unit, &it.Text, &it.Author, &it.At, &issuer); err != nil {
				rows.Close()
				return d, err
			}
			u := refs.get(unit)
			it.Unit, it.Anchor = cmpLabel(&u), fmt.Sprintf("extension-%d", id)
			all = append(all, it)
			issuers = append(issuers, issuer)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return d, err
		}
		for i, it := range all {
			if s.can(r, DecideExtension, issuers[i]) {
				d.Extensions = append(d.Extensions, it)
			}
		}
	}
	return d, nil
}

func cmpLabel(u *UnitRef) string {
	if u == nil {
		return ""
	}
	if u.Label != "" {
		return u.Label
	}
	return u.Name
}

func (s *Store) workflowShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	d, err := s.todo(r)
	if err != nil {
		return err
	}
	return workflowPage.Render(w, r, d)
}

// workflowHome counts on the home page what waits for the viewer.
func (s *Store) workflowHome(r *http.Request) []web.HomeItem {
	if !s.can(r, ViewPlans, 0) {
		return nil
	}
	d, err := s.todo(r)
	if err != nil {
		return nil
	}
	var items []web.HomeItem
	for _, x := range []struct {
		key, anchor string
		n           int
	}{{"home.plan.waiting_approval", "approve", len(d.Approve)}, {"home.plan.returned", "returned", len(d.Returned)},
		{"home.plan.evidence", "evidence", len(d.Evidence)}, {"home.plan.extensions", "extensions", len(d.Extensions)}} {
		if x.n > 0 {
			items = append(items, web.HomeItem{Key: x.key, Count: x.n, Href: "/workflow#" + x.anchor, Alert: true})
		}
	}
	return items
}

// approvalSettingSubmit switches approval on or off from the plan page.
func (s *Store) approvalSettingSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.setApproval(r, id, r.PostFormValue("requiresApproval") == "1"); err != nil {
		return err
	}
	web.Redirect(w, r, fmt.Sprintf("/plans/%d?ok=approval_saved#plan-approval", id))
	return nil
}
