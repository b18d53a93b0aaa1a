package report

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// The completeness API, page and exports. Every surface reads its
// parameters through completenessQuery and authorises through
// CompletenessFor / authorisedUnits, so they decide alike.

//go:embed templates/completeness*.html
var completenessTemplates embed.FS

var completenessPage = web.NewPage(completenessTemplates, "templates/completeness.html")

// maxPeriods bounds the periods of one query (ten years of months).
const maxPeriods = 120

// completenessQueryDoc documents the query parameters the API reads.
var completenessQueryDoc = []string{
	"form: form codes or ids, comma-separated (every form when absent)",
	"period: periods in DHIS2 notation, comma-separated, e.g. 2025Q3,2025Q4; a longer period sums the form's periods inside it (2025 for a quarterly form: its four quarters). Absent: each form's latest period whose deadline has passed",
	"from, to: a range of periods of one type, both included (with or instead of period)",
	"unit: unit ids or codes, comma-separated (the caller's scopes of report.view when absent)",
	"children: true for a row per direct child of each unit too",
	"descendants: true for a row per unit of each subtree",
	"asOf: YYYY-MM-DD, the structure the units are counted in; today when absent (reports of units that have ended count under their successors and heirs)",
	"total: true for rows summing every form too (form empty)",
	"dueOnly: true to count reports only once due or submitted",
}

func (s *Store) completenessRoutes(site *web.Site) {
	site.API.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/completeness", Tag: "report",
		Summary:  "Completeness and timeliness: expected, submitted, on-time and approved reports per form, unit and period, rolled up the tree and across reorganisations",
		Response: CompletenessResult{}, Query: completenessQueryDoc},
		func(w http.ResponseWriter, r *http.Request) error {
			q, err := s.completenessQuery(r)
			if err != nil {
				return err
			}
			res, err := s.CompletenessFor(r.Context(), org.PrincipalFrom(r.Context()), q)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, res)
			return nil
		})
	site.API.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/completeness/reports", Tag: "report",
		Summary:  "The reports counted in one unit's completeness figure, each with its state, deadline and lateness: the units late or missing",
		Response: ExpectedReports{}, Query: append([]string{"unit: one unit id or code (required unless the caller has a single scope)"}, completenessQueryDoc[:3]...)},
		func(w http.ResponseWriter, r *http.Request) error {
			q, err := s.completenessQuery(r)
			if err != nil {
				return err
			}
			res, err := s.expectedReportsFor(r.Context(), org.PrincipalFrom(r.Context()), q)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, res)
			return nil
		})
	site.AddMenu("/report/completeness", "nav.completeness", string(ViewReports))
	site.Page("GET /report/completeness", s.completenessShow)
}

// ExpectedReports is the drill-down list of one unit.
type ExpectedReports struct {
	AsOf    string           `json:"asOf"`
	Unit    UnitRef          `json:"unit"`
	Reports []ExpectedReport `json:"reports"`
}

func (s *Store) expectedReportsFor(ctx context.Context, p *org.Principal, q CompletenessQuery) (ExpectedReports, error) {
	units, err := s.authorisedUnits(ctx, p, q)
	if err != nil {
		return ExpectedReports{}, err
	}
	if len(units) != 1 {
		return ExpectedReports{}, errs.Invalid(errs.Field{Name: "unit", Code: "required", Context: "completeness"})
	}
	q.Units = units
	list, err := s.ExpectedReports(ctx, q)
	if err != nil {
		return ExpectedReports{}, err
	}
	u, err := s.org.UnitsByID(ctx, units)
	if err != nil {
		return ExpectedReports{}, err
	}
	if q.AsOf == "" {
		q.AsOf = org.Today()
	}
	ref := UnitRef{ID: units[0], Code: u[units[0]].Code, Name: u[units[0]].Label}
	return ExpectedReports{AsOf: q.AsOf, Unit: ref, Reports: list}, nil
}

// paramList splits a parameter given repeated and/or comma-separated.
func paramList(v url.Values, name string) []string {
	var out []string
	for _, s := range v[name] {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// completenessQuery reads the parameters, naming each bad one.
func (s *Store) completenessQuery(r *http.Request) (CompletenessQuery, error) {
	ctx := r.Context()
	v := r.URL.Query()
	val := errs.Validator{Context: "completeness"}
	var q CompletenessQuery
	if codes := paramList(v, "form"); len(codes) > 0 {
		forms, err := s.formIndex(ctx)
		if err != nil {
			return q, err
		}
		for _, c := range codes {
			id, ok := forms[strings.ToUpper(c)]
			if !ok {
				if n, err := strconv.ParseInt(c, 10, 64); err == nil && forms["#"+strconv.FormatInt(n, 10)] != 0 {
					id, ok = n, true
				}
			}
			if !ok {
				val.Add("form", "completeness.unknown_form", c)
				continue
			}
			q.Forms = append(q.Forms, id)
		}
	}
	periodField := func(name, s string) (Period, bool) {
		p, err := ParsePeriod(s)
		if err != nil {
			if e, ok := errs.As(err); ok && len(e.Fields) > 0 {
				f := e.Fields[0]
				val.Add(name, f.Code, f.Args...)
			} else {
				val.Add(name, "invalid")
			}
			return Period{}, false
		}
		return p, true
	}
	for _, s := range paramList(v, "period") {
		if p, ok := periodField("period", s); ok {
			q.Periods = append(q.Periods, p)
		}
	}
	from, to := strings.TrimSpace(v.Get("from")), strings.TrimSpace(v.Get("to"))
	switch {
	case from == "" && to == "":
	case from == "":
		val.Add("from", "required")
	case to == "":
		val.Add("to", "required")
	default:
		a, okA := periodField("from", from)
		b, okB := periodField("to", to)
		if okA && okB {
			switch {
			case a.Type() != b.Type():
				val.Add("to", "completeness.range_type", a.Type().String())
			case b.Compare(a) < 0:
				val.Add("to", "completeness.range_order", a.String())
			default:
				for p := a; p.Compare(b) <= 0 && len(q.Periods) <= maxPeriods; p = p.Next() {
					q.Periods = append(q.Periods, p)
				}
			}
		}
	}
	if len(q.Periods) > maxPeriods {
		val.Add("period", "completeness.too_many_periods", maxPeriods)
	}
	for _, u := range paramList(v, "unit") {
		id, err := s.unitParam(ctx, u)
		if err != nil {
			val.Add("unit", "completeness.unknown_unit", u)
			continue
		}
		q.Units = append(q.Units, id)
	}
	flag := func(name string) bool {
		switch strings.ToLower(strings.TrimSpace(v.Get(name))) {
		case "", "false", "0":
			return false
		case "true", "1", "on":
			return true
		}
		val.Add(name, "completeness.boolean")
		return false
	}
	q.Children, q.Descendants, q.Total, q.DueOnly = flag("children"), flag("descendants"), flag("total"), flag("dueOnly")
	if a := strings.TrimSpace(v.Get("asOf")); a != "" {
		iso, ok := locale.ParseDate(a)
		if !ok {
			val.Add("asOf", "date")
		}
		q.AsOf = iso
	}
	return q, val.Err()
}

// formIndex maps form codes (and "#id") to ids.
func (s *Store) formIndex(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code FROM report_forms`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, err
		}
		out[strings.ToUpper(code)] = id
		out["#"+strconv.FormatInt(id, 10)] = id
	}
	return out, rows.Err()
}

// unitParam reads a unit id or code.
func (s *Store) unitParam(ctx context.Context, v string) (int64, error) {
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		u, err := s.org.Unit(ctx, id, "")
		return u.ID, err
	}
	u, err := s.org.UnitByCode(ctx, strings.ToUpper(v), "")
	return u.ID, err
}

// The page.

type completenessView struct {
	Query       url.Values // as asked, for the filters and the links
	FormChoices []formChoice
	Form        string
	Period      string
	From, To    string
	AsOf        string // as typed
	AsOfDate    string // the structure's date, YYYY-MM-DD
	Crumbs      []crumb
	Tables      []completenessTable
	ExportXLSX  string
	ExportCSV   string
	ListXLSX    string
	ListCSV     string
}

type formChoice struct{ Code, Label string }

type crumb struct {
	Label, Href string
}

type completenessTable struct {
	Form, FormName, Period, PeriodLabel string
	Rows                                []completenessRowView
	Late, Returned, SentLate, NotDue    []ExpectedReport
}

type completenessRowView struct {
	CompletenessRow
	Href                 string // drill-down
	Self                 bool
	RateText, OnTimeText string
	ApprovedText         string
}

func pctText(lang locale.Lang, v *float64) string {
	if v == nil {
		return "—"
	}
	return locale.Number(lang, *v, 1) + "%"
}

// drill is the page's link for another unit with the same filters.
func drill(q url.Values, unit int64) string {
	v := url.Values{}
	for k, vs := range q {
		if k != "unit" && k != "format" && k != "what" {
			v[k] = vs
		}
	}
	v.Set("unit", strconv.FormatInt(unit, 10))
	return "/report/completeness?" + v.Encode()
}

func (s *Store) completenessShow(w http.ResponseWriter, r *http.Request) error {
	// The page's own address with ?format=xlsx|csv downloads what it
	// shows, as every list does (xlsx.ExportFormat).
	if _, ok, err := xlsx.ExportFormat(r); err != nil || ok {
		if err != nil {
			return err
		}
		return s.completenessExport(w, r)
	}
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	lang := locale.FromRequest(r)
	raw := r.URL.Query()
	view := completenessView{Query: raw, Form: raw.Get("form"), Period: raw.Get("period"), From: raw.Get("from"), To: raw.Get("to"), AsOf: raw.Get("asOf")}
	forms, err := s.Forms(ctx)
	if err != nil {
		return err
	}
	forms, err = s.formsNear(ctx, p, forms)
	if err != nil {
		return err
	}
	for _, f := range forms {
		view.FormChoices = append(view.FormChoices, formChoice{Code: f.Code, Label: f.Name + " (" + f.Code + ")"})
	}
	q, qerr := s.completenessQuery(r)
	if qerr != nil {
		return renderFilterError(w, r, qerr, view)
	}
	units, err := s.authorisedUnits(ctx, p, q)
	if err != nil {
		return renderFilterError(w, r, err, view)
	}
	if len(units) > 1 && len(q.Units) == 0 {
		// Several scopes: the first, with the others a click away.
		units = units[:1]
	}
	q.Units, q.Children = units, true
	res, err := s.Completeness(ctx, q)
	if err != nil {
		return renderFilterError(w, r, err, view)
	}
	view.AsOfDate = res.AsOf
	list, err := s.ExpectedReports(ctx, CompletenessQuery{Forms: q.Forms, Periods: q.Periods, Units: units, AsOf: q.AsOf})
	if err != nil {
		return err
	}
	sn, err := s.org.Snapshot(ctx)
	if err != nil {
		return err
	}
	tree := sn.At(res.AsOf)
	for _, id := range reverse(tree.Ancestors(units[0])) {
		u, _ := sn.Unit(id)
		c := crumb{Label: u.Name}
		if ok, _ := s.org.Can(ctx, p, ViewReports, id); ok && id != units[0] {
			c.Href = drill(raw, id)
		}
		view.Crumbs = append(view.Crumbs, c)
	}
	byKey := map[string]int{}
	names := map[string]string{}
	for _, f := range forms {
		names[f.Code] = f.Name
	}
	for _, row := range res.Rows {
		key := row.Form + "|" + row.Period
		i, ok := byKey[key]
		if !ok {
			pe, _ := ParsePeriod(row.Period)
			view.Tables = append(view.Tables, completenessTable{Form: row.Form, FormName: names[row.Form], Period: row.Period, PeriodLabel: pe.Label(lang)})
			i = len(view.Tables) - 1
			byKey[key] = i
		}
		rv := completenessRowView{CompletenessRow: row, Self: row.Unit.ID == units[0],
			RateText: pctText(lang, row.Rate), OnTimeText: pctText(lang, row.RateOnTime), ApprovedText: pctText(lang, row.ApprovedRate)}
		if !rv.Self && row.Expected == 0 {
			continue // a unit that reports nothing of this form: not listed
		}
		if !rv.Self {
			rv.Href = drill(raw, row.Unit.ID)
		}
		view.Tables[i].Rows = append(view.Tables[i].Rows, rv)
	}
	for _, e := range list {
		i, ok := byKey[e.Form+"|"+askedPeriod(q, e)]
		if !ok {
			continue
		}
		t := &view.Tables[i]
		switch {
		case e.Late:
			t.Late = append(t.Late, e)
		case e.State == StateReturned:
			t.Returned = append(t.Returned, e)
		case e.Submitted && !e.OnTime:
			t.SentLate = append(t.SentLate, e)
		case !e.Due && !e.Submitted:
			t.NotDue = append(t.NotDue, e)
		}
	}
	exp := url.Values{}
	for k, vs := range raw {
		exp[k] = vs
	}
	exp.Set("unit", strconv.FormatInt(units[0], 10))
	exp.Set("children", "true")
	link := func(format, what string) string {
		e := url.Values{}
		for k, vs := range exp {
			e[k] = vs
		}
		e.Set("format", format)
		if what != "" {
			e.Set("what", what)
		}
		return "/report/completeness?" + e.Encode()
	}
	view.ExportXLSX, view.ExportCSV = link("xlsx", ""), link("csv", "")
	view.ListXLSX, view.ListCSV = link("xlsx", "reports"), link("csv", "reports")
	return completenessPage.Render(w, r, view)
}

// askedPeriod is the period asked for that a listed report counts in.
func askedPeriod(q CompletenessQuery, e ExpectedReport) string {
	pe, _ := ParsePeriod(e.Period)
	for _, p := range q.Periods {
		if w, ok := pe.Within(p.Type()); ok && w == p {
			return p.String()
		}
	}
	return e.Period
}

func reverse(ids []int64) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}

// renderFilterError shows the page with the filters' errors, or returns
// the error for the error page (a refusal).
func renderFilterError(w http.ResponseWriter, r *http.Request, err error, view completenessView) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	v := web.NewView(r, view)
	for _, f := range e.Fields {
		v.Errors = append(v.Errors, httpx.ProblemField{Field: f.Name, Code: f.Code, Message: httpx.FieldMessage(v.Lang, f)})
	}
	return completenessPage.RenderView(w, r, e.Status, v)
}

// completenessExport downloads the page's figures (or, with
// what=reports, its list of reports) as XLSX or CSV.
func (s *Store) completenessExport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	lang := locale.FromRequest(r)
	t := func(k string) string { return locale.T(lang, k) }
	q, err := s.completenessQuery(r)
	if err != nil {
		return err
	}
	format, _, err := xlsx.ExportFormat(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("what") == "reports" {
		list, err := s.expectedReportsFor(ctx, p, q)
		if err != nil {
			return err
		}
		e := xlsx.Export{Name: t("completeness.export_reports_name"), Title: t("completeness.export_reports_sheet"), Columns: []xlsx.Column{
			{Header: t("completeness.col.form"), Width: 16}, {Header: t("completeness.col.form_name"), Width: 40},
			{Header: t("completeness.col.period"), Width: 10}, {Header: t("completeness.col.unit"), Width: 40},
			{Header: t("completeness.col.unit_code"), Width: 18}, {Header: t("completeness.col.state"), Width: 16},
			{Header: t("completeness.col.deadline"), Format: xlsx.DateFmt, Width: 12},
			{Header: t("completeness.col.submitted_at"), Format: xlsx.DateFmt, Width: 12},
			{Header: t("completeness.col.on_time"), Width: 10}, {Header: t("completeness.col.late"), Width: 10}}}
		yes := func(b bool) string {
			if b {
				return t("completeness.yes")
			}
			return ""
		}
		for _, x := range list.Reports {
			var sent any
			if x.SubmittedAt != nil {
				sent = x.SubmittedAt.In(vietnam())
			}
			e.Rows = append(e.Rows, []any{x.Form, x.FormName, x.Period, x.Label, x.Unit.Code, t("completeness.state." + x.State),
				xlsx.ISODate(x.Deadline), sent, yes(x.OnTime), yes(x.Late)})
		}
		return xlsx.SendExport(w, format, e)
	}
	res, err := s.CompletenessFor(ctx, p, q)
	if err != nil {
		return err
	}
	e := xlsx.Export{Name: t("completeness.export_name"), Title: t("completeness.export_sheet"), Columns: []xlsx.Column{
		{Header: t("completeness.col.form"), Width: 16}, {Header: t("completeness.col.period"), Width: 10},
		{Header: t("completeness.col.unit"), Width: 40}, {Header: t("completeness.col.unit_code"), Width: 18},
		{Header: t("completeness.col.expected"), Format: xlsx.Integer}, {Header: t("completeness.col.due"), Format: xlsx.Integer},
		{Header: t("completeness.col.actual"), Format: xlsx.Integer}, {Header: t("completeness.col.on_time_count"), Format: xlsx.Integer},
		{Header: t("completeness.col.approved"), Format: xlsx.Integer}, {Header: t("completeness.col.returned"), Format: xlsx.Integer},
		{Header: t("completeness.col.late_count"), Format: xlsx.Integer},
		{Header: t("completeness.col.rate"), Format: xlsx.NumberFmt}, {Header: t("completeness.col.rate_on_time"), Format: xlsx.NumberFmt}}}
	for _, x := range res.Rows {
		form := x.Form
		if form == "" {
			form = t("completeness.all_forms")
		}
		e.Rows = append(e.Rows, []any{form, x.Period, x.Unit.Name, x.Unit.Code, x.Expected, x.Due, x.Actual, x.ActualOnTime,
			x.Approved, x.Returned, x.Late, round1(x.Rate), round1(x.RateOnTime)})
	}
	return xlsx.SendExport(w, format, e)
}

func round1(v *float64) *float64 {
	if v == nil {
		return nil
	}
	r := float64(int64(*v*10+0.5)) / 10
	return &r
}
