package dti

import (
	"errors"
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
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/web"
)

// The pages of the assessment cycle: open an assessment, self-assess a
// component with evidence files, submit, review, appraise, publish and
// correct. Each form posts to a page route that calls the same store
// method as the API and, on bad input, shows the form again with what was
// typed and a message naming the field; a step refused because of the
// unit's state or the deadline shows as the form's error, not an error
// page.

var (
	openPage       = newPage("open.html")
	assessmentPage = newPage("assessment.html")
	componentPage  = newPage("component.html")
)

func (s *Store) cycleRoutes(site *web.Site) {
	site.Page("GET /dti/frameworks/import", s.importShow)
	site.Page("POST /dti/frameworks/import", s.importSubmit)
	site.Page("GET /dti/assessments/new", s.openShow)
	site.Page("POST /dti/assessments", s.openSubmit)
	site.Page("GET /dti/assessments/{id}", s.assessmentShow)
	site.Page("POST /dti/assessments/{id}/publish", s.publishSubmit)
	site.Page("GET /dti/assessments/{id}/units/{unit}/components/{code}", s.componentShow)
	site.Page("POST /dti/assessments/{id}/units/{unit}/components/{code}", s.componentSubmit)
	site.Page("POST /dti/assessments/{id}/units/{unit}/submit", s.submitSubmit)
	site.Page("POST /dti/assessments/{id}/units/{unit}/review", s.reviewSubmit)
	site.Page("POST /dti/assessments/{id}/units/{unit}/appraisal", s.appraisalSubmit)
	site.Page("POST /dti/assessments/{id}/units/{unit}/corrections", s.correctionSubmit)
}

// asForm turns a step's refusal that names no field (a state conflict, the
// deadline, an appraiser who self-assessed) into an error of the form as a
// whole, so the page shows it above the form; other errors are returned.
func asForm(lang locale.Lang, err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) > 0 || e.Key == "" || e.Status == http.StatusForbidden && e.Code != ErrSelfAssessed.Code || e.Status == http.StatusNotFound {
		return err
	}
	return &errs.Error{Status: e.Status, Code: e.Code, Fields: []errs.Field{{Name: "form", Code: "dti.step", Args: []any{locale.T(lang, e.Key, e.Args...)}, Context: "dti"}}}
}

// parseNumber reads a number typed in the page's language into *dst; a
// text that is no number is a field error.
func parseNumber(v *errs.Validator, lang locale.Lang, field, text string) *float64 {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	d, err := locale.ParseDecimal(lang, text)
	if err == nil {
		if f, perr := strconv.ParseFloat(d, 64); perr == nil {
			return &f
		}
	}
	v.Add(field, "number")
	return nil
}

// ---- open an assessment ----

type openData struct {
	Frameworks []Framework
	F          *Framework
	Year       int
	Years      []int
	Owners     []org.Unit
	Owner      int64
	Units      []unitChoice
	Deadline   string
}

type unitChoice struct {
	org.Unit
	Checked bool
}

func (s *Store) openData(r *http.Request) (openData, error) {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	fs, err := s.Frameworks(ctx)
	if err != nil {
		return openData{}, err
	}
	d := openData{Frameworks: fs}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	fid, _ := strconv.ParseInt(q.Get("framework"), 10, 64)
	for i := range fs {
		if fs[i].ID == fid {
			d.F = &fs[i]
		}
	}
	if d.F == nil {
		return d, nil
	}
	d.Year, _ = strconv.Atoi(q.Get("year"))
	if d.Year < d.F.YearFrom || d.Year > d.F.YearTo {
		d.Year = min(max(time.Now().Year()-1, d.F.YearFrom), d.F.YearTo)
	}
	for y := d.F.YearFrom; y <= d.F.YearTo; y++ {
		d.Years = append(d.Years, y)
	}
	d.Deadline = locale.InputDate(time.Now().AddDate(0, 1, 0).Format(time.DateOnly))
	// Owners: the units of the caller's dti.manage scopes; the framework's
	// owner first when it is one of them.
	scopes := s.org.Scopes(p, ManageDTI)
	owners, err := s.org.UnitsByID(ctx, scopes)
	if err != nil {
		return d, err
	}
	for _, id := range scopes {
		if u, ok := owners[id]; ok {
			if u.Code == d.F.Owner {
				d.Owners = append([]org.Unit{u}, d.Owners...)
			} else {
				d.Owners = append(d.Owners, u)
			}
		}
	}
	if len(d.Owners) == 0 {
		return d, nil
	}
	d.Owner, _ = strconv.ParseInt(q.Get("owner"), 10, 64)
	if _, ok := owners[d.Owner]; !ok {
		d.Owner = d.Owners[0].ID
	}
	// The units of the framework's level under the owner as they stood at
	// the end of the year (or today, for the current year).
	asOf := fmt.Sprintf("%04d-12-31", d.Year)
	if t := org.Today(); asOf > t {
		asOf = t
	}
	units, err := s.org.Units(ctx, org.UnitFilter{AsOf: asOf, Level: d.F.Level})
	if err != nil {
		return d, err
	}
	if units, err = s.org.WithLabels(ctx, units); err != nil {
		return d, err
	}
	picked := map[string]bool{}
	for _, v := range r.PostForm["units"] {
		picked[v] = true
	}
	for _, u := range units {
		if ok, err := s.org.Within(ctx, u.ID, d.Owner); err != nil {
			return d, err
		} else if ok {
			d.Units = append(d.Units, unitChoice{Unit: u, Checked: picked[strconv.FormatInt(u.ID, 10)]})
		}
	}
	return d, nil
}

func (s *Store) openShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManageDTI, 0); err != nil {
		return err
	}
	d, err := s.openData(r)
	if err != nil {
		return err
	}
	return openPage.Render(w, r, d)
}

func (s *Store) openSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, ManageDTI, 0); err != nil {
		return err
	}
	in := AssessmentInput{Name: r.PostFormValue("name"), Deadline: r.PostFormValue("deadline"), Guidance: r.PostFormValue("guidance")}
	in.Framework, _ = strconv.ParseInt(r.PostFormValue("framework"), 10, 64)
	in.Year, _ = strconv.Atoi(r.PostFormValue("year"))
	in.Owner, _ = strconv.ParseInt(r.PostFormValue("owner"), 10, 64)
	for _, v := range r.PostForm["units"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.Units = append(in.Units, id)
		}
	}
	id, err := s.Open(ctx, p, in)
	if err != nil {
		d, derr := s.openData(r)
		if derr != nil {
			return derr
		}
		return openPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, fmt.Sprintf("/dti/assessments/%d?ok=dti_opened", id))
	return nil
}

// ---- an assessment ----

type assessmentData struct {
	Assessment
	CanPublish bool
	Waiting    int
	Components int
}

func (s *Store) assessmentShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.assessmentData(r)
	if err != nil {
		return err
	}
	return assessmentPage.Render(w, r, d)
}

func (s *Store) assessmentData(r *http.Request) (assessmentData, error) {
	ctx := r.Context()
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return assessmentData{}, err
	}
	a, err := s.Assessment(ctx, org.PrincipalFrom(ctx), id)
	if err != nil {
		return assessmentData{}, err
	}
	d := assessmentData{Assessment: a}
	if f, err := s.Framework(ctx, a.Framework.ID); err == nil {
		d.Components = len(f.Components())
	}
	for _, u := range a.Units {
		if u.State != StateAppraised && u.State != StatePublished {
			d.Waiting++
		}
	}
	if a.PublishedAt == nil {
		d.CanPublish, _ = s.org.Can(ctx, org.PrincipalFrom(ctx), ManageDTI, a.Owner.ID)
	}
	return d, nil
}

func (s *Store) publishSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Publish(r.Context(), org.PrincipalFrom(r.Context()), id); err != nil {
		d, derr := s.assessmentData(r)
		if derr != nil {
			return derr
		}
		return assessmentPage.FormError(w, r, asForm(locale.FromRequest(r), err), d)
	}
	web.Redirect(w, r, fmt.Sprintf("/dti/assessments/%d?ok=dti_published", id))
	return nil
}

// ---- self-assessment of one component ----

type componentData struct {
	Sheet     Sheet
	Main      SheetMain
	Line      SheetLine
	Params    []string
	Accept    string
	MaxMB     int
	Guidance  string
	Yes       string // "yes", "no" or ""
	Option    string
	Parts     map[string]bool
	Value     string
	A, B      string
	Score     string
	Comment   string
	Explain   string
	Computed  bool // the component computes itself: the input may stay empty
	Lang      locale.Lang
	Editable  bool
	Asked     string // the review's reason when more evidence was asked for
	NextCode  string // the next component not self-assessed yet
	Indicator string
}

func (s *Store) componentData(r *http.Request) (componentData, error) {
	ctx := r.Context()
	a, u, err := pathUnit(r)
	if err != nil {
		return componentData{}, err
	}
	lang := locale.FromRequest(r)
	sh, err := s.Sheet(ctx, org.PrincipalFrom(ctx), lang, a, u)
	if err != nil {
		return componentData{}, err
	}
	code := r.PathValue("code")
	d := componentData{Sheet: sh, Accept: plan.UploadAccept, MaxMB: plan.MaxAttachment >> 20, Lang: lang, Parts: map[string]bool{}}
	found, passed := false, false
	for _, m := range sh.MainIndices {
		for _, l := range m.Components {
			if l.Code == code {
				d.Main, d.Line, found, passed = m, l, true, true
				continue
			}
			if passed && d.NextCode == "" && l.Score == nil {
				d.NextCode = l.Code
			}
		}
	}
	if !found {
		return d, errs.NotFound
	}
	if asm, err := s.Assessment(ctx, org.PrincipalFrom(ctx), a); err == nil {
		d.Guidance = asm.Guidance
	}
	d.Params = ruleLines(lang, d.Line.Rule, false)
	d.Computed = d.Line.Indicator != ""
	canAssess, err := s.org.Can(ctx, org.PrincipalFrom(ctx), AssessDTI, u)
	if err != nil {
		return d, err
	}
	sc := d.Line.Score
	d.Editable = canAssess && (sh.State == StateOpen || sh.State == StateReturned && sc != nil && sc.Review == AskEvidence)
	if sc != nil {
		if sc.Review == AskEvidence {
			d.Asked = sc.ReviewReason
		}
		in := sc.Input
		if sc.Computed == nil {
			if in.Yes != nil {
				d.Yes = map[bool]string{true: "yes", false: "no"}[*in.Yes]
			}
			d.Option = in.Option
			for _, p := range in.Parts {
				d.Parts[p] = true
			}
			n := func(f *float64) string {
				if f == nil {
					return ""
				}
				return locale.Number(lang, *f, 4)
			}
			d.Value, d.A, d.B, d.Score = n(in.Value), n(in.A), n(in.B), n(in.Score)
		}
		d.Comment, d.Explain = sc.Comment, sc.Explanation
	}
	if r.Method == http.MethodPost {
		f := r.PostForm
		d.Yes, d.Option, d.Value, d.A, d.B, d.Score = f.Get("input.yes"), f.Get("input.option"), f.Get("input.value"), f.Get("input.a"), f.Get("input.b"), f.Get("input.score")
		d.Parts = map[string]bool{}
		for _, p := range f["input.parts"] {
			d.Parts[p] = true
		}
		d.Comment, d.Explain = f.Get("comment"), f.Get("explanation")
	}
	return d, nil
}

func (s *Store) componentShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.componentData(r)
	if err != nil {
		return err
	}
	return componentPage.Render(w, r, d)
}

// scoreForm reads the self-assessment form into a ScoreInput; numbers
// that are not numbers are field errors.
func scoreForm(r *http.Request, rule Rule) (ScoreInput, error) {
	lang := locale.FromRequest(r)
	f := r.PostForm
	in := ScoreInput{Component: r.PathValue("code"), Comment: f.Get("comment"), Explanation: f.Get("explanation")}
	v := errs.Validator{Context: "dti"}
	switch rule.Kind {
	case YesNo:
		switch f.Get("input.yes") {
		case "yes":
			in.Input.Yes = new(true)
		case "no":
			in.Input.Yes = new(false)
		}
	case Tiered:
		in.Input.Option = strings.TrimSpace(f.Get("input.option"))
	case Parts:
		in.Input.Parts = f["input.parts"]
		if in.Input.Parts == nil && f.Get("input.parts_sent") != "" {
			in.Input.Parts = []string{} // declared: no part earned
		}
	case Steps:
		in.Input.Value = parseNumber(&v, lang, "input.value", f.Get("input.value"))
	case Ratio:
		in.Input.A = parseNumber(&v, lang, "input.a", f.Get("input.a"))
		in.Input.B = parseNumber(&v, lang, "input.b", f.Get("input.b"))
		if in.Input.A == nil && in.Input.B == nil {
			in.Input.Value = parseNumber(&v, lang, "input.value", f.Get("input.value"))
		}
	case Manual:
		in.Input.Score = parseNumber(&v, lang, "input.score", f.Get("input.score"))
	}
	files, err := plan.ReadUploads(r)
	if err != nil {
		return in, err
	}
	in.Evidence = files
	return in, v.Err()
}

// renameFields renames the fields of a validation error (errors of other
// kinds pass as they are).
func renameFields(err error, name func(string) string) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = nil
	for _, f := range e.Fields {
		f.Name = name(f.Name)
		c.Fields = append(c.Fields, f)
	}
	return &c
}

// evidenceFields renames evidence[i].x to the file picker, and a part of
// an additive rule to the parts' checkboxes.
func evidenceFields(err error) error {
	return renameFields(err, func(n string) string {
		switch {
		case strings.HasPrefix(n, "evidence["):
			return "file"
		case strings.HasPrefix(n, "input.parts["):
			return "input.parts"
		}
		return n
	})
}

func (s *Store) componentSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return errs.BadRequest
	}
	d, err := s.componentData(r)
	if err != nil {
		return err
	}
	a, u, _ := pathUnit(r)
	in, err := scoreForm(r, d.Line.Rule)
	if err == nil {
		err = s.SelfAssess(r.Context(), org.PrincipalFrom(r.Context()), a, u, in)
	}
	if err != nil {
		return componentPage.FormError(w, r, asForm(locale.FromRequest(r), evidenceFields(err)), d)
	}
	next := fmt.Sprintf("/dti/assessments/%d/units/%d?ok=dti_scored#c%s", a, u, url.PathEscape(d.Line.Code))
	if r.PostFormValue("then") == "next" && d.NextCode != "" {
		next = fmt.Sprintf("/dti/assessments/%d/units/%d/components/%s?ok=dti_scored", a, u, url.PathEscape(d.NextCode))
	}
	web.Redirect(w, r, next)
	return nil
}

// ---- the steps on the sheet ----

func (s *Store) sheetFail(w http.ResponseWriter, r *http.Request, err error) error {
	d, derr := s.sheetData(r)
	if derr != nil {
		return derr
	}
	e, ok := errs.As(asForm(locale.FromRequest(r), err))
	if !ok || len(e.Fields) == 0 {
		return err
	}
	// As Page.FormError, but a field of one component's row (score.1.4,
	// Column 1.4) is named as "Điểm (chỉ số 1.4)".
	v := web.NewView(r, d)
	v.Form = r.PostForm
	for _, f := range e.Fields {
		for _, p := range []string{"score.", "reason.", "appraised.", "areason.", "action."} {
			if f.Column == "" && strings.HasPrefix(f.Name, p) {
				f.Column = strings.TrimPrefix(f.Name, p)
			}
		}
		label := f
		if f.Column != "" {
			label.Name = strings.TrimSuffix(f.Name, "."+f.Column)
			label.Column = locale.T(v.Lang, "dti.sheet.component_n", f.Column)
		}
		v.Errors = append(v.Errors, httpx.ProblemField{Field: f.Name, Code: f.Code, Message: httpx.FieldLabel(v.Lang, label) + ": " + locale.T(v.Lang, "invalid."+f.Code, f.Args...)})
	}
	return sheetPage.RenderView(w, r, e.Status, v)
}

func (s *Store) sheetDone(w http.ResponseWriter, r *http.Request, flash string) {
	a, u, _ := pathUnit(r)
	web.Redirect(w, r, fmt.Sprintf("/dti/assessments/%d/units/%d?ok=%s", a, u, flash))
}

func (s *Store) submitSubmit(w http.ResponseWriter, r *http.Request) error {
	a, u, err := pathUnit(r)
	if err != nil {
		return err
	}
	if err := s.Submit(r.Context(), org.PrincipalFrom(r.Context()), a, u); err != nil {
		return s.sheetFail(w, r, err)
	}
	s.sheetDone(w, r, "dti_submitted")
	return nil
}

// renamed maps the errors of a list input (decisions[3].score) to the
// form's fields (score.1.4) by the component of each entry.
func renamed(err error, list string, codes []string) error {
	return renameFields(err, func(n string) string {
		for i, code := range codes {
			if prefix := fmt.Sprintf("%s[%d].", list, i); strings.HasPrefix(n, prefix) {
				return strings.TrimPrefix(n, prefix) + "." + code
			}
		}
		return n
	})
}

// scoredLines reads the sheet a review or an appraisal form posts to: its
// components, in order.
func (s *Store) scoredLines(r *http.Request) (a, u int64, lang locale.Lang, lines []SheetLine, err error) {
	if a, u, err = pathUnit(r); err != nil {
		return
	}
	lang = locale.FromRequest(r)
	sh, err := s.Sheet(r.Context(), org.PrincipalFrom(r.Context()), lang, a, u)
	if err != nil {
		return
	}
	for _, m := range sh.MainIndices {
		lines = append(lines, m.Components...)
	}
	return
}

func (s *Store) reviewSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, u, lang, lines, err := s.scoredLines(r)
	if err != nil {
		return err
	}
	var in ReviewInput
	var codes []string
	v := errs.Validator{Context: "dti"}
	for _, l := range lines {
		if l.Score == nil || l.Score.Review != "" {
			continue
		}
		action := r.PostFormValue("action." + l.Code)
		if action == "" {
			action = Accept
		}
		d := Decision{Component: l.Code, Action: action, Reason: r.PostFormValue("reason." + l.Code)}
		if action == Adjust {
			d.Score = parseNumber(&v, lang, "score."+l.Code, r.PostFormValue("score."+l.Code))
		}
		in.Decisions = append(in.Decisions, d)
		codes = append(codes, l.Code)
	}
	if err := v.Err(); err != nil {
		return s.sheetFail(w, r, err)
	}
	if _, err := s.Review(ctx, org.PrincipalFrom(ctx), a, u, in); err != nil {
		return s.sheetFail(w, r, renamed(err, "decisions", codes))
	}
	s.sheetDone(w, r, "dti_reviewed")
	return nil
}

func (s *Store) appraisalSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, u, lang, lines, err := s.scoredLines(r)
	if err != nil {
		return err
	}
	var in AppraisalInput
	var codes []string
	v := errs.Validator{Context: "dti"}
	for _, l := range lines {
		if l.Score == nil {
			continue
		}
		score := parseNumber(&v, lang, "appraised."+l.Code, r.PostFormValue("appraised."+l.Code))
		reason := strings.TrimSpace(r.PostFormValue("areason." + l.Code))
		if score == nil && reason == "" {
			continue // keeps the reviewed score
		}
		if score == nil {
			sc := l.Score.reviewed()
			score = &sc
		}
		if *score == l.Score.reviewed() && reason == "" {
			continue
		}
		in.Scores = append(in.Scores, AppraisedScore{Component: l.Code, Score: score, Reason: reason})
		codes = append(codes, l.Code)
	}
	if err := v.Err(); err != nil {
		return s.sheetFail(w, r, err)
	}
	if err := s.Appraise(ctx, org.PrincipalFrom(ctx), a, u, in); err != nil {
		return s.sheetFail(w, r, renamed(err, "scores", codes))
	}
	s.sheetDone(w, r, "dti_appraised")
	return nil
}

func (s *Store) correctionSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, u, err := pathUnit(r)
	if err != nil {
		return err
	}
	v := errs.Validator{Context: "dti"}
	in := CorrectionInput{Component: r.PostFormValue("component"), Reason: r.PostFormValue("reason")}
	in.Score = parseNumber(&v, locale.FromRequest(r), "score", r.PostFormValue("score"))
	if err := v.Err(); err != nil {
		return s.sheetFail(w, r, err)
	}
	if _, err := s.Correct(ctx, org.PrincipalFrom(ctx), a, u, in); err != nil {
		return s.sheetFail(w, r, err)
	}
	s.sheetDone(w, r, "dti_corrected")
	return nil
}

// ---- import a framework from Excel ----

var importPage = newPage("import.html")

func (s *Store) importShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManageDTI, 0); err != nil {
		return err
	}
	fs, err := s.Frameworks(r.Context())
	if err != nil {
		return err
	}
	return importPage.Render(w, r, fs)
}

func (s *Store) importSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, ManageDTI, 0); err != nil {
		return err
	}
	fail := func(err error) error {
		fs, ferr := s.Frameworks(ctx)
		if ferr != nil {
			return ferr
		}
		return importPage.FormError(w, r, err, fs)
	}
	f, err := s.readUpload(w, r)
	if err != nil {
		return fail(err)
	}
	res, err := s.ImportAs(ctx, p, f)
	if err != nil {
		return fail(err)
	}
	if res.Changed {
		if err := audit.Record(ctx, s.db.Write, audit.From(r, audit.DTIFramework, strings.ToUpper(strings.TrimSpace(f.Code)), fmt.Sprintf("revision %d", res.Revision), true)); err != nil {
			return err
		}
	}
	web.Redirect(w, r, fmt.Sprintf("/dti/frameworks/%d?ok=dti_imported", res.ID))
	return nil
}
