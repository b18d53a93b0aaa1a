package report

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	"github.com/tinhso/tinhso/internal/xlsx"
)

// GET /api/analytics (and /api/v1/analytics, .json, .csv) in DHIS2's shape:
// dimension=dx:…&dimension=pe:…&dimension=ou:…, filter=…, the response
// {headers, metaData{items, dimensions}, rows, headerWidth, height, width}
// with every row of strings, and DHIS2's 409 {"httpStatus":"Conflict",
// "httpStatusCode":409,"status":"ERROR","message":…,"errorCode":"E71xx"}
// for a query it cannot answer. tinhso's own parameters: asOf (the day
// whose org structure is read), approval (all, approved, accepted) and
// ouMode (DESCENDANTS, the default, or SELECTED: a unit's own values).

// AnalyticsError is a query analytics refuse, with DHIS2's error code.
type AnalyticsError struct {
	Status int    // 409, or 403 for a unit outside the caller's scope
	Code   string // E7100…E7133
	Key    string // catalogue key of the message
	Args   []any
}

func (e *AnalyticsError) Error() string { return e.Code + " " + e.Key }

// Message is the error in the language asked.
func (e *AnalyticsError) Message(lang locale.Lang) string { return locale.T(lang, e.Key, e.Args...) }

func anaErr(code, key string, args ...any) *AnalyticsError {
	return &AnalyticsError{Status: http.StatusConflict, Code: code, Key: "analytics.error." + key, Args: args}
}

// dhis2Error is DHIS2's WebMessage for a refused query.
type dhis2Error struct {
	HTTPStatus     string `json:"httpStatus"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	Status         string `json:"status"`
	Message        string `json:"message"`
	ErrorCode      string `json:"errorCode"`
}

func writeAnalyticsError(w http.ResponseWriter, r *http.Request, e *AnalyticsError) {
	httpx.JSON(w, e.Status, dhis2Error{HTTPStatus: http.StatusText(e.Status), HTTPStatusCode: e.Status, Status: "ERROR",
		Message: e.Message(locale.FromRequest(r)), ErrorCode: e.Code})
}

// AnalyticsHeader is a column of the answer, as DHIS2's GridHeader.
type AnalyticsHeader struct {
	Name      string `json:"name"`
	Column    string `json:"column"`
	ValueType string `json:"valueType"`
	Type      string `json:"type"`
	Hidden    bool   `json:"hidden"`
	Meta      bool   `json:"meta"`
}

// AnalyticsItem is a member of metaData.items.
type AnalyticsItem struct {
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
}

// AnalyticsMeta is the answer's metaData; Tinhso says how tinhso read the
// query (not a DHIS2 member; DHIS2 clients ignore it).
type AnalyticsMeta struct {
	Items      map[string]AnalyticsItem `json:"items"`
	Dimensions map[string][]string      `json:"dimensions"`
	Tinhso     *AnalyticsNote           `json:"tinhso,omitempty"`
}

// AnalyticsNote states the choices behind the figures.
type AnalyticsNote struct {
	Approval     string            `json:"approval" doc:"all: every value entered, approved or not (the default); approved; accepted"`
	ApprovalNote string            `json:"approvalNote"`
	OuMode       string            `json:"ouMode" doc:"DESCENDANTS: each unit with its subtree; SELECTED: its own values"`
	OrgUnitAsOf  map[string]string `json:"orgUnitAsOf" doc:"the day whose org structure each unit was read in"`
}

// AnalyticsResponse is DHIS2's analytics grid.
type AnalyticsResponse struct {
	Headers     []AnalyticsHeader `json:"headers"`
	MetaData    *AnalyticsMeta    `json:"metaData,omitempty"`
	Rows        [][]string        `json:"rows"`
	HeaderWidth int               `json:"headerWidth"`
	Height      int               `json:"height"`
	Width       int               `json:"width"`
}

// anaRequest is a parsed analytics query.
type anaRequest struct {
	order    []string        // dimensions in the order asked
	filter   map[string]bool // dimensions given as filters
	data     []anaData
	periods  []Period
	keywords []string // relative periods asked
	units    []anaUnit
	byOption bool
	q        AnalyticsQuery
	outData  string // UID, CODE or NAME
	outUnit  string
	skipMeta bool
	skipData bool
	rounding bool
	lang     locale.Lang
	reg      *registry
	inds     map[int64]*anaIndicator
	forms    map[string]anaForm // by code, for reporting rates
	// dataIndex maps the engine's data items (q.Data) to data.
	dataIndex []int
}

type anaForm struct {
	id         int64
	code, name string
}

type anaData struct {
	in     *anaIndicator // for a reporting rate, a stand-in naming it
	option *anaOption    // an operand
	rate   *anaRate      // a reporting rate: <form>.REPORTING_RATE …
}

// anaRate is a DHIS2 reporting-rate item, answered by Completeness.
type anaRate struct {
	form   int64
	code   string
	metric string // one of reportingRates
}

type anaUnit struct {
	id   int64
	asOf string
}

// dimensionNames are the dimensions tinhso answers for.
var dimensionNames = []string{"dx", "pe", "ou", "co"}

// reportingRates are the dx suffixes of DHIS2's reporting rates.
var reportingRates = []string{"REPORTING_RATE", "REPORTING_RATE_ON_TIME", "ACTUAL_REPORTS", "ACTUAL_REPORTS_ON_TIME", "EXPECTED_REPORTS"}

// parseAnalytics reads an analytics query for p.
func (s *Store) parseAnalytics(ctx context.Context, p *org.Principal, v url.Values, lang locale.Lang) (*anaRequest, error) {
	req := &anaRequest{filter: map[string]bool{}, outData: "UID", outUnit: "UID", rounding: true, lang: lang}
	items := map[string][]string{}
	seen := map[string]bool{}
	for _, param := range []string{"dimension", "filter"} {
		for _, raw := range v[param] {
			for _, dim := range strings.Split(raw, ",") {
				dim = strings.TrimSpace(dim)
				if dim == "" {
					continue
				}
				id, rest, _ := strings.Cut(dim, ":")
				if !slices.Contains(dimensionNames, id) {
					return nil, anaErr("E7125", "dimension", id)
				}
				if seen[id] {
					if req.filter[id] != (param == "filter") {
						return nil, anaErr("E7103", "dimension_and_filter", id)
					}
					return nil, anaErr("E7111", "dimension_twice", id)
				}
				seen[id] = true
				var list []string
				for _, it := range strings.Split(rest, ";") {
					if it = strings.TrimSpace(it); it != "" {
						list = append(list, it)
					}
				}
				if len(list) == 0 && id != "co" {
					return nil, anaErr("E7124", "no_items", id)
				}
				items[id] = list
				if param == "filter" {
					req.filter[id] = true
				} else {
					req.order = append(req.order, id)
				}
			}
		}
	}
	if req.filter["co"] {
		return nil, anaErr("E7110", "co_filter")
	}
	if !seen["dx"] {
		return nil, anaErr("E7102", "no_data")
	}
	if v.Get("startDate") != "" || v.Get("endDate") != "" {
		if seen["pe"] {
			return nil, anaErr("E7105", "dates_and_periods")
		}
		return nil, anaErr("E7104", "dates_unsupported")
	}
	if !seen["pe"] {
		return nil, anaErr("E7104", "no_period")
	}
	req.byOption = seen["co"] && !req.filter["co"]
	// Parameters.
	scheme := func(name, def string, allowed ...string) (string, error) {
		val := strings.ToUpper(strings.TrimSpace(v.Get(name)))
		if val == "" {
			return def, nil
		}
		if val == "ID" {
			val = "UID"
		}
		if !slices.Contains(allowed, val) {
			return "", anaErr("E7100", "param", name, v.Get(name))
		}
		return val, nil
	}
	in, err := scheme("inputIdScheme", "", "UID", "CODE")
	if err != nil {
		return nil, err
	}
	out, err := scheme("outputIdScheme", "UID", "UID", "CODE", "NAME")
	if err != nil {
		return nil, err
	}
	if req.outData, err = scheme("outputDataElementIdScheme", out, "UID", "CODE", "NAME"); err != nil {
		return nil, err
	}
	if req.outUnit, err = scheme("outputOrgUnitIdScheme", out, "UID", "CODE", "NAME"); err != nil {
		return nil, err
	}
	for _, name := range []string{"skipMeta", "skipData", "skipRounding"} {
		val := strings.ToLower(strings.TrimSpace(v.Get(name)))
		if val != "" && val != "true" && val != "false" {
			return nil, anaErr("E7100", "param", name, v.Get(name))
		}
	}
	req.skipMeta, req.skipData, req.rounding = v.Get("skipMeta") == "true", v.Get("skipData") == "true", v.Get("skipRounding") != "true"
	day := time.Now().In(vietnam())
	if rd := strings.TrimSpace(v.Get("relativePeriodDate")); rd != "" {
		t, err := time.Parse(time.DateOnly, rd)
		if err != nil {
			return nil, anaErr("E7100", "param", "relativePeriodDate", rd)
		}
		day = t
	}
	asOf := strings.TrimSpace(v.Get("asOf"))
	if asOf != "" && !org.ValidDate(asOf) {
		return nil, anaErr("E7100", "param", "asOf", asOf)
	}
	req.q.Approval = ApprovalAll
	approval := strings.ToLower(strings.TrimSpace(v.Get("approval")))
	if level := strings.TrimSpace(v.Get("approvalLevel")); level != "" {
		approval = strings.ToLower(level)
		if approval != ApprovalApproved && approval != ApprovalAccepted {
			return nil, anaErr("E7122", "approval_level", level)
		}
	}
	switch approval {
	case "", ApprovalAll:
	case ApprovalApproved, ApprovalAccepted:
		req.q.Approval = approval
	default:
		return nil, anaErr("E7100", "param", "approval", v.Get("approval"))
	}
	own := false
	switch m := strings.ToUpper(strings.TrimSpace(v.Get("ouMode"))); m {
	case "", "DESCENDANTS":
	case "SELECTED":
		own = true
	default:
		return nil, anaErr("E7100", "param", "ouMode", v.Get("ouMode"))
	}
	if req.inds, err = s.anaIndicators(ctx); err != nil {
		return nil, err
	}
	if req.reg, err = s.registry(ctx); err != nil {
		return nil, err
	}
	if req.forms, err = s.anaForms(ctx); err != nil {
		return nil, err
	}
	// dx
	for _, it := range items["dx"] {
		d, err := req.dataItem(it, in)
		if err != nil {
			return nil, err
		}
		req.data = append(req.data, d)
	}
	if req.filter["dx"] && len(req.data) > 1 {
		return nil, anaErr("E7108", "dx_filter")
	}
	// pe
	seenPe := map[Period]bool{}
	for _, it := range items["pe"] {
		var ps []Period
		if IsRelativePeriod(it) {
			ps, _ = ExpandRelative(it, day)
			req.keywords = append(req.keywords, strings.ToUpper(it))
		} else {
			p, err := ParsePeriod(it)
			if err != nil {
				return nil, anaErr("E7124", "period", it)
			}
			ps = []Period{p}
		}
		for _, p := range ps {
			if !seenPe[p] {
				seenPe[p] = true
				req.periods = append(req.periods, p)
			}
		}
	}
	// ou
	if err := s.unitItems(ctx, p, req, items["ou"], seen["ou"], in, asOf, v["userOrgUnit"]); err != nil {
		return nil, err
	}
	q := &req.q
	for i, d := range req.data {
		if d.rate != nil {
			continue
		}
		req.dataIndex = append(req.dataIndex, i)
		ad := AnalyticsData{Indicator: d.in.ID}
		if d.option != nil {
			ad.Option, ad.HasOption = d.option.id, true
		}
		q.Data = append(q.Data, ad)
	}
	q.Periods = req.periods
	for _, u := range req.units {
		q.Units = append(q.Units, AnalyticsUnit{ID: u.id, AsOf: u.asOf, Own: own})
	}
	q.FilterPeriods, q.FilterUnits, q.ByOption = req.filter["pe"], req.filter["ou"], req.byOption
	n := len(q.Data) * max(1, len(q.Periods)) * max(1, len(q.Units))
	if q.FilterPeriods {
		n /= max(1, len(q.Periods))
	}
	if q.FilterUnits {
		n /= max(1, len(q.Units))
	}
	if n > maxCells {
		return nil, anaErr("E7128", "too_many", maxCells)
	}
	return req, nil
}

// dataItem resolves one dx item: an indicator (id or code), an operand
// <indicator>.<option>, or a reporting rate <form>.REPORTING_RATE.
func (req *anaRequest) dataItem(it, scheme string) (anaData, error) {
	if in := req.indicator(it, scheme); in != nil {
		return anaData{in: in}, nil
	}
	i := strings.LastIndex(it, ".")
	if i <= 0 {
		return anaData{}, anaErr("E7124", "indicator", it)
	}
	head, tail := it[:i], it[i+1:]
	if slices.Contains(reportingRates, tail) {
		return req.rateItem(head, tail, scheme)
	}
	in := req.indicator(head, scheme)
	if in == nil {
		return anaData{}, anaErr("E7124", "indicator", it)
	}
	if in.derived() || in.computed != nil {
		return anaData{}, anaErr("E7124", "operand_derived", it)
	}
	if tail == "default" {
		return anaData{in: in, option: &anaOption{id: 0, code: "default", name: "default"}}, nil
	}
	for i := range in.options {
		o := &in.options[i]
		if (scheme != "CODE" && strconv.FormatInt(o.id, 10) == tail) || (scheme != "UID" && o.code == tail) {
			return anaData{in: in, option: o}, nil
		}
	}
	return anaData{}, anaErr("E7124", "option", tail, in.Code)
}

// rateItem resolves <form>.<metric>, the form by id or code.
func (req *anaRequest) rateItem(form, metric, scheme string) (anaData, error) {
	f, ok := req.forms[form]
	if !ok && scheme != "CODE" {
		if id, err := strconv.ParseInt(form, 10, 64); err == nil {
			for _, x := range req.forms {
				if x.id == id {
					f, ok = x, true
				}
			}
		}
	}
	if !ok || scheme == "UID" && strconv.FormatInt(f.id, 10) != form {
		return anaData{}, anaErr("E7124", "reporting_rate", form+"."+metric)
	}
	vt := TypeInteger
	if strings.HasPrefix(metric, "REPORTING_RATE") {
		vt = TypePercentage
	}
	in := &anaIndicator{Indicator: Indicator{ID: f.id, Code: f.code + "." + metric, ValueType: string(vt),
		Name: locale.T(req.lang, "analytics.rate."+metric, f.name)}}
	return anaData{in: in, rate: &anaRate{form: f.id, code: f.code, metric: metric}}, nil
}

// indicator finds an indicator by id or code, as the scheme says (by
// default a number is an id and anything else a code).
func (req *anaRequest) indicator(it, scheme string) *anaIndicator {
	if scheme != "CODE" {
		if id, err := strconv.ParseInt(it, 10, 64); err == nil {
			if in := req.inds[id]; in != nil {
				return in
			}
		}
	}
	if scheme != "UID" {
		for _, in := range req.inds {
			if in.Code == it {
				return in
			}
		}
	}
	return nil
}

// unitItems resolves the ou items, authorising every unit named.
func (s *Store) unitItems(ctx context.Context, p *org.Principal, req *anaRequest, list []string, given bool, scheme, asOf string, userUnits []string) error {
	reg := req.reg
	find := func(it string) (int64, bool) {
		if scheme != "CODE" {
			if id, err := strconv.ParseInt(it, 10, 64); err == nil {
				if _, ok := reg.unit(id); ok {
					return id, true
				}
			}
		}
		if scheme != "UID" {
			if id, ok := reg.byCode[it]; ok {
				return id, true
			}
		}
		return 0, false
	}
	authorize := func(id int64) error {
		if err := s.org.Authorize(ctx, p, ViewReports, id); err != nil {
			if errors.Is(err, errs.Forbidden) || errors.Is(err, errs.Unauthorized) {
				name := ""
				if p != nil {
					name = p.Username
				}
				e := anaErr("E7120", "scope", name, id)
				e.Status = http.StatusForbidden
				return e
			}
			return err
		}
		return nil
	}
	// The user's org units: the scopes of report.view, or userOrgUnit.
	var mine []int64
	for _, raw := range userUnits {
		for _, it := range strings.Split(raw, ";") {
			if it = strings.TrimSpace(it); it == "" {
				continue
			}
			id, ok := find(it)
			if !ok {
				return anaErr("E7124", "unit", it)
			}
			if err := authorize(id); err != nil {
				return err
			}
			mine = append(mine, id)
		}
	}
	if len(mine) == 0 {
		mine = s.org.Scopes(p, ViewReports)
	}
	day := func(id int64) (string, error) {
		d, ok := reg.resolveAsOf(id, asOf)
		if !ok {
			return "", anaErr("E7124", "unit_as_of", id, asOf)
		}
		return d, nil
	}
	var out []anaUnit
	add := func(id int64, d string) {
		for _, u := range out {
			if u.id == id {
				return
			}
		}
		out = append(out, anaUnit{id: id, asOf: d})
	}
	if !given {
		// No ou: the user's own units, as a filter (DHIS2 does the same).
		req.filter["ou"] = true
		list = []string{"USER_ORGUNIT"}
	}
	// Plain units first: they bound the LEVEL items.
	var bounds []int64
	var levels []string
	for _, it := range list {
		up := strings.ToUpper(it)
		switch {
		case strings.HasPrefix(up, "LEVEL-"):
			levels = append(levels, it)
		case strings.HasPrefix(up, "USER_ORGUNIT"), strings.HasPrefix(up, "OU_GROUP-"):
		default:
			id, ok := find(it)
			if !ok {
				return anaErr("E7124", "unit", it)
			}
			if err := authorize(id); err != nil {
				return err
			}
			bounds = append(bounds, id)
		}
	}
	for _, it := range list {
		up := strings.ToUpper(it)
		switch {
		case up == "USER_ORGUNIT", up == "USER_ORGUNIT_CHILDREN", up == "USER_ORGUNIT_GRANDCHILDREN":
			for _, id := range mine {
				d, err := day(id)
				if err != nil {
					return err
				}
				st := reg.at(d)
				switch up {
				case "USER_ORGUNIT":
					add(id, d)
				case "USER_ORGUNIT_CHILDREN":
					for _, c := range st.children[id] {
						add(c, d)
					}
				default:
					for _, c := range st.children[id] {
						for _, g := range st.children[c] {
							add(g, d)
						}
					}
				}
			}
		case strings.HasPrefix(up, "OU_GROUP-"):
			return anaErr("E7124", "unit_group", it)
		case strings.HasPrefix(up, "LEVEL-"):
		default:
			id, _ := find(it)
			d, err := day(id)
			if err != nil {
				return err
			}
			if len(levels) == 0 {
				add(id, d)
			}
		}
	}
	for _, it := range levels {
		spec := it[len("LEVEL-"):]
		var boundary []int64
		level, rest, hasUnit := strings.Cut(spec, "-")
		if hasUnit {
			id, ok := find(rest)
			if !ok {
				return anaErr("E7124", "unit", rest)
			}
			if err := authorize(id); err != nil {
				return err
			}
			boundary = []int64{id}
		} else if len(bounds) > 0 {
			boundary = bounds
		} else {
			boundary = mine
		}
		depth, numErr := strconv.Atoi(level)
		lname := strings.ToLower(level)
		if numErr != nil && !slices.Contains([]string{"nation", "province", "department", "district", "commune"}, lname) || numErr == nil && depth < 1 {
			return anaErr("E7124", "level", it)
		}
		for _, b := range boundary {
			d, err := day(b)
			if err != nil {
				return err
			}
			st := reg.at(d)
			var ids []int64
			if numErr == nil {
				ids = st.atDepth(b, depth)
			} else {
				ids = st.atLevel(b, lname)
			}
			for _, id := range ids {
				add(id, d)
			}
		}
	}
	if len(out) == 0 && given {
		return anaErr("E7124", "no_units")
	}
	req.units = out
	return nil
}

// analyticsAnswer runs a parsed query and lays it out as DHIS2 does.
func (s *Store) analyticsAnswer(ctx context.Context, req *anaRequest) (AnalyticsResponse, error) {
	var cells []AnalyticsCell
	if !req.skipData {
		var err error
		if len(req.q.Data) > 0 {
			cells, err = s.analytics(ctx, req.reg, req.inds, req.q)
		}
		var tooMany errTooManyCells
		if errors.As(err, &tooMany) {
			return AnalyticsResponse{}, anaErr("E7128", "too_many", maxCells)
		} else if err != nil {
			return AnalyticsResponse{}, err
		}
		for i := range cells {
			cells[i].Data = req.dataIndex[cells[i].Data]
		}
		rates, err := s.rateCells(ctx, req)
		if err != nil {
			return AnalyticsResponse{}, err
		}
		cells = append(cells, rates...)
		sortCells(cells)
	}
	lang := req.lang
	res := AnalyticsResponse{Rows: [][]string{}}
	for _, d := range req.order {
		res.Headers = append(res.Headers, AnalyticsHeader{Name: d, Column: dimensionColumn[d], ValueType: "TEXT", Type: "java.lang.String", Meta: true})
	}
	res.Headers = append(res.Headers, AnalyticsHeader{Name: "value", Column: "Value", ValueType: "NUMBER", Type: "java.lang.Double"})
	dataID := func(i int) string { return req.dataID(req.data[i]) }
	unitID := func(i int) string { return req.unitID(req.units[i].id) }
	optID := func(in *anaIndicator, o int64) string {
		if o <= 0 {
			return "default"
		}
		for _, op := range in.options {
			if op.id == o {
				switch req.outData {
				case "CODE":
					return op.code
				case "NAME":
					return op.name
				}
			}
		}
		return strconv.FormatInt(o, 10)
	}
	usedOpts := map[string]bool{}
	for _, c := range cells {
		in := req.data[c.Data].in
		row := make([]string, 0, len(res.Headers))
		for _, d := range req.order {
			switch d {
			case "dx":
				row = append(row, dataID(c.Data))
			case "pe":
				row = append(row, req.periods[c.Period].String())
			case "ou":
				row = append(row, unitID(c.Unit))
			case "co":
				id := optID(in, c.Option)
				usedOpts[id] = true
				row = append(row, id)
			}
		}
		row = append(row, req.format(in, c.Value))
		res.Rows = append(res.Rows, row)
	}
	res.HeaderWidth, res.Width, res.Height = len(res.Headers), len(res.Headers), len(res.Rows)
	if req.skipMeta {
		return res, nil
	}
	meta := &AnalyticsMeta{Items: map[string]AnalyticsItem{}, Dimensions: map[string][]string{}}
	for _, d := range dimensionNames {
		if d != "co" || req.byOption {
			meta.Items[d] = AnalyticsItem{Name: locale.T(lang, "analytics.dim."+d)}
		}
	}
	dx := []string{}
	for i, d := range req.data {
		id := dataID(i)
		name := d.in.Name
		if d.option != nil {
			name += " " + d.option.name
		}
		meta.Items[id] = AnalyticsItem{Name: name, Code: d.in.Code}
		dx = append(dx, id)
	}
	pe := []string{}
	for _, p := range req.periods {
		meta.Items[p.String()] = AnalyticsItem{Name: p.Label(lang)}
		pe = append(pe, p.String())
	}
	for _, k := range req.keywords {
		meta.Items[k] = AnalyticsItem{Name: locale.T(lang, "analytics.relative."+k)}
	}
	ou := []string{}
	note := &AnalyticsNote{Approval: req.q.Approval, ApprovalNote: locale.T(lang, "analytics.approval_note."+req.q.Approval), OuMode: "DESCENDANTS", OrgUnitAsOf: map[string]string{}}
	if len(req.q.Units) > 0 && req.q.Units[0].Own {
		note.OuMode = "SELECTED"
	}
	for _, u := range req.units {
		id := req.unitID(u.id)
		unit, _ := req.reg.unit(u.id)
		meta.Items[id] = AnalyticsItem{Name: unitLabel(unit), Code: unit.Code}
		ou = append(ou, id)
		note.OrgUnitAsOf[id] = u.asOf
	}
	co := []string{}
	for _, d := range req.data {
		for _, o := range d.in.options {
			if d.option != nil && d.option.id != o.id {
				continue
			}
			id := optID(d.in, o.id)
			if !slices.Contains(co, id) {
				co = append(co, id)
				meta.Items[id] = AnalyticsItem{Name: o.name, Code: o.code}
			}
		}
	}
	if usedOpts["default"] && !slices.Contains(co, "default") {
		co = append(co, "default")
		meta.Items["default"] = AnalyticsItem{Name: "default"}
	}
	meta.Dimensions = map[string][]string{"dx": dx, "pe": pe, "ou": ou, "co": co}
	meta.Tinhso = note
	res.MetaData = meta
	return res, nil
}

// sortCells orders cells by data item, period, unit and option, as the
// query listed them.
func sortCells(cells []AnalyticsCell) {
	slices.SortStableFunc(cells, func(a, b AnalyticsCell) int {
		for _, d := range [][2]int64{{int64(a.Data), int64(b.Data)}, {int64(a.Period), int64(b.Period)}, {int64(a.Unit), int64(b.Unit)}} {
			if d[0] != d[1] {
				if d[0] < d[1] {
					return -1
				}
				return 1
			}
		}
		return 0
	})
}

// anaForms lists the report forms by code.
func (s *Store) anaForms(ctx context.Context) (map[string]anaForm, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code, name FROM report_forms`)
	if err != nil {
		return nil, fmt.Errorf("report: analytics forms: %w", err)
	}
	defer rows.Close()
	out := map[string]anaForm{}
	for rows.Next() {
		var f anaForm
		if err := rows.Scan(&f.id, &f.code, &f.name); err != nil {
			return nil, err
		}
		out[f.code] = f
	}
	return out, rows.Err()
}

// rateCells answers the reporting-rate items of req from Completeness:
// expected, actual and on-time reports of the form for each unit's
// subtree, in the structure each unit is read in; a filter adds the counts
// of its periods and units up before the rate is taken.
func (s *Store) rateCells(ctx context.Context, req *anaRequest) ([]AnalyticsCell, error) {
	type counts struct{ expected, actual, onTime int }
	var out []AnalyticsCell
	for di, d := range req.data {
		if d.rate == nil || req.byOption {
			continue
		}
		// One Completeness call per structure date.
		byDate := map[string][]int{}
		for ui, u := range req.units {
			byDate[u.asOf] = append(byDate[u.asOf], ui)
		}
		got := map[[2]int]counts{} // period index, unit index → counts
		for date, uis := range byDate {
			q := CompletenessQuery{Forms: []int64{d.rate.form}, Periods: req.periods, AsOf: date}
			for _, ui := range uis {
				q.Units = append(q.Units, req.units[ui].id)
			}
			res, err := s.Completeness(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, row := range res.Rows {
				for pi, p := range req.periods {
					if p.String() != row.Period {
						continue
					}
					for _, ui := range uis {
						if req.units[ui].id == row.Unit.ID {
							k := [2]int{pi, ui}
							c := got[k]
							c.expected += row.Expected
							c.actual += row.Actual
							c.onTime += row.ActualOnTime
							got[k] = c
						}
					}
				}
			}
		}
		cell := map[[2]int]counts{}
		for k, c := range got {
			if req.filter["pe"] {
				k[0] = -1
			}
			if req.filter["ou"] {
				k[1] = -1
			}
			t := cell[k]
			t.expected += c.expected
			t.actual += c.actual
			t.onTime += c.onTime
			cell[k] = t
		}
		for k, c := range cell {
			var v float64
			switch d.rate.metric {
			case "REPORTING_RATE", "REPORTING_RATE_ON_TIME":
				if c.expected == 0 {
					continue
				}
				n := c.actual
				if d.rate.metric == "REPORTING_RATE_ON_TIME" {
					n = c.onTime
				}
				v = float64(n) / float64(c.expected) * 100
			case "ACTUAL_REPORTS":
				v = float64(c.actual)
			case "ACTUAL_REPORTS_ON_TIME":
				v = float64(c.onTime)
			case "EXPECTED_REPORTS":
				v = float64(c.expected)
			}
			out = append(out, AnalyticsCell{Data: di, Period: k[0], Unit: k[1], Option: -1, Value: v})
		}
	}
	return out, nil
}

var dimensionColumn = map[string]string{"dx": "Data", "pe": "Period", "ou": "Organisation unit", "co": "Category option combo"}

func unitLabel(u org.Unit) string {
	if u.Label != "" {
		return u.Label
	}
	return u.Name
}

// dataID is a data item in the output scheme.
func (req *anaRequest) dataID(d anaData) string {
	if r := d.rate; r != nil {
		if req.outData == "UID" {
			return strconv.FormatInt(r.form, 10) + "." + r.metric
		}
		if req.outData == "NAME" {
			return d.in.Name
		}
		return r.code + "." + r.metric
	}
	var id string
	switch req.outData {
	case "CODE":
		id = d.in.Code
	case "NAME":
		id = d.in.Name
	default:
		id = strconv.FormatInt(d.in.ID, 10)
	}
	if d.option != nil {
		switch {
		case d.option.id == 0:
			id += ".default"
		case req.outData == "CODE":
			id += "." + d.option.code
		case req.outData == "NAME":
			id += " " + d.option.name
		default:
			id += "." + strconv.FormatInt(d.option.id, 10)
		}
	}
	return id
}

// unitID is a unit in the output scheme.
func (req *anaRequest) unitID(id int64) string {
	u, _ := req.reg.unit(id)
	switch req.outUnit {
	case "CODE":
		return u.Code
	case "NAME":
		return unitLabel(u)
	}
	return strconv.FormatInt(id, 10)
}

// format writes a figure as DHIS2 does: an indicator's (derived, computed,
// a percentage) with one decimal ("90.0"), a count as an integer, other
// numbers with one decimal (two below 1); with skipRounding, in full.
func (req *anaRequest) format(in *anaIndicator, v float64) string {
	if !req.rounding {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	ratio := in.ratio()
	if !ratio && v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	if math.Abs(v) < 1 && !ratio {
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
}

// ratio reports whether in's figures are rates, written with one decimal.
func (in *anaIndicator) ratio() bool {
	return in.derived() || in.computed != nil || ValueType(in.ValueType) == TypePercentage
}

// analyticsParams reads a query string as DHIS2 clients write it: items
// are separated by semicolons, often unescaped (dimension=dx:a;b), which
// url.ParseQuery refuses; only & separates parameters here.
func analyticsParams(raw string) url.Values {
	v := url.Values{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			// Kept as sent: the parameter's own check names it.
			k, _, _ = strings.Cut(part, "=")
			_, val, _ = strings.Cut(part, "=")
		}
		v[k] = append(v[k], val)
	}
	return v
}

// analyticsRoutes registers /api/analytics and its DHIS2 spellings.
func (s *Store) analyticsRoutes(api *httpx.API) {
	query := []string{
		"dimension: dx:<indicators, ids or codes, or <indicator>.<option>>, pe:<periods or relative periods such as LAST_5_YEARS>, ou:<units, USER_ORGUNIT, USER_ORGUNIT_CHILDREN, LEVEL-n>, co (repeatable)",
		"filter: a dimension collapsed out of the answer (repeatable)",
		"relativePeriodDate: YYYY-MM-DD, the day relative periods count from (today)",
		"asOf: YYYY-MM-DD, the day whose org structure units are read in (today; a unit that has ended: its last day)",
		"approval: all (default: every value, approved or not), approved or accepted; approvalLevel=approved|accepted is the same",
		"ouMode: DESCENDANTS (default: each unit with its subtree) or SELECTED (its own values)",
		"inputIdScheme: UID (tinhso's numeric ids) or CODE; by default a number is an id and anything else a code",
		"outputIdScheme, outputDataElementIdScheme, outputOrgUnitIdScheme: UID (default), CODE or NAME",
		"skipMeta, skipData, skipRounding: true or false",
	}
	for _, base := range []string{"/api/analytics", "/api/v1/analytics"} {
		for _, ext := range []string{"", ".json", ".csv", ".xlsx"} {
			format := strings.TrimPrefix(ext, ".")
			summary := "Analytics in DHIS2's shape: values by indicator × period × unit, rolled up over time and the org tree, always current"
			if format == "csv" || format == "xlsx" {
				summary = "Analytics as a table download (" + strings.ToUpper(format) + "; CSV with a UTF-8 BOM)"
			}
			api.Handle(httpx.Route{Method: "GET", Path: base + ext, Tag: "analytics", Summary: summary, Response: AnalyticsResponse{}, Query: query},
				s.analyticsHandler(format))
		}
	}
}

func (s *Store) analyticsHandler(format string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		lang := locale.FromRequest(r)
		req, err := s.parseAnalytics(ctx, org.PrincipalFrom(ctx), analyticsParams(r.URL.RawQuery), lang)
		var res AnalyticsResponse
		if err == nil {
			res, err = s.analyticsAnswer(ctx, req)
		}
		var ae *AnalyticsError
		if errors.As(err, &ae) {
			writeAnalyticsError(w, r, ae)
			return nil
		} else if err != nil {
			return err
		}
		switch format {
		case "csv", "xlsx":
			return xlsx.SendExport(w, format, res.export(lang))
		}
		httpx.JSON(w, http.StatusOK, res)
		return nil
	}
}

// export is the grid as a table download: the headers' columns, then the
// rows (values as numbers).
func (res AnalyticsResponse) export(lang locale.Lang) xlsx.Export {
	e := xlsx.Export{Name: locale.T(lang, "analytics.export_name"), Title: "analytics"}
	for _, h := range res.Headers {
		c := xlsx.Column{Header: h.Column, Width: 18}
		if h.Name == "value" {
			c.Format = xlsx.NumberFmt
		}
		e.Columns = append(e.Columns, c)
	}
	for _, row := range res.Rows {
		out := make([]any, len(row))
		for i, cell := range row {
			out[i] = cell
		}
		if n := len(row) - 1; n >= 0 {
			if f, err := strconv.ParseFloat(row[n], 64); err == nil {
				out[n] = f
			}
		}
		e.Rows = append(e.Rows, out)
	}
	return e
}
