package dti

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// The framework editor: a coordinator (Sở KH&CN) builds the province's own
// cascaded set field by field. Each form makes one change through
// EditFramework (CreateFramework for a new one), so the importer's checks
// name what is wrong; the form shows again with what was typed and the
// message on the field. A framework an assessment uses is locked and
// offers a new version (CopyFramework).

var (
	frameworkNewPage  = newPage("framework_new.html")
	frameworkEditPage = newPage("framework_edit.html")
	mainFormPage      = newPage("main_form.html")
	componentFormPage = newPage("component_form.html")
)

func (s *Store) editorRoutes(site *web.Site) {
	site.Page("GET /dti/frameworks/new", s.frameworkNew)
	site.Page("POST /dti/frameworks", s.frameworkCreate)
	site.Page("GET /dti/frameworks/{id}/edit", s.frameworkEdit)
	site.Page("POST /dti/frameworks/{id}", s.frameworkSave)
	site.Page("POST /dti/frameworks/{id}/groups", s.groupSave)
	site.Page("GET /dti/frameworks/{id}/mains/new", s.mainShow)
	site.Page("GET /dti/frameworks/{id}/mains/{main}", s.mainShow)
	site.Page("POST /dti/frameworks/{id}/mains", s.mainSave)
	site.Page("GET /dti/frameworks/{id}/mains/{main}/components/new", s.componentFormShow)
	site.Page("GET /dti/frameworks/{id}/components/{code}", s.componentFormShow)
	site.Page("POST /dti/frameworks/{id}/components", s.componentSave)
	site.Page("POST /dti/frameworks/{id}/move", s.elementMove)
	site.Page("POST /dti/frameworks/{id}/remove", s.elementRemove)
	site.Page("POST /dti/frameworks/{id}/copy", s.frameworkCopy)
}

// editorError writes a failed change's problems for a form: a field under
// prefix (the edited element's JSON path, "mainIndices[1].components[0].")
// loses it, a sum its points break (the parent's maxPoints, the total) is
// the form's points, anything else is the form's as a whole. Each message
// names the field as the form labels it: "Điểm của lựa chọn (dòng 2)".
func editorError(r *http.Request, err error, prefix string, sums []string, rows func(string) string) ([]httpx.ProblemField, int, error) {
	lang := locale.FromRequest(r)
	e, ok := errs.As(asForm(lang, err))
	if !ok || len(e.Fields) == 0 {
		return nil, 0, err
	}
	var out []httpx.ProblemField
	for _, f := range e.Fields {
		name := f.Name
		switch {
		case name == "form":
		case prefix != "" && strings.HasPrefix(name, prefix):
			name = strings.TrimPrefix(name, prefix)
		case slices.Contains(sums, name):
			name = "maxPoints"
		case prefix != "":
			name = "form"
		}
		if rows != nil {
			name = rows(name)
		}
		label := f
		label.Name, label.Context = rowIndex.ReplaceAllString(name, ""), "dti"
		if m := rowIndex.FindStringSubmatch(name); m != nil {
			n, _ := strconv.Atoi(m[1])
			label.Column = locale.T(lang, "dti.edit.row", n+1)
		}
		args := make([]any, len(f.Args))
		for i, a := range f.Args {
			args[i] = memberLabel(lang, a, rows)
		}
		out = append(out, httpx.ProblemField{Field: name, Code: f.Code, Message: httpx.FieldLabel(lang, label) + ": " + locale.T(lang, "invalid."+f.Code, args...)})
	}
	return out, e.Status, nil
}

var (
	rowIndex  = regexp.MustCompile(`\[(\d+)\]`)
	memberRef = regexp.MustCompile(`^(\w+)\[(\d+)\](?:\.components\[(\d+)\])?$`)
)

// memberLabel writes a member a message names by its JSON path (the step
// it overlaps, "steps[1]"; the main index it duplicates, "mainIndices[0]")
// as the form shows it: "dòng 2", "chỉ số chính thứ 1".
func memberLabel(lang locale.Lang, a any, rows func(string) string) any {
	s, ok := a.(string)
	m := memberRef.FindStringSubmatch(s)
	if !ok || m == nil {
		return a
	}
	n, _ := strconv.Atoi(m[2])
	switch {
	case m[1] == "mainIndices" && m[3] != "":
		c, _ := strconv.Atoi(m[3])
		return locale.T(lang, "dti.edit.nth_component", c+1, n+1)
	case m[1] == "mainIndices":
		return locale.T(lang, "dti.edit.nth_main", n+1)
	case m[1] == "groups":
		return locale.T(lang, "dti.edit.nth_group", n+1)
	}
	if rows != nil {
		if k := rowIndex.FindStringSubmatch(rows("rule." + s)); k != nil {
			n, _ = strconv.Atoi(k[1])
		}
	}
	return locale.T(lang, "dti.edit.row", n+1)
}

// renderFailed shows page again with the problems of err (see editorError).
func renderFailed(w http.ResponseWriter, r *http.Request, page *web.Page, err error, data any, prefix string, sums []string, rows func(string) string) error {
	problems, status, err := editorError(r, err, prefix, sums, rows)
	if err != nil {
		return err
	}
	v := web.NewView(r, data)
	v.Form = r.PostForm
	v.Errors = problems
	return page.RenderView(w, r, status, v)
}

// ---- a new framework ----

type frameworkNewData struct {
	Owners []org.Unit
	Levels []string
}

// newData offers as owners the provinces within the caller's dti.manage
// scopes (a province's coordinator: their province; the nation's
// administrator: every province).
func (s *Store) newData(r *http.Request) (frameworkNewData, error) {
	ctx := r.Context()
	d := frameworkNewData{Levels: Levels[1:]}
	scopes := s.org.Scopes(org.PrincipalFrom(ctx), ManageDTI)
	provinces, err := s.org.Units(ctx, org.UnitFilter{AsOf: org.Today(), Level: LevelProvince})
	if err != nil {
		return d, err
	}
	for _, u := range provinces {
		for _, sc := range scopes {
			if ok, err := s.org.Within(ctx, u.ID, sc); err != nil {
				return d, err
			} else if ok {
				d.Owners = append(d.Owners, u)
				break
			}
		}
	}
	slices.SortFunc(d.Owners, func(a, b org.Unit) int { return strings.Compare(a.Code, b.Code) })
	return d, nil
}

func (s *Store) frameworkNew(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManageDTI, 0); err != nil {
		return err
	}
	d, err := s.newData(r)
	if err != nil {
		return err
	}
	return frameworkNewPage.Render(w, r, d)
}

// headerForm reads a framework's header fields into f; numbers and years
// that are not are field errors.
func headerForm(r *http.Request, f *Framework) error {
	lang := locale.FromRequest(r)
	v := errs.Validator{Context: "dti"}
	p := r.PostForm
	f.Name, f.Decision, f.Issuer, f.Level, f.Note = p.Get("name"), p.Get("decision"), p.Get("issuer"), p.Get("level"), p.Get("note")
	f.IssuedOn = strings.TrimSpace(p.Get("issuedOn"))
	if f.IssuedOn != "" {
		f.IssuedOn = locale.FormDate(f.IssuedOn)
	}
	f.YearFrom, f.YearTo = formYear(&v, p, "yearFrom"), formYear(&v, p, "yearTo")
	f.TotalPoints = requiredNumber(&v, lang, "totalPoints", p.Get("totalPoints"))
	return v.Err()
}

func (s *Store) frameworkCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, ManageDTI, 0); err != nil {
		return err
	}
	f := Framework{Code: r.PostFormValue("code")}
	err := headerForm(r, &f)
	var id int64
	if err == nil {
		if oid, _ := strconv.ParseInt(r.PostFormValue("owner"), 10, 64); oid != 0 {
			if u, uerr := s.org.Unit(ctx, oid, ""); uerr == nil {
				f.Owner = u.Code
			}
		}
		if f.Owner == "" {
			err = errs.Invalid(errs.Field{Name: "owner", Code: "required", Context: "dti"})
		} else {
			id, err = s.CreateFramework(ctx, p, f)
		}
	}
	if err != nil {
		d, derr := s.newData(r)
		if derr != nil {
			return derr
		}
		return renderFailed(w, r, frameworkNewPage, err, d, "", nil, nil)
	}
	web.Redirect(w, r, fmt.Sprintf("/dti/frameworks/%d/edit?ok=dti_framework_created", id))
	return nil
}

// ---- the editor ----

type editorData struct {
	F        Framework
	Mains    []mainRow
	Levels   []string
	Used     int      // assessments using it: locked when above 0
	Problems []string // what keeps it from being used, as messages
	Sum      float64  // the points of its main indices
	Fill     []float64
	NextYear int
}

// editable loads framework {id} for an editor page: the caller needs
// dti.manage on its owner.
func (s *Store) editable(r *http.Request) (Framework, error) {
	ctx := r.Context()
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return Framework{}, err
	}
	f, err := s.Framework(ctx, id)
	if err != nil {
		return Framework{}, err
	}
	return f, s.authorizeOwner(ctx, org.PrincipalFrom(ctx), f.Owner)
}

func (s *Store) used(r *http.Request, id int64) (int, error) {
	var n int
	err := s.db.Read.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM dti_assessments WHERE framework_id = $1`, id).Scan(&n)
	return n, err
}

func (s *Store) editorData(r *http.Request) (editorData, error) {
	f, err := s.editable(r)
	if err != nil {
		return editorData{}, err
	}
	lang := locale.FromRequest(r)
	d := editorData{F: f, Levels: Levels[1:], NextYear: f.YearTo + 1}
	if f.Level == LevelProvince {
		d.Levels = Levels
	}
	if d.Used, err = s.used(r, f.ID); err != nil {
		return d, err
	}
	for _, m := range f.MainIndices {
		mr := mainRow{MainIndex: m}
		sum := 0.0
		for _, c := range m.Components {
			sum += c.MaxPoints
			mr.Rows = append(mr.Rows, componentRow{Component: c, Params: strings.Join(ruleLines(lang, c.Rule, false), "; ")})
		}
		d.Mains = append(d.Mains, mr)
		d.Fill = append(d.Fill, sum)
		if m.IsScored() {
			d.Sum += m.MaxPoints
		}
	}
	problems, err := s.Problems(r.Context(), f)
	if err != nil {
		return d, err
	}
	for _, p := range problems {
		p = frameworkField(f, p)
		for i, a := range p.Args {
			p.Args[i] = memberLabel(lang, a, nil)
		}
		d.Problems = append(d.Problems, httpx.FieldMessage(lang, p))
	}
	return d, nil
}

// frameworkField names a whole-framework problem by the element it is on:
// "mainIndices[1].maxPoints" is main index 2's points.
func frameworkField(f Framework, p errs.Field) errs.Field {
	m := elementPath.FindStringSubmatch(p.Name)
	if m == nil {
		return p
	}
	i, _ := strconv.Atoi(m[1])
	if i >= len(f.MainIndices) {
		return p
	}
	p.Column = f.MainIndices[i].Code
	if m[2] != "" {
		j, _ := strconv.Atoi(m[2])
		if j >= len(f.MainIndices[i].Components) {
			return p
		}
		p.Column = f.MainIndices[i].Components[j].Code
	}
	p.Name = rowIndex.ReplaceAllString(m[3], "")
	return p
}

var elementPath = regexp.MustCompile(`^mainIndices\[(\d+)\]\.(?:components\[(\d+)\]\.)?(.+)$`)

func (s *Store) frameworkEdit(w http.ResponseWriter, r *http.Request) error {
	d, err := s.editorData(r)
	if err != nil {
		return err
	}
	return frameworkEditPage.Render(w, r, d)
}

// edit applies a change from a form of framework {id} at the revision the
// form was shown at.
func (s *Store) edit(r *http.Request, what string, change func(*Framework) error) (Framework, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return Framework{}, err
	}
	rev, _ := strconv.Atoi(r.PostFormValue("revision"))
	if rev == 0 {
		return Framework{}, ErrStaleFramework
	}
	return s.EditFramework(r.Context(), org.PrincipalFrom(r.Context()), id, rev, what, change)
}

func (s *Store) editorFail(w http.ResponseWriter, r *http.Request, err error, prefix string, sums []string) error {
	d, derr := s.editorData(r)
	if derr != nil {
		return derr
	}
	return renderFailed(w, r, frameworkEditPage, err, d, prefix, sums, nil)
}

func editorDone(w http.ResponseWriter, r *http.Request, anchor string) {
	web.Redirect(w, r, fmt.Sprintf("/dti/frameworks/%s/edit?ok=dti_framework_saved#%s", r.PathValue("id"), anchor))
}

func (s *Store) frameworkSave(w http.ResponseWriter, r *http.Request) error {
	_, err := s.edit(r, "header changed", func(f *Framework) error { return headerForm(r, f) })
	if err != nil {
		return s.editorFail(w, r, err, "", nil)
	}
	editorDone(w, r, "header")
	return nil
}

// groupSave adds a group (old empty) or changes group old.
func (s *Store) groupSave(w http.ResponseWriter, r *http.Request) error {
	old := r.PostFormValue("old")
	g := Group{Code: strings.TrimSpace(r.PostFormValue("group.code")), Name: r.PostFormValue("group.name")}
	at := -1
	_, err := s.edit(r, "group "+g.Code+" saved", func(f *Framework) error {
		if old == "" {
			at = len(f.Groups)
			f.Groups = append(f.Groups, g)
			return nil
		}
		at = slices.IndexFunc(f.Groups, func(x Group) bool { return x.Code == old })
		if at < 0 {
			return errs.NotFound
		}
		f.Groups[at] = g
		for i := range f.MainIndices {
			if f.MainIndices[i].Group == old {
				f.MainIndices[i].Group = g.Code
			}
		}
		return nil
	})
	if err != nil {
		return s.editorFail(w, r, err, fmt.Sprintf("groups[%d].", at), nil)
	}
	editorDone(w, r, "groups")
	return nil
}

// move and remove: kind group, main or component, by code.
func (s *Store) elementMove(w http.ResponseWriter, r *http.Request) error {
	kind, code, up := r.PostFormValue("kind"), r.PostFormValue("code"), r.PostFormValue("dir") == "up"
	_, err := s.edit(r, fmt.Sprintf("%s %s moved", kind, code), func(f *Framework) error {
		return element(f, kind, code, func(n, i int, swap func(a, b int)) error {
			j := i + 1
			if up {
				j = i - 1
			}
			if j >= 0 && j < n {
				swap(i, j)
			}
			return nil
		})
	})
	if err != nil {
		return s.editorFail(w, r, err, "", nil)
	}
	editorDone(w, r, anchorOf(kind, code))
	return nil
}

func (s *Store) elementRemove(w http.ResponseWriter, r *http.Request) error {
	kind, code := r.PostFormValue("kind"), r.PostFormValue("code")
	_, err := s.edit(r, fmt.Sprintf("%s %s removed", kind, code), func(f *Framework) error {
		switch kind {
		case "group":
			n := len(f.Groups)
			f.Groups = slices.DeleteFunc(f.Groups, func(g Group) bool { return g.Code == code })
			if len(f.Groups) == n {
				return errs.NotFound
			}
			for i := range f.MainIndices {
				if f.MainIndices[i].Group == code {
					f.MainIndices[i].Group = ""
				}
			}
			return nil
		case "main":
			n := len(f.MainIndices)
			f.MainIndices = slices.DeleteFunc(f.MainIndices, func(m MainIndex) bool { return m.Code == code })
			if len(f.MainIndices) == n {
				return errs.NotFound
			}
			return nil
		case "component":
			for i := range f.MainIndices {
				m := &f.MainIndices[i]
				if j := slices.IndexFunc(m.Components, func(c Component) bool { return c.Code == code }); j >= 0 {
					m.Components = slices.Delete(m.Components, j, j+1)
					return nil
				}
			}
		}
		return errs.NotFound
	})
	if err != nil {
		return s.editorFail(w, r, err, "", nil)
	}
	editorDone(w, r, "mains")
	return nil
}

// element finds a group, main index or component by code and hands its
// list's length, its place and a swap of two places to do.
func element(f *Framework, kind, code string, do func(n, i int, swap func(a, b int)) error) error {
	switch kind {
	case "group":
		if i := slices.IndexFunc(f.Groups, func(g Group) bool { return g.Code == code }); i >= 0 {
			return do(len(f.Groups), i, func(a, b int) { f.Groups[a], f.Groups[b] = f.Groups[b], f.Groups[a] })
		}
	case "main":
		if i := slices.IndexFunc(f.MainIndices, func(m MainIndex) bool { return m.Code == code }); i >= 0 {
			return do(len(f.MainIndices), i, func(a, b int) { f.MainIndices[a], f.MainIndices[b] = f.MainIndices[b], f.MainIndices[a] })
		}
	case "component":
		for k := range f.MainIndices {
			cs := f.MainIndices[k].Components
			if i := slices.IndexFunc(cs, func(c Component) bool { return c.Code == code }); i >= 0 {
				return do(len(cs), i, func(a, b int) { cs[a], cs[b] = cs[b], cs[a] })
			}
		}
	}
	return errs.NotFound
}

func anchorOf(kind, code string) string {
	switch kind {
	case "group":
		return "groups"
	case "main":
		return "m" + code
	}
	return "c" + code
}

func (s *Store) frameworkCopy(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.editable(r)
	if err != nil {
		return err
	}
	v := errs.Validator{Context: "dti"}
	from, to := formYear(&v, r.PostForm, "yearFrom"), formYear(&v, r.PostForm, "yearTo")
	err = v.Err()
	var id int64
	if err == nil {
		id, err = s.CopyFramework(ctx, org.PrincipalFrom(ctx), f.ID, r.PostFormValue("code"), from, to)
	}
	if err != nil {
		return s.editorFail(w, r, err, "", nil)
	}
	web.Redirect(w, r, fmt.Sprintf("/dti/frameworks/%d/edit?ok=dti_framework_copied", id))
	return nil
}

// ---- a main index ----

type mainFormData struct {
	F       Framework
	M       MainIndex
	Old     string // its code when it is changed, empty when added
	Used    int
	Pillars []Pillar
	Room    float64 // the points the framework's total leaves it
}

func (s *Store) mainData(r *http.Request) (mainFormData, error) {
	f, err := s.editable(r)
	if err != nil {
		return mainFormData{}, err
	}
	d := mainFormData{F: f, Old: r.PathValue("main"), Room: f.TotalPoints}
	if r.Method == http.MethodPost {
		d.Old = r.PostFormValue("old")
	}
	found := d.Old == ""
	for _, m := range f.MainIndices {
		if m.Code == d.Old && d.Old != "" {
			d.M, found = m, true
		} else if m.IsScored() {
			d.Room -= m.MaxPoints
		}
	}
	if !found {
		return d, errs.NotFound
	}
	if d.Used, err = s.used(r, f.ID); err != nil {
		return d, err
	}
	d.Pillars, err = s.Pillars(r.Context())
	return d, err
}

func (s *Store) mainShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.mainData(r)
	if err != nil {
		return err
	}
	return mainFormPage.Render(w, r, d)
}

func (s *Store) mainSave(w http.ResponseWriter, r *http.Request) error {
	d, err := s.mainData(r)
	if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	p := r.PostForm
	v := errs.Validator{Context: "dti"}
	m := d.M // keeps its id, components and whether it is scored
	m.Code, m.Name, m.Group, m.Pillar, m.Provenance, m.Source = p.Get("code"), p.Get("name"), p.Get("group"), p.Get("pillar"), p.Get("provenance"), p.Get("source")
	m.MaxPoints = requiredNumber(&v, lang, "maxPoints", p.Get("maxPoints"))
	if m.Components == nil {
		m.Components = []Component{}
	}
	at := -1
	err = v.Err()
	if err == nil {
		_, err = s.edit(r, "main index "+strings.TrimSpace(m.Code)+" saved", func(f *Framework) error {
			if d.Old == "" {
				at = len(f.MainIndices)
				f.MainIndices = append(f.MainIndices, m)
				return nil
			}
			at = slices.IndexFunc(f.MainIndices, func(x MainIndex) bool { return x.Code == d.Old })
			if at < 0 {
				return errs.NotFound
			}
			f.MainIndices[at] = m
			return nil
		})
	}
	if err != nil {
		return renderFailed(w, r, mainFormPage, err, d, fmt.Sprintf("mainIndices[%d].", at), []string{"totalPoints"}, nil)
	}
	editorDone(w, r, "m"+strings.TrimSpace(m.Code))
	return nil
}

// ---- a component ----

type componentFormData struct {
	F          Framework
	Main       MainIndex
	C          Component
	Old        string
	Used       int
	Kinds      []string
	Indicators []indicatorChoice
	Room       float64 // the points its main index leaves it
	Options    []Option
	Parts      []Option
	Steps      []stepRow
}

type indicatorChoice struct{ Code, Name string }

type stepRow struct{ Min, Max, Points string }

func (s *Store) componentFormData(r *http.Request) (componentFormData, error) {
	f, err := s.editable(r)
	if err != nil {
		return componentFormData{}, err
	}
	lang := locale.FromRequest(r)
	d := componentFormData{F: f, Kinds: RuleKinds, Old: r.PathValue("code")}
	main := r.PathValue("main")
	if r.Method == http.MethodPost {
		d.Old, main = r.PostFormValue("old"), r.PostFormValue("main")
	}
	found := false
	for _, m := range f.MainIndices {
		for _, c := range m.Components {
			if d.Old != "" && c.Code == d.Old {
				d.Main, d.C, found = m, c, true
			}
		}
		if d.Old == "" && m.Code == main {
			d.Main, found = m, true
		}
	}
	if !found {
		return d, errs.NotFound
	}
	d.Room = d.Main.MaxPoints
	for _, c := range d.Main.Components {
		if c.Code != d.Old {
			d.Room -= c.MaxPoints
		}
	}
	if d.C.Rule.Kind == "" {
		d.C.Rule.Kind = YesNo
	}
	if d.Used, err = s.used(r, f.ID); err != nil {
		return d, err
	}
	if s.reports != nil {
		list, err := s.reports.Indicators(r.Context())
		if err != nil {
			return d, err
		}
		for _, i := range list {
			d.Indicators = append(d.Indicators, indicatorChoice{Code: i.Code, Name: i.Name})
		}
	}
	// The rows a rule's lists are typed in: the stored ones and blank ones.
	d.Options = append(slices.Clone(d.C.Rule.Options), make([]Option, max(2, 4-len(d.C.Rule.Options)))...)
	d.Parts = append(slices.Clone(d.C.Rule.Parts), make([]Option, max(1, 3-len(d.C.Rule.Parts)))...)
	n := func(p *float64) string {
		if p == nil {
			return ""
		}
		return locale.Number(lang, *p, 4)
	}
	for _, st := range d.C.Rule.Steps {
		d.Steps = append(d.Steps, stepRow{Min: n(st.Min), Max: n(st.Max), Points: locale.Number(lang, st.Points, 4)})
	}
	d.Steps = append(d.Steps, make([]stepRow, max(2, 5-len(d.Steps)))...)
	if r.Method == http.MethodPost { // as many rows as were sent
		grow := func(list string) int {
			k := 0
			for r.PostForm.Has(fmt.Sprintf("rule.%s[%d].points", list, k)) {
				k++
			}
			return k
		}
		if k := grow("options"); k > len(d.Options) {
			d.Options = append(d.Options, make([]Option, k-len(d.Options))...)
		}
		if k := grow("parts"); k > len(d.Parts) {
			d.Parts = append(d.Parts, make([]Option, k-len(d.Parts))...)
		}
		if k := grow("steps"); k > len(d.Steps) {
			d.Steps = append(d.Steps, make([]stepRow, k-len(d.Steps))...)
		}
	}
	return d, nil
}

func (s *Store) componentFormShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.componentFormData(r)
	if err != nil {
		return err
	}
	return componentFormPage.Render(w, r, d)
}

// ruleForm reads a component's rule from its form: only the members of
// the kind chosen; blank rows are skipped. at maps a row of the rule's
// list back to the row of the form it was typed in.
func ruleForm(r *http.Request, v *errs.Validator) (Rule, map[string]int) {
	lang := locale.FromRequest(r)
	p := r.PostForm
	rule := Rule{Kind: strings.TrimSpace(p.Get("rule.kind"))}
	at := map[string]int{}
	list := func(name string) []Option {
		var out []Option
		for i := 0; p.Has(fmt.Sprintf("rule.%s[%d].points", name, i)); i++ {
			f := fmt.Sprintf("rule.%s[%d].", name, i)
			code, label, points := strings.TrimSpace(p.Get(f+"code")), strings.TrimSpace(p.Get(f+"label")), strings.TrimSpace(p.Get(f+"points"))
			if code == "" && label == "" && points == "" {
				continue
			}
			o := Option{Code: code, Label: label}
			o.Points = requiredNumber(v, lang, f+"points", points)
			at[fmt.Sprintf("%s[%d]", name, len(out))] = i
			out = append(out, o)
		}
		return out
	}
	switch rule.Kind {
	case Tiered:
		rule.Options = list("options")
	case Parts:
		rule.Parts = list("parts")
	case Steps:
		rule.Measure = p.Get("rule.measure")
		for i := 0; p.Has(fmt.Sprintf("rule.steps[%d].points", i)); i++ {
			f := fmt.Sprintf("rule.steps[%d].", i)
			lo, hi, points := p.Get(f+"min"), p.Get(f+"max"), strings.TrimSpace(p.Get(f+"points"))
			if strings.TrimSpace(lo) == "" && strings.TrimSpace(hi) == "" && points == "" {
				continue
			}
			st := Step{Min: parseNumber(v, lang, f+"min", lo), Max: parseNumber(v, lang, f+"max", hi)}
			st.Points = requiredNumber(v, lang, f+"points", points)
			at[fmt.Sprintf("steps[%d]", len(rule.Steps))] = i
			rule.Steps = append(rule.Steps, st)
		}
	case Ratio:
		rule.Numerator, rule.Denominator = p.Get("rule.numerator"), p.Get("rule.denominator")
	}
	return rule, at
}

func (s *Store) componentSave(w http.ResponseWriter, r *http.Request) error {
	d, err := s.componentFormData(r)
	if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	p := r.PostForm
	v := errs.Validator{Context: "dti"}
	c := d.C // keeps its id
	c.Code, c.Name, c.Evidence, c.DataSource, c.Verifier, c.Indicator = p.Get("code"), p.Get("name"), p.Get("evidence"), p.Get("dataSource"), p.Get("verifier"), p.Get("indicator")
	c.Provenance, c.Source = p.Get("provenance"), p.Get("source")
	c.MaxPoints = requiredNumber(&v, lang, "maxPoints", p.Get("maxPoints"))
	rule, rows := ruleForm(r, &v)
	c.Rule = rule
	prefix := ""
	err = v.Err()
	if err == nil {
		_, err = s.edit(r, "component "+strings.TrimSpace(c.Code)+" saved", func(f *Framework) error {
			for i := range f.MainIndices {
				m := &f.MainIndices[i]
				if d.Old == "" && m.Code == d.Main.Code {
					prefix = fmt.Sprintf("mainIndices[%d].components[%d].", i, len(m.Components))
					m.Components = append(m.Components, c)
					return nil
				}
				if j := slices.IndexFunc(m.Components, func(x Component) bool { return x.Code == d.Old }); d.Old != "" && j >= 0 {
					prefix = fmt.Sprintf("mainIndices[%d].components[%d].", i, j)
					m.Components[j] = c
					return nil
				}
			}
			return errs.NotFound
		})
	}
	if err != nil {
		var sums []string // the points of its main index
		if main, _, ok := strings.Cut(prefix, ".components["); ok {
			sums = []string{main + ".maxPoints"}
		}
		// A row of the rule as the form numbered it.
		back := func(name string) string {
			for k, i := range rows {
				if name == "rule."+k || strings.HasPrefix(name, "rule."+k+".") {
					return "rule." + rowIndex.ReplaceAllString(k, fmt.Sprintf("[%d]", i)) + strings.TrimPrefix(name, "rule."+k)
				}
			}
			return name
		}
		return renderFailed(w, r, componentFormPage, err, d, prefix, sums, back)
	}
	editorDone(w, r, "c"+url.PathEscape(strings.TrimSpace(c.Code)))
	return nil
}

// formYear reads a year from a form; one that is not is a field error.
func formYear(v *errs.Validator, form url.Values, field string) int {
	y, err := strconv.Atoi(strings.TrimSpace(form.Get(field)))
	if err != nil {
		v.Add(field, "dti.year")
	}
	return y
}

// requiredNumber reads a number that must be there: blank is "required", a
// text that is no number "number" (both on the field), 0 then.
func requiredNumber(v *errs.Validator, lang locale.Lang, field, text string) float64 {
	if strings.TrimSpace(text) == "" {
		v.Add(field, "required")
		return 0
	}
	if n := parseNumber(v, lang, field, text); n != nil {
		return *n
	}
	return 0
}
