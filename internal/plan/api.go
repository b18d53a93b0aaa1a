package plan

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// Actions of this domain, added to the one policy table.
const (
	ViewPlans    org.Action = "plan.view"
	ManagePlans  org.Action = "plan.manage"
	ReportTask   org.Action = "task.report"
	ReportTarget org.Action = "target.report"
	ViewReview   org.Action = "plan.review"
)

// Mount attaches the programme domain to a site: its policy rules, API,
// pages, Excel downloads and imports, menu entries and home items.
func (s *Store) Mount(site *web.Site) {
	s.org.Allow(ViewPlans, org.Roles...) // plans are public documents inside government
	s.org.Allow(ManagePlans, org.RoleAdmin, org.RoleCoordinator)
	s.org.Allow(ReportTask, org.RoleReporter, org.RoleApprover, org.RoleCoordinator)
	s.org.Allow(ReportTarget, org.RoleReporter, org.RoleApprover, org.RoleCoordinator)
	s.org.Allow(ViewReview, org.RoleAdmin, org.RoleCoordinator, org.RoleLeader)
	s.apiRoutes(site.API)
	s.pageRoutes(site)
	s.mountWorkflow(site) // approval, comments, extensions, editing (workflow_api.go)
	s.xlsxRoutes(site)
	s.overviewRoutes(site) // the leader's overview (overview*.go)
	s.meetingRoutes(site)  // meeting_api.go: the Steering Committee's meetings, printed documents
}

// MyUnits are the units whose tasks an official answers for: their own unit
// and every unit it succeeded.
func (s *Store) MyUnits(ctx context.Context, p *org.Principal) ([]int64, error) {
	return s.org.Predecessors(ctx, p.UnitID)
}

// taskFilter reads the task filters shared by the API and the pages.
func (s *Store) taskFilter(r *http.Request) (TaskFilter, error) {
	q := r.URL.Query()
	f := TaskFilter{Pillar: q.Get("pillar"), Status: q.Get("status"), DueFrom: locale.FormDate(q.Get("dueFrom")), DueTo: locale.FormDate(q.Get("dueTo")), Query: strings.TrimSpace(q.Get("q")), Role: q.Get("role")}
	var v errs.Validator
	if u := q.Get("unit"); u != "" {
		id, err := strconv.ParseInt(u, 10, 64)
		v.Check(err == nil, "unit", "invalid")
		if err == nil {
			units, perr := s.org.Predecessors(r.Context(), id)
			if perr != nil {
				return f, perr
			}
			f.Units = units
		}
	}
	if q.Get("mine") == "1" || q.Get("mine") == "true" {
		units, err := s.MyUnits(r.Context(), org.PrincipalFrom(r.Context()))
		if err != nil {
			return f, err
		}
		f.Units = units
	}
	v.Check(f.Role == "" || f.Role == "lead" || f.Role == "coordinating", "role", "one_of", "lead, coordinating")
	v.Check(f.Status == "" || f.Status == "overdue" || contains(TaskStatuses, f.Status), "status", "one_of", "overdue, "+strings.Join(TaskStatuses, ", "))
	v.Check(f.DueFrom == "" || org.ValidDate(f.DueFrom), "dueFrom", "date")
	v.Check(f.DueTo == "" || org.ValidDate(f.DueTo), "dueTo", "date")
	return f, v.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TaskDetail is a task with its progress history.
type TaskDetail struct {
	Task
	Updates []Update `json:"updates"`
}

// OverrideInput pauses or cancels a whole task ("" lifts it).
type OverrideInput struct {
	StatusOverride string `json:"statusOverride" doc:"paused, cancelled, or empty to lift"`
}

// postUpdate authorises and records a progress report.
func (s *Store) postUpdate(r *http.Request, task int64, in UpdateInput) (int64, error) {
	p := org.PrincipalFrom(r.Context())
	t, err := s.Task(r.Context(), task)
	if err != nil {
		return 0, err
	}
	if in.AssignmentID == 0 {
		// Default to the caller's own part of the task.
		mine, err := s.MyUnits(r.Context(), p)
		if err != nil {
			return 0, err
		}
		for _, a := range append(t.LeadUnits, t.CoordinatingUnits...) {
			if contains64(mine, a.Unit.ID) {
				in.AssignmentID = a.ID
				break
			}
		}
		if in.AssignmentID == 0 {
			return 0, errs.Invalid(errs.Field{Name: "assignmentId", Code: "required"})
		}
	}
	_, unit, _, _, err := s.assignment(r.Context(), in.AssignmentID)
	if err != nil {
		return 0, errs.Invalid(errs.Field{Name: "assignmentId", Code: "not_found"})
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ReportTask, unit); err != nil {
		return 0, err
	}
	var id int64
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		id, err = s.PostUpdate(r.Context(), tx, task, in, p.UserID, p.FullName)
		return err
	})
	return id, err
}

func contains64(list []int64, x int64) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

func (s *Store) importDoc(r *http.Request, d Doc) (ImportResult, error) {
	res, err := s.ImportAs(r.Context(), org.PrincipalFrom(r.Context()), d)
	if err == nil && res.Changes > 0 {
		audit.Record(r.Context(), s.db.Write, audit.From(r, audit.PlanImport, d.Key, fmt.Sprintf("%d changes", res.Changes), true))
	}
	return res, err
}

func (s *Store) addActual(r *http.Request, target int64, in ActualInput) (int64, error) {
	t, err := s.Target(r.Context(), target)
	if err != nil {
		return 0, err
	}
	p, err := s.Plan(r.Context(), t.PlanID)
	if err != nil {
		return 0, err
	}
	unit := p.IssuerUnit.ID
	if t.ResponsibleUnit != nil {
		unit = t.ResponsibleUnit.ID
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ReportTarget, unit); err != nil {
		return 0, err
	}
	if in.UnitID == 0 {
		// The caller's own unit when the figure can be theirs (a district
		// reporting its part), else the unit that answers for the target
		// (the coordinating department entering the province's figure).
		in.UnitID = unit
		own := org.PrincipalFrom(r.Context()).UnitID
		if ok, err := s.inTargetScope(r.Context(), s.db.Read, target, own); err != nil {
			return 0, err
		} else if ok {
			in.UnitID = own
		}
	}
	var id int64
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		id, err = s.AddActual(r.Context(), tx, target, in, org.PrincipalFrom(r.Context()).UserID)
		return err
	})
	return id, err
}

func (s *Store) setOverride(r *http.Request, task int64, status string) error {
	t, err := s.Task(r.Context(), task)
	if err != nil {
		return err
	}
	p, err := s.Plan(r.Context(), t.PlanID)
	if err != nil {
		return err
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManagePlans, p.IssuerUnit.ID); err != nil {
		return err
	}
	return s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := s.SetOverride(r.Context(), tx, task, status); err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.TaskOverride, p.Number+" "+t.Number, status, true))
	})
}

func (s *Store) review(r *http.Request) (Review, error) {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewReview, 0); err != nil {
		return Review{}, err
	}
	month := locale.FormMonth(r.URL.Query().Get("month"))
	if month == "" {
		month = org.Today()[:7]
	}
	f, err := s.reviewFilter(r)
	if err != nil {
		return Review{}, err
	}
	return s.ReviewOf(r.Context(), month, s.org.Scopes(org.PrincipalFrom(r.Context()), ViewReview), org.Today(), f)
}

// reviewFilter reads the review's plan and unit filters (ids), shared by
// the API, the page, its print view and the workbook. A plan outside the
// viewer's scopes is reported as not found, like an unknown one.
func (s *Store) reviewFilter(r *http.Request) (ReviewFilter, error) {
	q := r.URL.Query()
	var f ReviewFilter
	var v errs.Validator
	if p := strings.TrimSpace(q.Get("plan")); p != "" {
		id, err := strconv.ParseInt(p, 10, 64)
		ok := err == nil && id > 0
		if ok {
			plans, perr := s.plansInScope(r.Context(), s.org.Scopes(org.PrincipalFrom(r.Context()), ViewReview))
			if perr != nil {
				return f, perr
			}
			ok = contains64(plans, id)
		}
		v.Check(ok, "plan", "not_found")
		f.Plan = id
	}
	if u := strings.TrimSpace(q.Get("unit")); u != "" {
		id, err := strconv.ParseInt(u, 10, 64)
		ok := err == nil && id > 0
		if ok {
			_, uerr := s.org.Unit(r.Context(), id, "")
			ok = uerr == nil
		}
		v.Check(ok, "unit", "not_found")
		f.Unit = id
	}
	if err := v.Err(); err != nil {
		return ReviewFilter{}, err
	}
	return f, nil
}

func (s *Store) apiRoutes(api *httpx.API) {
	taskQuery := []string{"unit: id of a unit (and its predecessors)", "mine: 1 for the caller's own unit", "role: lead or coordinating", "pillar: pillar code", "status: a task status or overdue", "dueFrom: YYYY-MM-DD", "dueTo: YYYY-MM-DD", "q: text search"}
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/pillars", Tag: "plans", Summary: "DTI pillars (main indices) that targets and tasks are filed under", Response: Pillar{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			ps, err := s.Pillars(r.Context())
			if err != nil {
				return err
			}
			httpx.List(w, r, ps, len(ps), httpx.Page{Limit: len(ps) + 1})
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/plans", Tag: "plans", Summary: "List plans, newest first", Response: Plan{}, List: true, Query: []string{"q: search in number and title"}},
		func(w http.ResponseWriter, r *http.Request) error {
			pg, err := httpx.PageOf(r, 100, 1000)
			if err != nil {
				return err
			}
			ps, err := s.Plans(r.Context(), r.URL.Query().Get("q"))
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(ps, pg), len(ps), pg)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/plans", Tag: "plans", Summary: "Import a plan with its targets and tasks (JSON); all or nothing, idempotent", Request: Doc{}, Response: ImportResult{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var d Doc
			if err := httpx.Decode(r, &d); err != nil {
				return err
			}
			res, err := s.importDoc(r, d)
			if err != nil {
				return err
			}
			status := 200
			if res.Created {
				status = 201
			}
			httpx.JSON(w, status, res)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/plans/{id}", Tag: "plans", Summary: "One plan with counts of tasks and targets by status", Response: Plan{}},
		httpx.GetHandler(nil, s.PlanWithSummary)) // plans are read by every official
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/plans/{id}/export", Tag: "plans", Summary: "A plan as the JSON document the import takes", Response: Doc{}},
		httpx.GetHandler(nil, s.Export))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/plans/{id}/tasks", Tag: "plans", Summary: "Tasks of a plan with lead and coordinating units, time frame, status and progress", Response: Task{}, List: true, Query: taskQuery},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			if _, err := s.Plan(r.Context(), id); err != nil {
				return err
			}
			f, err := s.taskFilter(r)
			if err != nil {
				return err
			}
			pg, err := httpx.PageOf(r, 1000, 10000)
			if err != nil {
				return err
			}
			f.PlanID = id
			tasks, err := s.Tasks(r.Context(), f)
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(tasks, pg), len(tasks), pg)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/plans/{id}/targets", Tag: "plans", Summary: "Targets of a plan with baseline, milestones, actuals and computed status", Response: Target{}, List: true,
		Query: []string{"pillar: pillar code", "status: achieved, on_track, at_risk, off_track, not_achieved or no_data", "asOf: YYYY-MM-DD, for the status"}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			if _, err := s.Plan(r.Context(), id); err != nil {
				return err
			}
			q := r.URL.Query()
			asOf := locale.FormDate(q.Get("asOf"))
			if asOf != "" && !org.ValidDate(asOf) {
				return errs.Invalid(errs.Field{Name: "asOf", Code: "date"})
			}
			ts, err := s.Targets(r.Context(), TargetFilter{PlanID: id, Pillar: q.Get("pillar"), Status: q.Get("status"), AsOf: asOf})
			if err != nil {
				return err
			}
			httpx.List(w, r, ts, len(ts), httpx.Page{Limit: len(ts) + 1})
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tasks", Tag: "plans", Summary: "Tasks across plans; mine=1 for the caller's unit (as lead or coordinator)", Response: Task{}, List: true, Query: taskQuery},
		func(w http.ResponseWriter, r *http.Request) error {
			f, err := s.taskFilter(r)
			if err != nil {
				return err
			}
			pg, err := httpx.PageOf(r, 500, 10000)
			if err != nil {
				return err
			}
			tasks, err := s.Tasks(r.Context(), f)
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(tasks, pg), len(tasks), pg)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tasks/{id}", Tag: "plans", Summary: "One task with its progress history", Response: TaskDetail{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			d, err := s.taskDetail(r, id)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, d)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/tasks/{id}/updates", Tag: "plans", Summary: "Report progress on a unit's part of a task, with evidence files (base64)", Request: UpdateInput{}, Response: TaskDetail{}, Status: 201},
		httpx.ActHandler(201, func(r *http.Request, id int64, in UpdateInput) (TaskDetail, error) {
			if _, err := s.postReport(r, id, in); err != nil {
				return TaskDetail{}, err
			}
			// The report is committed; a failure to read it back is a 500
			// that says so, never a 201 with an empty task.
			return s.taskDetail(r, id)
		}))
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/tasks/{id}/override", Tag: "plans", Summary: "Pause or cancel a whole task, or lift that (coordinator)", Request: OverrideInput{}, Response: Task{}},
		taskAct(s, func(r *http.Request, id int64, in OverrideInput) error {
			return s.setOverride(r, id, in.StatusOverride)
		}))
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/tasks/{id}/units", Tag: "plans", Summary: "Reassign a task's lead and coordinating units (coordinator of the plan and of every unit added); the assignments taken away are ended, their history kept", Request: UnitsInput{}, Response: Task{}},
		taskAct(s, s.setUnits))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/attachments/{id}", Tag: "plans", Summary: "Download an evidence file"},
		s.serveAttachment)
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/targets/{id}", Tag: "plans", Summary: "One target with its values and status", Response: Target{}},
		httpx.GetHandler(nil, s.Target))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/targets/{id}/actuals", Tag: "plans", Summary: "Record an actual value of a target with its evidence", Request: ActualInput{}, Response: Target{}, Status: 201},
		httpx.ActHandler(201, func(r *http.Request, id int64, in ActualInput) (Target, error) {
			if _, err := s.addActual(r, id, in); err != nil {
				return Target{}, err
			}
			t, err := s.Target(r.Context(), id)
			if err != nil {
				return t, fmt.Errorf("read back target %d after an actual: %w", id, err)
			}
			return t, nil
		}))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/review", Tag: "plans", Summary: "The Steering Committee's monthly review (coordinator, leader, admin)", Response: Review{}, Query: []string{"month: YYYY-MM (or MM/YYYY), the current month by default", "plan: id of one plan", "unit: id of one lead unit (as it answers today, for its predecessors too)"}},
		func(w http.ResponseWriter, r *http.Request) error {
			rv, err := s.review(r)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, rv)
			return nil
		})
}

// serveAttachment sends an evidence file to anyone who may view plans.
func (s *Store) serveAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	a, _, data, err := s.AttachmentData(r.Context(), id)
	if err != nil {
		return err
	}
	sendFile(w, r, a, data)
	return nil
}

// sendFile sends an evidence file as a download that no browser runs.
func sendFile(w http.ResponseWriter, r *http.Request, a Attachment, data []byte) {
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s", url.PathEscape(a.Filename)))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(data)))
}

// PlanWithSummary returns a plan with task and target counts by status.
func (s *Store) PlanWithSummary(ctx context.Context, id int64) (Plan, error) {
	p, err := s.Plan(ctx, id)
	if err != nil {
		return p, err
	}
	sum := &PlanProgress{Tasks: map[string]int{}, Targets: map[string]int{}}
	tasks, err := s.Tasks(ctx, TaskFilter{PlanID: id})
	if err != nil {
		return p, err
	}
	for _, t := range tasks {
		sum.Tasks[t.Status]++
		if t.Overdue {
			sum.Tasks["overdue"]++
		}
	}
	targets, err := s.Targets(ctx, TargetFilter{PlanID: id})
	if err != nil {
		return p, err
	}
	for _, t := range targets {
		sum.Targets[t.Status]++
	}
	p.Summary = sum
	return p, nil
}
