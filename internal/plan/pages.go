package plan

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// The pages of the plan domain: plans, tasks, targets and the Steering
// Committee's review. Handlers call the same helpers as the API (s.must,
// s.postUpdate, s.addActual, s.setOverride, s.review, s.taskFilter), so a
// page and its API twin decide and write alike.

//go:embed templates/*.html
var pageTemplates embed.FS

func newPlanPage(name string) *web.Page {
	return web.NewPage(pageTemplates, "templates/"+name, "templates/parts.html")
}

var (
	plansPage  = newPlanPage("plans.html")
	planPage   = newPlanPage("plan.html")
	tasksPage  = newPlanPage("tasks.html")
	taskPage   = web.NewPage(pageTemplates, "templates/task.html", "templates/parts.html", "templates/task_workflow.html")
	targetPage = newPlanPage("target.html")
	reviewPage = web.NewPage(pageTemplates, "templates/review.html", "templates/parts.html", "templates/document.html")
)

func (s *Store) pageRoutes(site *web.Site) {
	site.AddMenu("/plans", "nav.plans", string(ViewPlans))
	site.AddMenu("/tasks", "nav.tasks", string(ViewPlans))
	site.AddMenu("/review", "nav.review", string(ViewReview))
	site.AddHome("plan", s.homeItems)
	site.Page("GET /plans", s.plansShow)
	site.Page("GET /plans/{id}", s.planShow)
	// Evidence files are /plans/attachments/{id}. The pattern is written
	// /plans/{plan}/{id} because a literal "attachments" segment would
	// conflict in ServeMux with /plans/{id}/export.xlsx.
	site.Page("GET /plans/{plan}/{id}", s.attachmentShow)
	site.Page("GET /tasks", s.tasksShow)
	site.Page("GET /tasks/{id}", s.taskShow)
	site.Page("POST /tasks/{id}/updates", s.taskUpdateSubmit)
	site.Page("POST /tasks/{id}/override", s.taskOverrideSubmit)
	site.Page("POST /tasks/{id}/units", s.taskUnitsSubmit)
	site.Page("GET /targets/{id}", s.targetShow)
	site.Page("POST /targets/{id}/actuals", s.actualSubmit)
	site.Page("GET /review", s.reviewShow(false))
	site.Page("GET /review/print", s.reviewShow(true))
}

func (s *Store) attachmentShow(w http.ResponseWriter, r *http.Request) error {
	switch r.PathValue("plan") {
	case "attachments":
		return s.serveAttachment(w, r)
	case "comment-files": // a comment's files (comments.go)
		return s.serveCommentFile(w, r)
	}
	return errs.NotFound
}

// can is the policy check for showing a control; handlers check again.
func (s *Store) can(r *http.Request, a org.Action, unit int64) bool {
	ok, err := s.org.Can(r.Context(), org.PrincipalFrom(r.Context()), a, unit)
	return err == nil && ok
}

// option is an entry of a select box.
type option struct {
	Value, Label string
	Ended        bool
	Selected     bool
}

// pillarNames names the pillars in the request's language.
func (s *Store) pillarNames(r *http.Request) (map[string]string, []option, error) {
	ps, err := s.Pillars(r.Context())
	if err != nil {
		return nil, nil, err
	}
	lang := locale.FromRequest(r)
	names := map[string]string{}
	var opts []option
	for _, p := range ps {
		n := p.NameVI
		if lang == locale.EN {
			n = p.NameEN
		}
		names[p.Code] = n
		opts = append(opts, option{Value: p.Code, Label: n})
	}
	return names, opts, nil
}

// renderWith renders a page, showing the field errors of a filter that
// could not be applied above it.
func renderWith(p *web.Page, w http.ResponseWriter, r *http.Request, ferr error, data any) error {
	if ferr == nil {
		return p.Render(w, r, data)
	}
	e, ok := errs.As(ferr)
	if !ok || len(e.Fields) == 0 {
		return ferr
	}
	v := web.NewView(r, data)
	for _, f := range e.Fields {
		v.Errors = append(v.Errors, httpx.ProblemField{Field: f.Name, Code: f.Code, Message: httpx.FieldMessage(v.Lang, f)})
	}
	return p.RenderView(w, r, e.Status, v)
}

// statusFilters are the status choices of the task filters: not finished,
// overdue, then the reported statuses.
var statusFilters = append([]string{"open", "overdue"}, TaskStatuses...)

// taskFilters is what the task filter forms hold, to show them again.
type taskFilters struct {
	Unit, Pillar, Status, DueFrom, DueTo, Q, Role string
}

func (f taskFilters) Active() bool {
	return f.Unit != "" || f.Pillar != "" || f.Status != "" || f.DueFrom != "" || f.DueTo != "" || f.Q != "" || f.Role != ""
}

// pageTaskFilter reads the task filters through s.taskFilter, the API's
// reader; the status is applied by the page (see keepRow), which also knows
// "open" and judges a unit's own part when the list is about a unit.
func (s *Store) pageTaskFilter(r *http.Request) (TaskFilter, taskFilters, error) {
	q := r.URL.Query()
	fv := taskFilters{Unit: q.Get("unit"), Pillar: q.Get("pillar"), Status: q.Get("status"), DueFrom: q.Get("dueFrom"), DueTo: q.Get("dueTo"), Q: strings.TrimSpace(q.Get("q")), Role: q.Get("role")}
	u := *r.URL
	rest := u.Query()
	rest.Del("status")
	rest.Del("mine")
	u.RawQuery = rest.Encode()
	r2 := r.WithContext(r.Context())
	r2.URL = &u
	f, err := s.taskFilter(r2)
	var v errs.Validator
	if err != nil {
		e, ok := errs.As(err)
		if !ok {
			return f, fv, err
		}
		for _, fe := range e.Fields {
			v.Add(fe.Name, fe.Code, fe.Args...)
		}
	}
	v.Check(fv.Status == "" || slices.Contains(statusFilters, fv.Status), "status", "one_of", strings.Join(statusFilters, ", "))
	if err := v.Err(); err != nil {
		// Show everything rather than a list narrowed by half a filter.
		return TaskFilter{}, fv, err
	}
	return f, fv, nil
}

// taskRow is a task as a list shows it: when the list is about some units
// (mine, or the one picked), the status, progress and lateness are those of
// their part as lead unit; a coordinating unit follows the task as a whole.
type taskRow struct {
	Task
	Part         *Assignment
	Role         string // lead or coordinating, with Part
	ViewStatus   string
	ViewProgress int
	ViewOverdue  bool
}

func rowFor(t Task, focus []int64, asOf string) taskRow {
	row := taskRow{Task: t, ViewStatus: t.Status, ViewProgress: t.Progress, ViewOverdue: t.Overdue}
	if len(focus) == 0 {
		return row
	}
	for _, list := range [][]Assignment{t.LeadUnits, t.CoordinatingUnits} {
		for i := range list {
			if contains64(focus, list[i].Unit.ID) {
				a := list[i]
				row.Part, row.Role = &a, a.Role
				break
			}
		}
		if row.Part != nil {
			break
		}
	}
	if row.Role == "lead" {
		st := row.Part.Status
		if t.StatusOverride != "" {
			st = t.StatusOverride
		}
		row.ViewStatus, row.ViewProgress = st, row.Part.Progress
		row.ViewOverdue = t.TimeFrame.DueOn != "" && t.TimeFrame.DueOn < asOf && st != "done" && st != "cancelled"
	}
	return row
}

func keepRow(row taskRow, status string) bool {
	switch status {
	case "":
		return true
	case "open":
		return row.ViewStatus != "done" && row.ViewStatus != "cancelled"
	case "overdue":
		return row.ViewOverdue
	default:
		return row.ViewStatus == status
	}
}

func rowsFor(tasks []Task, focus []int64, status string) []taskRow {
	today := org.Today()
	out := []taskRow{}
	for _, t := range tasks {
		if row := rowFor(t, focus, today); keepRow(row, status) {
			out = append(out, row)
		}
	}
	return out
}

// taskSection is a run of tasks under one heading (a group, a pillar or a
// plan).
type taskSection struct {
	Title, Sub string
	Href       string
	Rows       []taskRow
}

// ---- /plans ----

type planRow struct {
	Plan
	Overdue, Done    int
	OffTrack, AtRisk int
	NotAchieved      int
}

type plansData struct {
	Query     string
	Plans     []planRow
	CanManage bool
}

func (s *Store) plansShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	ctx := r.Context()
	d := plansData{Query: strings.TrimSpace(r.URL.Query().Get("q")), CanManage: s.can(r, ManagePlans, 0)}
	plans, err := s.Plans(ctx, d.Query)
	if err != nil {
		return err
	}
	tasks, err := s.Tasks(ctx, TaskFilter{})
	if err != nil {
		return err
	}
	targets, err := s.Targets(ctx, TargetFilter{})
	if err != nil {
		return err
	}
	index := map[int64]int{}
	for _, p := range plans {
		index[p.ID] = len(d.Plans)
		d.Plans = append(d.Plans, planRow{Plan: p})
	}
	for _, t := range tasks {
		i, ok := index[t.PlanID]
		if !ok {
			continue
		}
		if t.Status == "done" {
			d.Plans[i].Done++
		}
		if t.Overdue {
			d.Plans[i].Overdue++
		}
	}
	for _, t := range targets {
		if i, ok := index[t.PlanID]; ok {
			switch t.Status {
			case "not_achieved":
				d.Plans[i].NotAchieved++
			case "off_track":
				d.Plans[i].OffTrack++
			case "at_risk":
				d.Plans[i].AtRisk++
			}
		}
	}
	return plansPage.Render(w, r, d)
}

// ---- /plans/{id} ----

type targetRow struct {
	Target
	Latest []Actual // the latest actual values (one per level)
	Mini   *Chart
}

type targetSection struct {
	Title string
	Rows  []targetRow
}

type planData struct {
	Plan           Plan
	Parent         *Plan
	TaskCounts     map[string]int
	TargetCount    map[string]int
	TaskTotal      int
	TargetTotal    int
	Targets        []targetSection
	TargetStatuses []string
	Sections       []taskSection
	Shown          int
	Filter         taskFilters
	Units          []option
	Pillars        []option
	PillarNames    map[string]string
	Statuses       []string
	CanManage      bool
	Focused        bool
}

// latest returns the actual values measured on the latest date.
func latest(acts []Actual) []Actual {
	if len(acts) == 0 {
		return nil
	}
	last := acts[len(acts)-1].MeasuredOn
	var out []Actual
	for _, a := range acts {
		if a.MeasuredOn == last {
			out = append(out, a)
		}
	}
	return out
}

// unitOptions lists the units assigned in tasks and those answering for
// them today, for a unit picker.
func unitOptions(tasks []Task) []option {
	seen := map[int64]bool{}
	var refs []UnitRef
	add := func(u UnitRef) {
		if !seen[u.ID] {
			seen[u.ID] = true
			refs = append(refs, u)
		}
	}
	for _, t := range tasks {
		for _, a := range append(slices.Clone(t.LeadUnits), t.CoordinatingUnits...) {
			add(a.Unit)
			if a.HeldBy != nil {
				add(*a.HeldBy)
			}
		}
	}
	col := locale.Collator()
	slices.SortFunc(refs, func(a, b UnitRef) int {
		if c := col.CompareString(a.Label, b.Label); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	out := make([]option, 0, len(refs))
	for _, u := range refs {
		out = append(out, option{Value: strconv.FormatInt(u.ID, 10), Label: u.Label + " (" + u.Code + ")"})
	}
	return out
}

func (s *Store) planShow(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	ctx := r.Context()
	p, err := s.Plan(ctx, id)
	if err != nil {
		return err
	}
	names, pillars, err := s.pillarNames(r)
	if err != nil {
		return err
	}
	d := planData{Plan: p, PillarNames: names, Pillars: pillars, Statuses: statusFilters, TaskCounts: map[string]int{}, TargetCount: map[string]int{},
		CanManage: s.can(r, ManagePlans, p.IssuerUnit.ID)}
	if p.ParentID != nil {
		if parent, err := s.Plan(ctx, *p.ParentID); err == nil {
			d.Parent = &parent
		}
	}
	all, err := s.Tasks(ctx, TaskFilter{PlanID: id})
	if err != nil {
		return err
	}
	d.TaskTotal = len(all)
	for _, t := range all {
		d.TaskCounts[t.Status]++
		if t.Overdue {
			d.TaskCounts["overdue"]++
		}
	}
	d.Units = unitOptions(all)
	f, fv, ferr := s.pageTaskFilter(r)
	d.Filter = fv
	tasks := all
	if ferr == nil && fv.Active() {
		f.PlanID = id
		if tasks, err = s.Tasks(ctx, f); err != nil {
			return err
		}
	}
	d.Focused = ferr == nil && f.Units != nil
	rows := rowsFor(tasks, f.Units, fv.Status)
	d.Shown = len(rows)
	d.Sections = sectionsByGroup(rows, names)
	targets, err := s.Targets(ctx, TargetFilter{PlanID: id})
	if err != nil {
		return err
	}
	d.Targets = targetSections(targets, pillars, locale.FromRequest(r))
	d.TargetTotal, d.TargetStatuses = len(targets), TargetStatuses
	for _, t := range targets {
		d.TargetCount[t.Status]++
	}
	renderWith(planPage, w, r, ferr, d)
	return nil
}

// targetSections groups targets under their pillars, in the pillars' order
// (unknown pillars last, by first appearance).
func targetSections(targets []Target, pillars []option, lang locale.Lang) []targetSection {
	index := map[string]int{}
	var out []targetSection
	for _, p := range pillars {
		index[p.Value] = len(out)
		out = append(out, targetSection{Title: p.Label})
	}
	for _, t := range targets {
		i, ok := index[t.Pillar]
		if !ok {
			i = len(out)
			index[t.Pillar] = i
			out = append(out, targetSection{Title: t.Pillar})
		}
		out[i].Rows = append(out[i].Rows, targetRow{Target: t, Latest: latest(t.Actuals), Mini: newChart(t, lang, 120, 36, true, org.Today())})
	}
	return slices.DeleteFunc(out, func(s targetSection) bool { return len(s.Rows) == 0 })
}

// sectionsByGroup cuts a plan's tasks (in number order) into runs under
// their group, or their pillar when the plan has no groups.
func sectionsByGroup(rows []taskRow, pillarNames map[string]string) []taskSection {
	var out []taskSection
	for _, row := range rows {
		title, sub := row.Group, ""
		if title == "" {
			title = pillarNames[row.Pillar]
		} else if row.Pillar != "" {
			sub = pillarNames[row.Pillar]
		}
		if n := len(out); n > 0 && out[n-1].Title == title {
			out[n-1].Rows = append(out[n-1].Rows, row)
			if out[n-1].Sub != sub {
				out[n-1].Sub = ""
			}
			continue
		}
		out = append(out, taskSection{Title: title, Sub: sub, Rows: []taskRow{row}})
	}
	return out
}

// ---- home page ----

// myTaskCounts counts the principal's tasks (their unit's part) that are
// overdue, due within 30 days, and in progress.
func (s *Store) myTaskCounts(ctx context.Context, p *org.Principal) (total, overdue, soon, inProgress int, err error) {
	mine, err := s.MyUnits(ctx, p)
	if err != nil {
		return
	}
	tasks, err := s.Tasks(ctx, TaskFilter{Units: mine})
	if err != nil {
		return
	}
	today := org.Today()
	limit := plusDays(today, 30)
	for _, row := range rowsFor(tasks, mine, "") {
		total++
		switch {
		case row.ViewOverdue:
			overdue++
		case keepRow(row, "open") && row.TimeFrame.DueOn >= today && row.TimeFrame.DueOn <= limit:
			soon++
		}
		if row.ViewStatus == "in_progress" {
			inProgress++
		}
	}
	return
}

func plusDays(date string, n int) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// reviewTotals are the current month's review totals over the plans issued
// within the scopes (cached until the data changes): overdue tasks, tasks
// to be reassigned.
func (s *Store) reviewTotals(ctx context.Context, scopes []int64) (map[string]int, error) {
	today := org.Today()
	r, err := s.ReviewFor(ctx, today[:7], scopes, today)
	return r.Totals, err
}

// homeItems are the plan domain's lines on the home page.
func (s *Store) homeItems(r *http.Request) []web.HomeItem {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	var items []web.HomeItem
	if s.can(r, ViewPlans, 0) {
		total, overdue, soon, inProgress, err := s.myTaskCounts(ctx, p)
		if err == nil && total > 0 {
			today := org.Today()
			if overdue > 0 {
				items = append(items, web.HomeItem{Key: "home.plan.overdue", Count: overdue, Href: "/tasks?status=overdue", Alert: true})
			}
			if soon > 0 {
				q := url.Values{"status": {"open"}, "dueFrom": {today}, "dueTo": {plusDays(today, 30)}}
				items = append(items, web.HomeItem{Key: "home.plan.due_soon", Count: soon, Href: "/tasks?" + q.Encode()})
			}
			if inProgress > 0 {
				items = append(items, web.HomeItem{Key: "home.plan.in_progress", Count: inProgress, Href: "/tasks?status=in_progress"})
			}
			items = append(items, web.HomeItem{Key: "home.plan.my_tasks", Count: total, Href: "/tasks"})
		}
	}
	if s.can(r, ViewReview, 0) {
		month := org.Today()[:7]
		totals, err := s.reviewTotals(ctx, s.org.Scopes(p, ViewReview))
		if err == nil {
			n := totals["overdue"]
			key := "home.plan.review"
			if n == 0 {
				key = "home.plan.review_none"
			}
			items = append(items, web.HomeItem{Key: key, Args: []any{monthLabel(locale.FromRequest(r), month)}, Count: n, Href: "/review?month=" + month, Alert: n > 0})
			// Those who may reassign are told what waits for them.
			if n := totals["reassign"]; n > 0 && s.can(r, ManagePlans, 0) {
				items = append(items, web.HomeItem{Key: "home.plan.reassign", Count: n, Href: "/review?month=" + month + "#reassign-h", Alert: true})
			}
		}
	}
	return items
}

// monthLabel writes YYYY-MM as the language does ("tháng 11/2026").
func monthLabel(lang locale.Lang, month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return locale.T(lang, "review.month_label", int(t.Month()), t.Year(), t.Month().String())
}
