package dti

import (
	"embed"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// The DTI pages: the overview (frameworks, assessments, published
// results), a framework, the results of a framework and year, and a
// unit's scoring sheet. They call the same store methods as the API.

//go:embed templates/*.html
var pageTemplates embed.FS

func newPage(name string) *web.Page {
	return web.NewPage(pageTemplates, "templates/"+name, "templates/parts.html")
}

var (
	overviewPage  = newPage("overview.html")
	frameworkPage = newPage("framework.html")
	scoresPage    = newPage("scores.html")
	sheetPage     = newPage("sheet.html")
	historyPage   = newPage("history.html")
)

func (s *Store) pageRoutes(site *web.Site) {
	site.AddMenu("/dti", "nav.dti", string(ViewDTI))
	site.Page("GET /dti", s.overviewShow)
	site.Page("GET /dti/frameworks/{id}", s.frameworkShow)
	site.Page("GET /dti/scores", s.scoresShow)
	site.Page("GET /dti/assessments/{id}/units/{unit}", s.sheetShow)
	s.cycleRoutes(site)
	s.editorRoutes(site)
	site.Page("GET /dti/history", s.historyShow)
}

// padIndex keeps the trailing zeros of an index: 0,4790, not 0,479.
func padIndex(l locale.Lang, v float64) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	if l == locale.EN {
		return s
	}
	return strings.Replace(s, ".", ",", 1)
}

type publishedRow struct {
	Published
	IndexText string
	Parts     []partRow
}

// publishedRows writes national results for a page.
func publishedRows(lang locale.Lang, pub []Published) []publishedRow {
	var out []publishedRow
	for _, x := range pub {
		row := publishedRow{Published: x}
		if x.Index != nil {
			row.IndexText = padIndex(lang, *x.Index)
		}
		for _, part := range x.Parts {
			pr := partRow{PublishedPart: part}
			switch {
			case part.Value != nil:
				pr.ValueText = padIndex(lang, *part.Value)
			case part.Points != nil && part.MaxPoints != nil:
				pr.ValueText = locale.Number(lang, *part.Points, 2) + "/" + locale.Number(lang, *part.MaxPoints, 2)
			}
			row.Parts = append(row.Parts, pr)
		}
		out = append(out, row)
	}
	return out
}

type partRow struct {
	PublishedPart
	ValueText string
}

type overviewData struct {
	Frameworks  []Framework
	Assessments []Assessment
	Published   []publishedRow
	CanManage   bool
}

func (s *Store) overviewShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, ViewDTI, 0); err != nil {
		return err
	}
	fs, err := s.Frameworks(ctx)
	if err != nil {
		return err
	}
	as, err := s.Assessments(ctx, p)
	if err != nil {
		return err
	}
	pub, err := s.PublishedResults(ctx, p, PublishedFilter{})
	if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	d := overviewData{Frameworks: fs, Assessments: as}
	d.CanManage, _ = s.org.Can(ctx, p, ManageDTI, 0)
	d.Published = publishedRows(lang, pub)
	return overviewPage.Render(w, r, d)
}

type frameworkData struct {
	F       Framework
	Mains   []mainRow
	CanEdit bool // dti.manage on its owner
}

type mainRow struct {
	MainIndex
	Rows []componentRow
}

type componentRow struct {
	Component
	Params string
}

func (s *Store) frameworkShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.canView(r); err != nil {
		return err
	}
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	f, err := s.Framework(r.Context(), id)
	if err != nil {
		return err
	}
	d := frameworkData{F: f}
	d.CanEdit = s.authorizeOwner(r.Context(), org.PrincipalFrom(r.Context()), f.Owner) == nil
	for _, m := range f.MainIndices {
		mr := mainRow{MainIndex: m}
		for _, c := range m.Components {
			mr.Rows = append(mr.Rows, componentRow{Component: c, Params: strings.Join(ruleLines(locale.FromRequest(r), c.Rule, false), "; ")})
		}
		d.Mains = append(d.Mains, mr)
	}
	return frameworkPage.Render(w, r, d)
}

type scoresData struct {
	Frameworks []Framework
	Framework  int64
	Year       int
	Stage      string
	Results    *Results
	Rows       []scoreRow
	Mains      []MainIndex
	Published  []publishedRow
}

type scoreRow struct {
	UnitScore
	IndexText  string
	Mains      []string
	ChangeText string
}

// changeText writes the change from last year: "+0,0321; lên 2 bậc (năm
// 2024: 0,6012, hạng 5)", the previous year marked when averaged.
func changeText(l locale.Lang, u UnitScore) string {
	if u.Previous == nil || u.Change == nil {
		return ""
	}
	sign := "+"
	if *u.Change < 0 {
		sign = "−"
	}
	ch := sign + padIndex(l, math.Abs(*u.Change))
	moved := locale.T(l, "dti.change.same")
	switch rc := *u.RankChange; {
	case rc > 0:
		moved = locale.T(l, "dti.change.up", rc)
	case rc < 0:
		moved = locale.T(l, "dti.change.down", -rc)
	}
	key := "dti.change.previous"
	if u.Previous.Averaged {
		key = "dti.change.previous_averaged"
	}
	return ch + "; " + moved + " (" + locale.T(l, key, u.Previous.Year, padIndex(l, u.Previous.Index), u.Previous.Rank) + ")"
}

func (s *Store) scoresShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.canView(r); err != nil {
		return err
	}
	fs, err := s.Frameworks(ctx)
	if err != nil {
		return err
	}
	d := scoresData{Frameworks: fs, Stage: StageFinal}
	q := r.URL.Query()
	if q.Get("framework") == "" && q.Get("year") == "" {
		return scoresPage.Render(w, r, d)
	}
	d.Framework, _ = strconv.ParseInt(q.Get("framework"), 10, 64)
	d.Year, _ = strconv.Atoi(q.Get("year"))
	if st := q.Get("stage"); st != "" {
		d.Stage = st
	}
	res, err := s.resultsOf(r)
	if e, ok := errs.As(err); ok && e.Status == 422 {
		v := web.NewView(r, d)
		for _, f := range e.Fields {
			v.Errors = append(v.Errors, httpx.ProblemField{Field: f.Name, Code: f.Code, Message: httpx.FieldMessage(v.Lang, f)})
		}
		return scoresPage.RenderView(w, r, 422, v)
	} else if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	d.Results = &res
	for _, f := range fs {
		if f.ID == res.Framework.ID {
			d.Mains = f.MainIndices
		}
	}
	for _, u := range res.Units {
		row := scoreRow{UnitScore: u, IndexText: padIndex(lang, u.Index), ChangeText: changeText(lang, u)}
		for _, m := range u.MainIndices {
			if m.Index != nil {
				row.Mains = append(row.Mains, padIndex(lang, *m.Index))
			} else {
				row.Mains = append(row.Mains, "—")
			}
		}
		d.Rows = append(d.Rows, row)
	}
	// The national results of the same year, beside a province-level
	// framework's own.
	if res.Framework.Level == LevelProvince {
		pub, err := s.PublishedResults(ctx, org.PrincipalFrom(ctx), PublishedFilter{Year: d.Year})
		if err != nil {
			return err
		}
		for _, x := range pub {
			row := publishedRow{Published: x}
			if x.Index != nil {
				row.IndexText = padIndex(lang, *x.Index)
			}
			d.Published = append(d.Published, row)
		}
	}
	return scoresPage.Render(w, r, d)
}

type sheetData struct {
	Sheet
	IndexText string
	Mains     []sheetMainRow
	// What the caller may do now, by the unit's state and their roles.
	CanAssess, CanSubmit, CanReview, CanAppraise, CanCorrect bool
	Components                                               []SheetLine
	// The main indices on a radar against the peers' average or the
	// unit's previous year (Compare "previous"), with the same values as
	// a table.
	Radar       *RadarChart
	RadarRows   []radarRow
	Compare     string
	Peers       int
	Previous    *Previous
	HasPrevious bool
	Current     bool // the comparison is on current scores, not published ones
}

type radarRow struct {
	Code, Name, Unit, Other, Diff string
}

// sheetRadar fills the sheet's radar: the unit's main indices at its
// latest stage against the average of every unit of the same framework and
// year (published results once the unit's are, current ones before), or
// against its previous year (its own result, or its predecessors'
// average).
func (s *Store) sheetRadar(r *http.Request, d *sheetData) error {
	ctx := r.Context()
	lang := locale.FromRequest(r)
	stage := StageCurrent
	if d.State == StatePublished {
		stage = StageFinal
	}
	d.Current = stage == StageCurrent
	res, err := s.Results(ctx, org.PrincipalFrom(ctx), d.Framework.ID, d.Year, stage)
	if err != nil {
		return err
	}
	for _, u := range res.Units {
		if u.Unit.ID == d.Unit.ID && u.Previous != nil {
			d.Previous, d.HasPrevious = u.Previous, true
		}
	}
	other := res.Average
	d.Compare, d.Peers = "average", res.Peers
	if r.URL.Query().Get("compare") == "previous" && d.Previous != nil {
		d.Compare, other = "previous", d.Previous.MainIndices
	}
	var labels []string
	var values, others []*float64
	for _, m := range d.MainIndices {
		if m.Index == nil {
			continue
		}
		name := []rune(m.Name)
		if len(name) > 24 {
			name = append(name[:23], '…')
		}
		labels = append(labels, m.Code+". "+string(name))
		values = append(values, m.Index)
		row := radarRow{Code: m.Code, Name: m.Name, Unit: padIndex(lang, *m.Index), Other: "—", Diff: "—"}
		var o *float64
		for _, x := range other {
			if x.Code == m.Code && x.Index != nil {
				o = x.Index
				row.Other = padIndex(lang, *o)
				diff := *m.Index - *o
				sign := "+"
				if diff < 0 {
					sign = "−"
				}
				row.Diff = sign + padIndex(lang, math.Abs(diff))
			}
		}
		others = append(others, o)
		d.RadarRows = append(d.RadarRows, row)
	}
	d.Radar = radarChart(labels, values, others)
	return nil
}

type sheetMainRow struct {
	SheetMain
	IndexText string
}

func (s *Store) sheetData(r *http.Request) (sheetData, error) {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	a, u, err := pathUnit(r)
	if err != nil {
		return sheetData{}, err
	}
	lang := locale.FromRequest(r)
	sh, err := s.Sheet(ctx, p, lang, a, u)
	if err != nil {
		return sheetData{}, err
	}
	d := sheetData{Sheet: sh, IndexText: padIndex(lang, sh.Index)}
	for _, m := range sh.MainIndices {
		row := sheetMainRow{SheetMain: m, IndexText: "—"}
		if m.Index != nil {
			row.IndexText = padIndex(lang, *m.Index)
		}
		d.Mains = append(d.Mains, row)
		d.Components = append(d.Components, m.Components...)
	}
	can := func(action org.Action, unit int64) bool {
		ok, _ := s.org.Can(ctx, p, action, unit)
		return ok
	}
	switch sh.State {
	case StateOpen, StateReturned:
		d.CanAssess = can(AssessDTI, u)
		d.CanSubmit = d.CanAssess
	case StateSubmitted:
		d.CanReview = can(ReviewDTI, u)
	case StateReviewed:
		d.CanAppraise = can(AppraiseDTI, u)
	case StatePublished:
		if asm, err := s.Assessment(ctx, p, a); err == nil {
			d.CanCorrect = can(ManageDTI, asm.Owner.ID)
		}
	}
	return d, s.sheetRadar(r, &d)
}

func (s *Store) sheetShow(w http.ResponseWriter, r *http.Request) error {
	if format, ok, err := xlsx.ExportFormat(r); err != nil {
		return err
	} else if ok {
		a, u, err := pathUnit(r)
		if err != nil {
			return err
		}
		lang := locale.FromRequest(r)
		sh, err := s.Sheet(r.Context(), org.PrincipalFrom(r.Context()), lang, a, u)
		if err != nil {
			return err
		}
		return xlsx.SendExport(w, format, sheetExport(lang, sh))
	}
	d, err := s.sheetData(r)
	if err != nil {
		return err
	}
	return sheetPage.Render(w, r, d)
}

type historyData struct {
	History
	Rows          []historyRow
	Rank          *RankChart
	Bars          *BarChart
	Latest        *historyRow
	PublishedRows []publishedRow
}

type historyRow struct {
	HistoryRow
	IndexText string
	Mains     []string
}

func (s *Store) historyShow(w http.ResponseWriter, r *http.Request) error {
	unit, err := queryUnit(r)
	if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	h, err := s.History(r.Context(), org.PrincipalFrom(r.Context()), unit)
	if err != nil {
		return err
	}
	d := historyData{History: h, PublishedRows: publishedRows(lang, h.Published)}
	var ranked []HistoryRow
	for _, row := range h.Rows {
		hr := historyRow{HistoryRow: row, IndexText: padIndex(lang, row.Index)}
		for _, m := range row.MainIndices {
			t := "—"
			if m.Index != nil {
				t = padIndex(lang, *m.Index)
			}
			hr.Mains = append(hr.Mains, m.Code+". "+m.Name+": "+t)
		}
		d.Rows = append(d.Rows, hr)
		if (row.Own || row.Averaged) && d.Latest == nil {
			d.Latest = &d.Rows[len(d.Rows)-1]
		}
		if (row.Own || row.Averaged) && row.Rank > 0 {
			ranked = append([]HistoryRow{row}, ranked...) // oldest first
		}
	}
	d.Rank = rankChart(ranked)
	if d.Latest != nil {
		d.Bars = mainBars(lang, d.Latest.MainIndices)
	}
	return historyPage.Render(w, r, d)
}
