package report

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// The pivot table (/report/analytics): an official chooses indicators,
// periods (listed or relative), units (with or without the units under
// them), whether to split by category option, and where each dimension
// goes (rows, columns or filter); the page shows the figures with
// Vietnamese numbers, a chart drawn on the server, the same query's API
// address, and downloads it through xlsx.SendExport (?format=xlsx|csv).

//go:embed templates/analytics*.html
var analyticsTemplates embed.FS

var pivotPage = web.NewPage(analyticsTemplates, "templates/analytics.html")

// Where a dimension goes on the pivot page.
const (
	atRow    = "row"
	atCol    = "col"
	atFilter = "filter"
)

// pivotDims are the dimensions an official places, in the page's order.
var pivotDims = []string{"dx", "pe", "ou"}

// pivotQuery is what the page's form asks.
type pivotQuery struct {
	DX       []string // indicator codes
	PE       string   // periods and relative periods, ";"-separated
	OU       string   // unit codes, ","-separated (the picker's field)
	Children bool     // add the units directly under each
	CO       bool     // split by category option
	At       map[string]string
	AsOf     string // YYYY-MM-DD
	Approval string
}

func readPivotQuery(v url.Values) pivotQuery {
	q := pivotQuery{PE: strings.TrimSpace(v.Get("pe")), OU: strings.TrimSpace(v.Get("ou")), Children: v.Get("children") == "1",
		CO: v.Get("co") == "1", AsOf: strings.TrimSpace(v.Get("asOf")), Approval: strings.TrimSpace(v.Get("approval")), At: map[string]string{}}
	for _, raw := range v["dx"] {
		for _, c := range strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == ',' }) {
			if c = strings.TrimSpace(c); c != "" && !slices.Contains(q.DX, c) {
				q.DX = append(q.DX, c)
			}
		}
	}
	defaults := map[string]string{"dx": atRow, "pe": atCol, "ou": atRow}
	for _, d := range pivotDims {
		at := v.Get("at_" + d)
		if at != atRow && at != atCol && at != atFilter {
			at = defaults[d]
		}
		q.At[d] = at
	}
	if q.AsOf != "" {
		q.AsOf = locale.FormDate(q.AsOf)
	}
	return q
}

// values is the query as the page's own address holds it.
func (q pivotQuery) values() url.Values {
	v := url.Values{}
	for _, c := range q.DX {
		v.Add("dx", c)
	}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("pe", q.PE)
	set("ou", q.OU)
	if q.Children {
		v.Set("children", "1")
	}
	if q.CO {
		v.Set("co", "1")
	}
	for _, d := range pivotDims {
		v.Set("at_"+d, q.At[d])
	}
	set("asOf", q.AsOf)
	set("approval", q.Approval)
	return v
}

// PivotLink is the address of the pivot table for one indicator, periods
// and units (codes), laid out units × periods: what a target's page links
// to for the source of its actual values.
func PivotLink(indicator string, periods []string, units []string) string {
	q := pivotQuery{DX: []string{indicator}, PE: strings.Join(periods, ";"), OU: strings.Join(units, ","), At: map[string]string{"dx": atFilter, "pe": atCol, "ou": atRow}}
	if len(units) > 0 {
		q.Children = true
	}
	return "/report/analytics?" + q.values().Encode()
}

type pivotChoice struct {
	Value, Label string
	Checked      bool
}

type pivotCell struct {
	Text  string
	Empty bool
}

type pivotRow struct {
	Heads []string
	Cells []pivotCell
}

type pivotView struct {
	Q               pivotQuery
	Indicators      []pivotChoice
	Relative        []pivotChoice
	Places          []pivotPlace
	AtChoices       []string
	ApprovalChoices []string
	Error           string
	Ran             bool
	RowDims         []string // catalogue keys of the row dimensions
	ColHeads        []string
	Rows            []pivotRow
	Filters         []string // "Kỳ: Năm 2024"
	Chart           *anaChart
	Approval        string
	AsOfNote        string
	APIURL          string
	ExportXLSX      string
	ExportCSV       string
}

type pivotPlace struct {
	Dim string
	At  string
}

// pivotTable is the answer laid out: labels of rows and columns, values.
type pivotTable struct {
	rowDims, colDims []string
	rowKeys, colKeys [][]string
	cells            map[string]float64
	ratio            map[string]bool // the value is a rate (one decimal)
	items            map[string]AnalyticsItem
}

func key(parts []string) string { return strings.Join(parts, "\x00") }

// combos lists every combination of the dimensions' items, in order.
func combos(dims []string, items map[string][]string) [][]string {
	out := [][]string{{}}
	for _, d := range dims {
		var next [][]string
		for _, prefix := range out {
			for _, it := range items[d] {
				next = append(next, append(slices.Clone(prefix), it))
			}
		}
		out = next
	}
	return out
}

func (s *Store) pivotRun(ctx context.Context, p *org.Principal, q pivotQuery, lang locale.Lang) (*anaRequest, pivotTable, string, error) {
	var t pivotTable
	v := url.Values{}
	var rowDims, colDims []string
	for _, d := range pivotDims {
		switch q.At[d] {
		case atRow:
			rowDims = append(rowDims, d)
		case atCol:
			colDims = append(colDims, d)
		}
	}
	if q.CO {
		rowDims = append(rowDims, "co")
	}
	if len(colDims) == 0 && len(rowDims) > 1 {
		// A table has a column: the last row dimension becomes it.
		colDims, rowDims = rowDims[len(rowDims)-1:], rowDims[:len(rowDims)-1]
	}
	items := map[string]string{"dx": strings.Join(q.DX, ";"), "pe": strings.ReplaceAll(q.PE, ",", ";")}
	ou, apiOU, err := s.pivotUnits(ctx, p, q)
	if err != nil {
		return nil, t, "", err
	}
	items["ou"] = ou
	for _, d := range append(slices.Clone(rowDims), colDims...) {
		if d == "co" {
			v.Add("dimension", "co")
			continue
		}
		v.Add("dimension", d+":"+items[d])
	}
	for _, d := range pivotDims {
		if q.At[d] == atFilter && items[d] != "" {
			v.Add("filter", d+":"+items[d])
		}
	}
	if q.AsOf != "" {
		v.Set("asOf", q.AsOf)
	}
	if q.Approval != "" {
		v.Set("approval", q.Approval)
	}
	req, err := s.parseAnalytics(ctx, p, v, lang)
	if err != nil {
		return nil, t, "", err
	}
	res, err := s.analyticsAnswer(ctx, req)
	if err != nil {
		return nil, t, "", err
	}
	t = pivotTable{rowDims: rowDims, colDims: colDims, cells: map[string]float64{}, ratio: map[string]bool{}, items: res.MetaData.Items}
	dims := res.MetaData.Dimensions
	t.colKeys = combos(colDims, dims)
	all := combos(rowDims, dims)
	ratioOf := map[string]bool{}
	for _, d := range req.data {
		ratioOf[req.dataID(d)] = d.in.ratio()
	}
	order := append(slices.Clone(rowDims), colDims...)
	for _, row := range res.Rows {
		f, err := strconv.ParseFloat(row[len(row)-1], 64)
		if err != nil {
			continue
		}
		k := key(row[:len(order)])
		t.cells[k] = f
		for i, d := range order {
			if d == "dx" && ratioOf[row[i]] {
				t.ratio[k] = true
			}
		}
		if !slices.Contains(order, "dx") && len(req.data) == 1 && ratioOf[req.dataID(req.data[0])] {
			t.ratio[k] = true
		}
	}
	for _, rk := range all {
		for _, ck := range t.colKeys {
			if _, ok := t.cells[key(append(slices.Clone(rk), ck...))]; ok {
				t.rowKeys = append(t.rowKeys, rk)
				break
			}
		}
	}
	return req, t, apiAddress(req, apiOU), nil
}

// pivotUnits turns the page's unit codes (the official's scopes when none)
// into ou items (ids), with the units directly under each when asked, and
// the same in the API's words (CODE;LEVEL-n-CODE).
func (s *Store) pivotUnits(ctx context.Context, p *org.Principal, q pivotQuery) (string, string, error) {
	reg, err := s.registry(ctx)
	if err != nil {
		return "", "", err
	}
	var ids []int64
	for _, c := range strings.FieldsFunc(q.OU, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		id, ok := reg.byCode[strings.ToUpper(c)]
		if !ok {
			return "", "", anaErr("E7124", "unit", c)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		ids = s.org.Scopes(p, ViewReports)
	}
	var out, api []string
	for _, id := range ids {
		out = append(out, strconv.FormatInt(id, 10))
		u, _ := reg.unit(id)
		api = append(api, u.Code)
		if !q.Children {
			continue
		}
		if err := s.org.Authorize(ctx, p, ViewReports, id); err != nil {
			return "", "", err
		}
		d, ok := reg.resolveAsOf(id, q.AsOf)
		if !ok {
			continue // the query's own check names it
		}
		st := reg.at(d)
		for _, c := range st.children[id] {
			out = append(out, strconv.FormatInt(c, 10))
		}
		api = append(api, fmt.Sprintf("LEVEL-%d-%s", st.depth[id]+1, u.Code))
	}
	return strings.Join(out, ";"), strings.Join(api, ";"), nil
}

func (s *Store) pivotShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.canView(r); err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	q := readPivotQuery(r.URL.Query())
	view := pivotView{Q: q, Approval: ApprovalAll, AtChoices: []string{atRow, atCol, atFilter}, ApprovalChoices: []string{ApprovalAll, ApprovalApproved, ApprovalAccepted}}
	inds, err := s.Indicators(ctx)
	if err != nil {
		return err
	}
	for _, in := range inds {
		view.Indicators = append(view.Indicators, pivotChoice{Value: in.Code, Label: in.Name, Checked: slices.Contains(q.DX, in.Code)})
	}
	for _, k := range RelativePeriods() {
		view.Relative = append(view.Relative, pivotChoice{Value: k, Label: locale.T(lang, "analytics.relative."+k), Checked: strings.EqualFold(q.PE, k)})
	}
	for _, d := range pivotDims {
		view.Places = append(view.Places, pivotPlace{Dim: d, At: q.At[d]})
	}
	status := http.StatusOK
	if len(q.DX) > 0 {
		if q.PE == "" {
			q.PE, view.Q.PE = "LAST_5_YEARS", "LAST_5_YEARS"
		}
		req, t, api, err := s.pivotRun(ctx, p, q, lang)
		var ae *AnalyticsError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
			return errs.Forbidden
		case errors.As(err, &ae):
			view.Error, status = ae.Message(lang), http.StatusUnprocessableEntity
		case errors.Is(err, errs.Forbidden):
			return err
		case err != nil:
			return err
		default:
			if format := r.URL.Query().Get("format"); format != "" {
				return xlsx.SendExport(w, format, t.export(lang))
			}
			view.Ran = true
			s.fillPivot(&view, req, t, lang)
			link := q.values()
			view.ExportXLSX = "/report/analytics?" + link.Encode() + "&format=xlsx"
			view.ExportCSV = "/report/analytics?" + link.Encode() + "&format=csv"
			view.APIURL = api
		}
	}
	v := web.NewView(r, view)
	return pivotPage.RenderView(w, r, status, v)
}

// apiAddress is the /api/v1/analytics address of a parsed query, its
// units as ou says.
func apiAddress(req *anaRequest, ou string) string {
	var parts []string
	item := func(d string) string {
		var out []string
		switch d {
		case "dx":
			for _, x := range req.data {
				out = append(out, x.in.Code)
				if x.option != nil {
					out[len(out)-1] += "." + x.option.code
				}
			}
		case "pe":
			for _, p := range req.periods {
				out = append(out, p.String())
			}
		case "ou":
			return ou
		}
		return strings.Join(out, ";")
	}
	for _, d := range req.order {
		if d == "co" {
			parts = append(parts, "dimension=co")
			continue
		}
		parts = append(parts, "dimension="+d+":"+item(d))
	}
	for _, d := range []string{"dx", "pe", "ou"} {
		if req.filter[d] {
			parts = append(parts, "filter="+d+":"+item(d))
		}
	}
	if req.q.Approval != ApprovalAll {
		parts = append(parts, "approval="+req.q.Approval)
	}
	if len(req.units) > 0 && req.units[0].asOf != "" && req.units[0].asOf != org.Today() {
		if asOf := req.q.Units[0].AsOf; asOf != "" {
			parts = append(parts, "asOf="+asOf)
		}
	}
	return "/api/v1/analytics?" + strings.Join(parts, "&")
}

func (s *Store) fillPivot(view *pivotView, req *anaRequest, t pivotTable, lang locale.Lang) {
	label := func(id string) string {
		if it, ok := t.items[id]; ok && it.Name != "" {
			return it.Name
		}
		if id == "default" {
			return locale.T(lang, "analytics.total")
		}
		return id
	}
	for _, d := range t.rowDims {
		view.RowDims = append(view.RowDims, "analytics.dim."+d)
	}
	for _, ck := range t.colKeys {
		var ls []string
		for _, id := range ck {
			ls = append(ls, label(id))
		}
		view.ColHeads = append(view.ColHeads, strings.Join(ls, " · "))
	}
	for _, rk := range t.rowKeys {
		row := pivotRow{}
		for _, id := range rk {
			row.Heads = append(row.Heads, label(id))
		}
		for _, ck := range t.colKeys {
			k := key(append(slices.Clone(rk), ck...))
			v, ok := t.cells[k]
			if !ok {
				row.Cells = append(row.Cells, pivotCell{Text: "—", Empty: true})
				continue
			}
			row.Cells = append(row.Cells, pivotCell{Text: pivotNumber(lang, v, t.ratio[k])})
		}
		view.Rows = append(view.Rows, row)
	}
	for _, d := range pivotDims {
		if !req.filter[d] {
			continue
		}
		var ls []string
		for _, id := range req.dimensionIDs(d) {
			ls = append(ls, label(id))
		}
		view.Filters = append(view.Filters, locale.T(lang, "analytics.dim."+d)+": "+strings.Join(ls, "; "))
	}
	view.Approval = req.q.Approval
	dates := map[string]bool{}
	for _, u := range req.units {
		dates[u.asOf] = true
	}
	if len(dates) == 1 {
		for d := range dates {
			view.AsOfNote = locale.T(lang, "analytics.as_of_note", locale.ISODate(lang, d))
		}
	}
	view.Chart = newAnaChart(t, lang, label)
}

// dimensionIDs lists a dimension's items in the output scheme.
func (req *anaRequest) dimensionIDs(d string) []string {
	var out []string
	switch d {
	case "dx":
		for _, x := range req.data {
			out = append(out, req.dataID(x))
		}
	case "pe":
		for _, p := range req.periods {
			out = append(out, p.String())
		}
	case "ou":
		for _, u := range req.units {
			out = append(out, req.unitID(u.id))
		}
	}
	return out
}

// pivotNumber writes a figure in the page's language: 1.234,5 in
// Vietnamese; a rate with one decimal, other figures with up to two.
func pivotNumber(lang locale.Lang, v float64, ratio bool) string {
	if ratio {
		return locale.Number(lang, math.Round(v*10)/10, 1)
	}
	return locale.Number(lang, v, 2)
}

// export is the table as shown, for SendExport: the row headings, then one
// numeric column per column heading.
func (t pivotTable) export(lang locale.Lang) xlsx.Export {
	label := func(id string) string {
		if it, ok := t.items[id]; ok && it.Name != "" {
			return it.Name
		}
		return id
	}
	e := xlsx.Export{Name: locale.T(lang, "analytics.export_name"), Title: clipTitle(locale.T(lang, "analytics.export_name"))}
	for _, d := range t.rowDims {
		e.Columns = append(e.Columns, xlsx.Column{Header: locale.T(lang, "analytics.dim."+d), Width: 36})
	}
	for _, ck := range t.colKeys {
		var ls []string
		for _, id := range ck {
			ls = append(ls, label(id))
		}
		e.Columns = append(e.Columns, xlsx.Column{Header: strings.Join(ls, " · "), Width: 16, Format: xlsx.NumberFmt})
	}
	for _, rk := range t.rowKeys {
		var row []any
		for _, id := range rk {
			row = append(row, label(id))
		}
		for _, ck := range t.colKeys {
			if v, ok := t.cells[key(append(slices.Clone(rk), ck...))]; ok {
				if t.ratio[key(append(slices.Clone(rk), ck...))] {
					v = math.Round(v*10) / 10
				}
				row = append(row, v)
			} else {
				row = append(row, nil)
			}
		}
		e.Rows = append(e.Rows, row)
	}
	return e
}

func clipTitle(s string) string {
	r := []rune(s)
	if len(r) > 31 {
		return string(r[:31])
	}
	return s
}

// analyticsPageRoutes attaches the pivot page and its menu entry.
func (s *Store) analyticsPageRoutes(site *web.Site) {
	site.AddMenu("/report/analytics", "nav.analytics", string(ViewReports))
	site.Page("GET /report/analytics", s.pivotShow)
}
