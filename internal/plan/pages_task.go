package plan

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// ---- /tasks ----

type tasksData struct {
	All, CanAll bool
	Filter      taskFilters
	Sections    []taskSection
	Total       int
	From, To    int // rows shown, 1-based
	Prev, Next  string
	Units       []option
	Ended       []option
	Pillars     []option
	PillarNames map[string]string
	Statuses    []string
	Roles       []string
	Focused     bool
	MyUnit      string
}

const tasksPerPage = 200

func (s *Store) tasksShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	names, pillars, err := s.pillarNames(r)
	if err != nil {
		return err
	}
	d := tasksData{Pillars: pillars, PillarNames: names, Statuses: statusFilters, Roles: []string{"lead", "coordinating"}}
	d.CanAll = s.can(r, ManagePlans, 0) || s.can(r, ViewReview, 0)
	d.All = d.CanAll && r.URL.Query().Get("scope") == "all"
	if u, err := s.org.Unit(ctx, p.UnitID, ""); err == nil {
		d.MyUnit = u.Name // in a sentence, and the viewer's own: no province needed
	}
	f, fv, ferr := s.pageTaskFilter(r)
	d.Filter = fv
	var focus []int64
	if d.All {
		focus = f.Units
		if d.Units, d.Ended, err = s.unitTree(r); err != nil {
			return err
		}
	} else {
		mine, err := s.MyUnits(ctx, p)
		if err != nil {
			return err
		}
		f.Units, focus = mine, mine
		d.Filter.Unit = ""
	}
	d.Focused = focus != nil
	tasks, err := s.Tasks(ctx, f)
	if err != nil {
		return err
	}
	rows := rowsFor(tasks, focus, fv.Status)
	d.Total = len(rows)
	pg, err := httpx.PageOf(r, tasksPerPage, 1000)
	if err != nil {
		pg = httpx.Page{Limit: tasksPerPage}
	}
	shown := httpx.Slice(rows, pg)
	if len(shown) > 0 {
		d.From, d.To = pg.Offset+1, pg.Offset+len(shown)
	}
	link := func(off int) string {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(off))
		return "/tasks?" + q.Encode()
	}
	if pg.Offset+len(shown) < len(rows) {
		d.Next = link(pg.Offset + pg.Limit)
	}
	if pg.Offset > 0 {
		d.Prev = link(max(0, pg.Offset-pg.Limit))
	}
	// One section per plan.
	plans, err := s.Plans(ctx, "")
	if err != nil {
		return err
	}
	titles := map[int64]Plan{}
	for _, p := range plans {
		titles[p.ID] = p
	}
	for _, row := range shown {
		n := len(d.Sections)
		if n == 0 || d.Sections[n-1].Href != fmt.Sprintf("/plans/%d", row.PlanID) {
			pl := titles[row.PlanID]
			title := pl.Number
			if title == "" {
				title = pl.Issuer
			}
			d.Sections = append(d.Sections, taskSection{Title: title, Sub: pl.Title, Href: fmt.Sprintf("/plans/%d", row.PlanID)})
			n++
		}
		d.Sections[n-1].Rows = append(d.Sections[n-1].Rows, row)
	}
	renderWith(tasksPage, w, r, ferr, d)
	return nil
}

// unitTree lists today's units in tree order (indented) for the unit
// picker, leaving out communes that hold no task (a country has thousands),
// and apart the units that have ended but still hold tasks.
func (s *Store) unitTree(r *http.Request) (active, ended []option, err error) {
	ctx := r.Context()
	holders := map[int64]bool{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT DISTINCT unit_id FROM task_assignments WHERE ended_on = ''`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, nil, err
		}
		holders[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	units, err := s.org.Units(ctx, org.UnitFilter{})
	if err != nil {
		return nil, nil, err
	}
	// Indented as a tree, and labelled with their province all the same:
	// a select shows only the chosen line.
	if units, err = s.org.WithLabels(ctx, units); err != nil {
		return nil, nil, err
	}
	depth := map[int64]int{}
	live := map[int64]bool{}
	for _, u := range units {
		dep := 0
		if u.ParentID != nil {
			if pd, ok := depth[*u.ParentID]; ok {
				dep = pd + 1
			}
		}
		depth[u.ID] = dep
		live[u.ID] = true
		if u.Level == "commune" && !holders[u.ID] {
			continue
		}
		active = append(active, option{Value: strconv.FormatInt(u.ID, 10), Label: strings.Repeat("\u00a0\u00a0", dep) + u.Label})
	}
	var gone []org.Unit
	for id := range holders {
		if live[id] {
			continue
		}
		if u, err := s.org.Unit(ctx, id, ""); err == nil {
			gone = append(gone, u)
		}
	}
	gone, err = s.org.WithLabels(ctx, org.TreeOrder(gone))
	if err != nil {
		return nil, nil, err
	}
	for _, u := range gone {
		ended = append(ended, option{Value: strconv.FormatInt(u.ID, 10), Label: u.Label + " (" + u.Code + ")", Ended: true})
	}
	return active, ended, nil
}

// ---- /tasks/{id} ----

type taskData struct {
	Task        Task
	Plan        Plan
	PillarName  string
	Parts       []partRow // every unit's part
	MyParts     []partRow // the viewer's unit's, shown first
	Others      []partRow // the rest, lead units then coordinating, in Vietnamese order
	OtherCounts map[string]int
	OpenOthers  bool     // few enough to show unfolded
	Updates     []Update // one page of the history, newest first
	UpdateTotal int
	UpdateFrom  int // 1-based, of the page shown
	Older       string
	Newer       string
	Reportable  []Assignment // parts the principal may report on
	DefaultPart int64
	Current     *Assignment // the default part, for the form's defaults
	Statuses    []string
	CanManage   bool
	Accept      string
	MaxMB       int
	Overrides   []string
	// The reassignment form (coordinators): the units the principal may
	// give the task, the current ones selected.
	LeadChoices, CoordChoices []option
	// Flow is the workflow: approval, threads, extensions, edits
	// (pages_workflow.go).
	Flow workflowView
}

// partRow is one unit's part of a task; Mine when it is the viewer's unit.
type partRow struct {
	Assignment
	Mine bool
}

// On a phone the reporter's form came 8,700 px down, below forty units'
// parts: the viewer's own part and the form now come first, the other
// units fold away (unfolded when there are few), and the history is paged.
const (
	openOthersMax  = 8  // other units shown unfolded up to this many
	updatesPerPage = 10 // progress reports per page of history
)

// SizeKB is the file's size in kilobytes, rounded up.
func (a Attachment) SizeKB() float64 { return float64((a.Size + 1023) / 1024) }

// reportStatuses are the statuses a unit may report.
var reportStatuses = []string{"not_started", "in_progress", "done", "paused"}

// accept lists the evidence file types for the file picker.
const accept = ".pdf,.png,.jpg,.jpeg,.doc,.docx,.xls,.xlsx,.txt,.csv,application/pdf,image/png,image/jpeg"

// UploadAccept is accept for other domains' evidence pickers (dti).
const UploadAccept = accept

// ReadUploads reads the files of a form's "file" field as readUploads
// does, for other domains' evidence forms (dti).
func ReadUploads(r *http.Request) ([]FileInput, error) { return readUploads(r) }

func (s *Store) taskData(r *http.Request, id int64) (taskData, error) {
	ctx := r.Context()
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return taskData{}, err
	}
	t, err := s.Task(ctx, id)
	if err != nil {
		return taskData{}, err
	}
	p, err := s.Plan(ctx, t.PlanID)
	if err != nil {
		return taskData{}, err
	}
	ups, err := s.Updates(ctx, id)
	if err != nil {
		return taskData{}, err
	}
	ups = s.visibleUpdates(r, ups)
	names, _, err := s.pillarNames(r)
	if err != nil {
		return taskData{}, err
	}
	d := taskData{Task: t, Plan: p, PillarName: names[t.Pillar], Statuses: reportStatuses, Accept: accept, MaxMB: MaxAttachment >> 20,
		Overrides: []string{"", "paused", "cancelled"}, OtherCounts: map[string]int{}}
	d.pageUpdates(r, ups)
	mine, err := s.MyUnits(ctx, org.PrincipalFrom(ctx))
	if err != nil {
		return d, err
	}
	col := locale.Collator()
	byLabel := func(a, b Assignment) int { return col.CompareString(a.Unit.Label, b.Unit.Label) }
	for _, list := range [][]Assignment{t.LeadUnits, t.CoordinatingUnits} {
		list = slices.Clone(list)
		slices.SortStableFunc(list, byLabel)
		for _, a := range list {
			row := partRow{Assignment: a, Mine: contains64(mine, a.Unit.ID)}
			d.Parts = append(d.Parts, row)
			if row.Mine {
				d.MyParts = append(d.MyParts, row)
			} else {
				d.Others = append(d.Others, row)
				st := a.Status
				if a.Progress > 0 && st == "not_started" {
					st = "in_progress"
				}
				d.OtherCounts[st]++
			}
		}
	}
	d.OpenOthers = len(d.Others) <= openOthersMax
	for i, a := range d.Parts {
		if !s.can(r, ReportTask, a.Unit.ID) {
			continue
		}
		d.Reportable = append(d.Reportable, a.Assignment)
		if d.Current == nil && a.Mine {
			d.DefaultPart, d.Current = a.ID, &d.Parts[i].Assignment
		}
	}
	if d.Current == nil && len(d.Reportable) > 0 {
		d.DefaultPart, d.Current = d.Reportable[0].ID, &d.Reportable[0]
	}
	d.CanManage = s.can(r, ManagePlans, p.IssuerUnit.ID)
	if d.CanManage {
		if d.LeadChoices, d.CoordChoices, err = s.unitChoices(r, t); err != nil {
			return d, err
		}
	}
	return d, s.workflowData(r, &d)
}

// unitChoices lists the units a coordinator may give a task: today's units
// under their plan.manage scopes in tree order, and the task's current
// units even when they have ended (so that saving keeps them). The current
// units, or those just submitted, are selected.
func (s *Store) unitChoices(r *http.Request, t Task) (lead, coord []option, err error) {
	ctx := r.Context()
	units, err := s.org.Units(ctx, org.UnitFilter{})
	if err != nil {
		return nil, nil, err
	}
	if units, err = s.org.WithLabels(ctx, units); err != nil {
		return nil, nil, err
	}
	scopes := s.org.Scopes(org.PrincipalFrom(ctx), ManagePlans)
	depth := map[int64]int{}
	inScope := map[int64]bool{}
	type choice struct {
		id    int64
		label string
		ended bool
	}
	var list []choice
	for _, u := range units { // tree order: parents first
		dep := 0
		if u.ParentID != nil {
			if pd, ok := depth[*u.ParentID]; ok {
				dep = pd + 1
			}
			inScope[u.ID] = inScope[*u.ParentID]
		}
		depth[u.ID] = dep
		if slices.Contains(scopes, u.ID) {
			inScope[u.ID] = true
		}
		if inScope[u.ID] {
			list = append(list, choice{u.ID, strings.Repeat("\u00a0\u00a0", dep) + u.Label + " (" + u.Code + ")", false})
		}
	}
	for _, a := range append(slices.Clone(t.LeadUnits), t.CoordinatingUnits...) {
		if !slices.ContainsFunc(list, func(c choice) bool { return c.id == a.Unit.ID }) {
			list = append(list, choice{a.Unit.ID, cmp.Or(a.Unit.Label, a.Unit.Name) + " (" + a.Unit.Code + ")", true})
		}
	}
	picked := func(field string, current []Assignment) map[string]bool {
		out := map[string]bool{}
		if r.PostForm != nil && r.PostForm.Has("csrf") && r.URL.Path == fmt.Sprintf("/tasks/%d/units", t.ID) {
			for _, v := range r.PostForm[field] {
				out[v] = true
			}
			return out
		}
		for _, a := range current {
			out[strconv.FormatInt(a.Unit.ID, 10)] = true
		}
		return out
	}
	leadSel, coordSel := picked("lead", t.LeadUnits), picked("coordinating", t.CoordinatingUnits)
	for _, c := range list {
		v := strconv.FormatInt(c.id, 10)
		lead = append(lead, option{Value: v, Label: c.label, Ended: c.ended, Selected: leadSel[v]})
		coord = append(coord, option{Value: v, Label: c.label, Ended: c.ended, Selected: coordSel[v]})
	}
	return lead, coord, nil
}

// pageUpdates keeps one page of the history: ?history=N starts at the N-th
// newest report.
func (d *taskData) pageUpdates(r *http.Request, ups []Update) {
	d.UpdateTotal = len(ups)
	off, err := strconv.Atoi(r.URL.Query().Get("history"))
	if err != nil || off < 0 || off >= len(ups) {
		off = 0
	}
	end := min(off+updatesPerPage, len(ups))
	d.Updates = ups[off:end]
	if len(d.Updates) > 0 {
		d.UpdateFrom = off + 1
	}
	link := func(o int) string {
		q := url.Values{}
		if o > 0 {
			q.Set("history", strconv.Itoa(o))
		}
		u := "/tasks/" + strconv.FormatInt(d.Task.ID, 10)
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		return u + "#history"
	}
	if end < len(ups) {
		d.Older = link(end)
	}
	if off > 0 {
		d.Newer = link(max(0, off-updatesPerPage))
	}
}

func (s *Store) taskShow(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.taskData(r, id)
	if err != nil {
		return err
	}
	return taskPage.Render(w, r, d)
}

// uploadTypes maps file extensions to the types AllowedTypes knows, for
// browsers that send application/octet-stream or a variant name.
var uploadTypes = map[string]string{
	".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".doc": "application/msword", ".xls": "application/vnd.ms-excel",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".txt":  "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8",
}

// uploadType is the type an uploaded file is stored with: the type the
// browser sent, normalised; the extension's when that is not one we take.
func uploadType(fh *multipart.FileHeader) string {
	mt, _, _ := mime.ParseMediaType(fh.Header.Get("Content-Type"))
	switch mt {
	case "text/plain", "text/csv":
		mt += "; charset=utf-8"
	case "":
		mt = "application/octet-stream"
	}
	if !AllowedTypes[mt] {
		if t, ok := uploadTypes[strings.ToLower(path.Ext(fh.Filename))]; ok {
			return t
		}
	}
	return mt
}

// uploadName keeps the last element of a file name (old browsers send the
// whole Windows path).
func uploadName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSpace(name)
}

// readUploads reads the evidence files of a form, each up to one byte more
// than MaxAttachment so that PostUpdate names a file too large.
func readUploads(r *http.Request) ([]FileInput, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []FileInput
	for _, fh := range r.MultipartForm.File["file"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the empty part of a form sent without a file
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, MaxAttachment+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, FileInput{Filename: uploadName(fh.Filename), ContentType: uploadType(fh), Data: data})
	}
	return out, nil
}

// formFields renames the fields of a progress report's errors to the form's
// inputs: body is the report's text, attachments[i] the file picker.
func formFields(err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = nil
	seen := map[string]bool{}
	for _, f := range e.Fields {
		switch {
		case f.Name == "body":
			f.Name = "report"
		case strings.HasPrefix(f.Name, "attachments["):
			f.Name = "file"
		}
		if k := f.Name + "/" + f.Code; !seen[k] {
			seen[k] = true
			c.Fields = append(c.Fields, f)
		}
	}
	return &c
}

func (s *Store) taskUpdateSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	// The session middleware has parsed the form already (to check the
	// CSRF token); this only picks up what it found.
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return errs.BadRequest
	}
	in := UpdateInput{Status: r.PostFormValue("status"), Body: r.PostFormValue("report")}
	in.AssignmentID, _ = strconv.ParseInt(r.PostFormValue("assignmentId"), 10, 64)
	prog := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.PostFormValue("progress")), "%"))
	switch n, err := strconv.Atoi(prog); {
	case prog == "" && in.Status == "done":
		in.Progress = 100
	case err != nil:
		in.Progress = -1 // reported as out of range
	default:
		in.Progress = n
	}
	if in.Attachments, err = readUploads(r); err != nil {
		return err
	}
	in.Draft = r.PostFormValue("draft") == "1"
	report, err := s.postReport(r, id, in)
	if err != nil {
		d, derr := s.taskData(r, id)
		if derr != nil {
			return derr
		}
		return taskPage.FormError(w, r, formFields(err), d)
	}
	web.Redirect(w, r, fmt.Sprintf("/tasks/%d?ok=%s#history", id, s.reportFlash(r, report)))
	return nil
}

func (s *Store) taskOverrideSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.setOverride(r, id, r.PostFormValue("statusOverride")); err != nil {
		d, derr := s.taskData(r, id)
		if derr != nil {
			return derr
		}
		return taskPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, "/tasks/"+strconv.FormatInt(id, 10)+"?ok=saved")
	return nil
}

// unitsFormFields renames a reassignment's errors to the form's two
// pickers.
func unitsFormFields(err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = nil
	for _, f := range e.Fields {
		switch {
		case strings.HasPrefix(f.Name, "leadUnits"):
			f.Name = "lead"
		case strings.HasPrefix(f.Name, "coordinatingUnits"):
			f.Name = "coordinating"
		}
		c.Fields = append(c.Fields, f)
	}
	return &c
}

func (s *Store) taskUnitsSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	var in UnitsInput
	var v errs.Validator
	for field, out := range map[string]*[]int64{"lead": &in.LeadUnits, "coordinating": &in.CoordinatingUnits} {
		for _, x := range r.PostForm[field] {
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				v.Add(field, "invalid")
				continue
			}
			*out = append(*out, n)
		}
	}
	err = v.Err()
	if err == nil {
		err = s.setUnits(r, id, in)
	}
	if err != nil {
		d, derr := s.taskData(r, id)
		if derr != nil {
			return derr
		}
		return taskPage.FormError(w, r, unitsFormFields(err), d)
	}
	web.Redirect(w, r, fmt.Sprintf("/tasks/%d?ok=units_saved#parts", id))
	return nil
}
