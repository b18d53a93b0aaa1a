package report

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
)

// One indicator's figure for one unit and period, with where it came from:
// what other domains read (a plan target's actual values, a DTI component's
// input). Authorisation is the caller's: these functions answer for any
// unit.

// ValueQuery asks for an indicator's figure for a unit (its subtree) and a
// period.
type ValueQuery struct {
	Indicator string // code
	Unit      int64
	Period    Period
	// AsOf is the day whose org structure is read (YYYY-MM-DD); by default
	// the period's last day, or today for a period not over. A unit that
	// did not exist that day reads through the units that stood for it: its
	// predecessors (a unit formed later, such as the new Gia Lai for 2024)
	// or its successors and heirs (a unit that had ended).
	AsOf string
	// Levels keep only the units of the subtree at these org levels
	// (province, department, district, commune): a target split by level.
	Levels   []string
	Approval string // ApprovalAll (default), ApprovalApproved, ApprovalAccepted
}

// IndicatorValue is a figure and its provenance.
type IndicatorValue struct {
	Value   *float64 `json:"value"`
	Known   bool     `json:"known" doc:"false when no indicator has the code"`
	Units   int      `json:"units" doc:"how many units have values in the figure"`
	LastEnd string   `json:"lastEnd,omitempty" doc:"YYYY-MM-DD, the last day of the latest period counted"`
	AsOf    string   `json:"asOf" doc:"the day whose org structure was read"`
	// Roots are the units read for the unit asked: itself, or those that
	// stood for it on AsOf.
	Roots []UnitRef `json:"roots"`
	// Sources say, form by form, which reports the values come from (with
	// detail only).
	Sources []ValueSource `json:"sources,omitempty"`
	Href    string        `json:"href" doc:"the pivot table of the figure"`
}

// ValueSource is one form's part in a figure: its reports' units, periods
// and states.
type ValueSource struct {
	Form      string         `json:"form" doc:"the form's code; empty for values no form of the unit holds"`
	FormName  string         `json:"formName"`
	Indicator string         `json:"indicator" doc:"the stored indicator (a derived one reads its numerator and denominator)"`
	Units     int            `json:"units"`
	UnitNames []string       `json:"unitNames" doc:"the first units, by name"`
	Periods   []string       `json:"periods"`
	States    map[string]int `json:"states" doc:"values by their report's state: open (no report submitted), draft, submitted, returned, approved, accepted"`
}

// IndicatorValue is IndicatorValues for one query, with its sources.
func (s *Store) IndicatorValue(ctx context.Context, q ValueQuery) (IndicatorValue, error) {
	out, err := s.IndicatorValues(ctx, []ValueQuery{q}, true)
	if err != nil {
		return IndicatorValue{}, err
	}
	return out[0], nil
}

// IndicatorValues answers many queries with one read of the running
// totals; detail adds each figure's sources.
func (s *Store) IndicatorValues(ctx context.Context, qs []ValueQuery, detail bool) ([]IndicatorValue, error) {
	inds, err := s.anaIndicators(ctx)
	if err != nil {
		return nil, err
	}
	byCode := map[string]*anaIndicator{}
	for _, in := range inds {
		byCode[in.Code] = in
	}
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, err
	}
	today := org.Today()
	out := make([]IndicatorValue, len(qs))
	specs := make([]cellSpec, len(qs))
	groups := map[string][]int{} // approval → queries
	for i, q := range qs {
		in := byCode[q.Indicator]
		v := &out[i]
		v.Roots = []UnitRef{}
		if in == nil || q.Period.IsZero() {
			continue
		}
		v.Known = true
		asOf := q.AsOf
		if asOf == "" {
			asOf = min(today, q.Period.End().Format(time.DateOnly))
		}
		v.AsOf = asOf
		st := reg.at(asOf)
		var roots []int64
		switch u, ok := reg.unit(q.Unit); {
		case !ok:
		case st.has(q.Unit):
			roots = []int64{q.Unit}
		case u.ValidFrom > asOf:
			for _, p := range reg.sn.Predecessors(q.Unit) {
				if st.has(p) {
					roots = append(roots, p)
				}
			}
		default:
			for _, p := range reg.sn.Successors(q.Unit, asOf) {
				if st.has(p) {
					roots = append(roots, p)
				}
			}
		}
		var sources []int64
		codes := []string{}
		for _, r := range roots {
			sources = append(sources, st.sources(r, false, q.Levels)...)
			u, _ := reg.unit(r)
			v.Roots = append(v.Roots, UnitRef{ID: u.ID, Code: u.Code, Name: unitLabel(u)})
			codes = append(codes, u.Code)
		}
		specs[i] = cellSpec{asked: []int64{q.Unit}, sources: dedupe(sources), periods: []Period{q.Period}}
		lq := pivotQuery{DX: []string{in.Code}, PE: q.Period.String(), At: map[string]string{"dx": atFilter, "pe": atCol, "ou": atRow}, Approval: q.Approval}
		if u, ok := reg.unit(q.Unit); ok {
			lq.OU, lq.Children = u.Code, true
			if len(roots) != 1 || roots[0] != q.Unit {
				lq.OU = joinCodes(codes)
			}
		}
		if asOf != today {
			lq.AsOf = asOf
		}
		v.Href = "/report/analytics?" + lq.values().Encode()
		approval := q.Approval
		if approval != ApprovalApproved && approval != ApprovalAccepted {
			approval = ApprovalAll
		}
		groups[approval] = append(groups[approval], i)
	}
	for approval, idx := range groups {
		need := map[int64]bool{}
		var periods []Period
		var units []int64
		for _, i := range idx {
			byCode[qs[i].Indicator].stored(need, 0)
			if !slices.Contains(periods, qs[i].Period) {
				periods = append(periods, qs[i].Period)
			}
			units = append(units, specs[i].sources...)
		}
		units = dedupe(units)
		var stats map[statKey]stat
		if approval == ApprovalAll {
			stats, err = s.readStats(ctx, keys(need), periods, units)
		} else {
			stats, err = s.readApprovedStats(ctx, keys(need), periods, units, approval)
		}
		if err != nil {
			return nil, err
		}
		e := &evaluator{s: s, ctx: ctx, stats: stats}
		for _, i := range idx {
			f, err := e.value(byCode[qs[i].Indicator], -1, specs[i], 0)
			if err != nil {
				return nil, err
			}
			if f.ok {
				v := f.v
				out[i].Value, out[i].Units, out[i].LastEnd = &v, f.units, f.lastEnd
			}
			if detail && f.ok {
				if out[i].Sources, err = s.valueSources(ctx, reg, byCode[qs[i].Indicator], specs[i], approval); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

func joinCodes(codes []string) string {
	out := ""
	for i, c := range codes {
		if i > 0 {
			out += ","
		}
		out += c
	}
	return out
}

// valueSources lists, form by form, the reports whose values a figure
// counts: units, periods and the reports' states.
func (s *Store) valueSources(ctx context.Context, reg *registry, in *anaIndicator, c cellSpec, approval string) ([]ValueSource, error) {
	if in.computed != nil {
		return []ValueSource{{Indicator: in.Code, Units: 1, Periods: []string{c.periods[0].String()}, States: map[string]int{}}}, nil
	}
	need := map[int64]bool{}
	in.stored(need, 0)
	if len(need) == 0 || len(c.sources) == 0 {
		return nil, nil
	}
	forms, err := s.sourceForms(ctx)
	if err != nil {
		return nil, err
	}
	p := c.periods[0]
	args := []any{p.Start().Format(time.DateOnly), p.End().Format(time.DateOnly)}
	q := `SELECT v.indicator_id, v.unit_id, v.period, COALESCE(s.form_id, 0), COALESCE(s.state, '') FROM report_values v
		LEFT JOIN report_submissions s ON s.unit_id = v.unit_id AND s.period = v.period AND s.form_id IN (
			SELECT fs.form_id FROM report_form_sections fs JOIN report_form_indicators fi ON fi.section_id = fs.id WHERE fi.indicator_id = v.indicator_id)
		WHERE v.start_date >= $1 AND v.end_date <= $2 AND v.number IS NOT NULL AND v.indicator_id IN (` + idList(keys(need)) + `)`
	if len(c.sources) <= maxUnitList {
		q += ` AND v.unit_id IN (` + idList(c.sources) + `)`
	}
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report: value sources: %w", err)
	}
	defer rows.Close()
	keep := map[int64]bool{}
	for _, u := range c.sources {
		keep[u] = true
	}
	type group struct {
		src     ValueSource
		units   map[int64]bool
		periods map[string]bool
	}
	groups := map[string]*group{}
	var order []string
	for rows.Next() {
		var ind, unit, form int64
		var period, state string
		if err := rows.Scan(&ind, &unit, &period, &form, &state); err != nil {
			return nil, err
		}
		vp, err := ParsePeriod(period)
		if err != nil || !keep[unit] || !holds(p, vp) {
			continue
		}
		switch {
		case approval == ApprovalApproved && state != StateApproved && state != StateAccepted,
			approval == ApprovalAccepted && state != StateAccepted:
			continue
		}
		if form == 0 {
			form = forms.guess(ind, vp.Type(), reg, unit)
		}
		if state == "" {
			state = "open"
		}
		k := strconv.FormatInt(form, 10) + "/" + strconv.FormatInt(ind, 10)
		g := groups[k]
		if g == nil {
			g = &group{src: ValueSource{Indicator: forms.indicators[ind], States: map[string]int{}}, units: map[int64]bool{}, periods: map[string]bool{}}
			if f := forms.byID[form]; f != nil {
				g.src.Form, g.src.FormName = f.code, f.name
			}
			groups[k] = g
			order = append(order, k)
		}
		g.units[unit] = true
		g.periods[period] = true
		g.src.States[state]++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	col := locale.Collator()
	var out []ValueSource
	for _, k := range order {
		g := groups[k]
		g.src.Units = len(g.units)
		var names []string
		for u := range g.units {
			if unit, ok := reg.unit(u); ok {
				names = append(names, unitLabel(unit))
			}
		}
		sort.Slice(names, func(i, j int) bool { return col.CompareString(names[i], names[j]) < 0 })
		g.src.UnitNames = names[:min(len(names), 5)]
		for pe := range g.periods {
			g.src.Periods = append(g.src.Periods, pe)
		}
		slices.SortFunc(g.src.Periods, func(a, b string) int {
			pa, _ := ParsePeriod(a)
			pb, _ := ParsePeriod(b)
			return pa.Compare(pb)
		})
		out = append(out, g.src)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Indicator < out[j].Indicator })
	return out, nil
}

// sourceForm is what a figure's sources need of a form.
type sourceForm struct {
	code, name string
	periodType string
	indicators map[int64]bool
	kinds      map[string][]int64 // unit kind → the units whose subtrees it is assigned under
}

type sourceForms struct {
	byID       map[int64]*sourceForm
	ids        []int64
	indicators map[int64]string // code
}

func (s *Store) sourceForms(ctx context.Context) (*sourceForms, error) {
	fs := &sourceForms{byID: map[int64]*sourceForm{}, indicators: map[int64]string{}}
	scan := func(q string, fn func(rows *sql.Rows) error) error {
		rows, err := s.db.Read.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err := scan(`SELECT id, code, name, period_type FROM report_forms ORDER BY code`, func(rows *sql.Rows) error {
		var id int64
		f := &sourceForm{indicators: map[int64]bool{}, kinds: map[string][]int64{}}
		if err := rows.Scan(&id, &f.code, &f.name, &f.periodType); err != nil {
			return err
		}
		fs.byID[id] = f
		fs.ids = append(fs.ids, id)
		return nil
	})
	if err == nil {
		err = scan(`SELECT s.form_id, fi.indicator_id FROM report_form_indicators fi JOIN report_form_sections s ON s.id = fi.section_id`, func(rows *sql.Rows) error {
			var form, ind int64
			if err := rows.Scan(&form, &ind); err != nil {
				return err
			}
			if f := fs.byID[form]; f != nil {
				f.indicators[ind] = true
			}
			return nil
		})
	}
	if err == nil {
		err = scan(`SELECT form_id, kind, under_unit_id FROM report_form_assignments`, func(rows *sql.Rows) error {
			var form, under int64
			var kind string
			if err := rows.Scan(&form, &kind, &under); err != nil {
				return err
			}
			if f := fs.byID[form]; f != nil {
				f.kinds[kind] = append(f.kinds[kind], under)
			}
			return nil
		})
	}
	if err == nil {
		err = scan(`SELECT id, code FROM report_indicators`, func(rows *sql.Rows) error {
			var id int64
			var code string
			if err := rows.Scan(&id, &code); err != nil {
				return err
			}
			fs.indicators[id] = code
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("report: value sources: forms: %w", err)
	}
	return fs, nil
}

// guess is the form a value with no report belongs to: of the forms that
// hold the indicator with the value's period type, one assigned to units
// of the unit's kind under a unit whose subtree holds it (a Lai Châu
// commune's draft is Lai Châu's commune form, not Gia Lai's), else one
// assigned to the unit's kind, else the first by code; 0 when none.
func (fs *sourceForms) guess(ind int64, t PeriodType, reg *registry, unit int64) int64 {
	u, _ := reg.unit(unit)
	var first, kind int64
	for _, id := range fs.ids {
		f := fs.byID[id]
		if !f.indicators[ind] || f.periodType != t.String() {
			continue
		}
		for _, under := range f.kinds[u.Kind] {
			if reg.sn.Within(unit, under) {
				return id
			}
		}
		if kind == 0 && len(f.kinds[u.Kind]) > 0 {
			kind = id
		}
		if first == 0 {
			first = id
		}
	}
	if kind != 0 {
		return kind
	}
	return first
}

// AnalyticsVersion changes whenever a figure may: a value written (each
// change leaves a history row) or a report's state moved (each step is an
// event). Caches of figures (the plan's review) key on it.
func (s *Store) AnalyticsVersion(ctx context.Context) (string, error) {
	var values, events int64
	var states string
	err := s.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(MAX(id), 0) FROM report_value_history),
		(SELECT COALESCE(MAX(id), 0) FROM report_submission_events),
		(SELECT COALESCE(CAST(MAX(updated_at) AS TEXT), '') || ':' || CAST(COUNT(*) AS TEXT) FROM report_submissions)`).Scan(&values, &events, &states)
	return fmt.Sprint(values, events, states), err
}
