package report

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// Completeness and timeliness (issue 7, part 4): how many reports were
// expected, submitted, submitted on time and approved, per form, unit and
// period, rolled up the tree and across reorganisations.
//
// A report is one form × unit × period. It is expected when the unit must
// report the form for the period (UnitsFor: the registry as it stood on
// the last day of the period's cut-off). It is submitted (actual) while
// its state is submitted, approved or accepted — a returned report waits
// for its unit again and is not; on time when its first submission came
// by the deadline (report_submissions.on_time, set by the workflow);
// approved in state approved or accepted. It is due once its deadline
// day has ended in Vietnam, and late (missing) when due and not
// submitted.
//
// A unit's figure counts the reports of every unit under it in the
// structure asked for: today's by default, where the reports of a unit
// that has ended count under its successors or the heirs of its duties
// (a district's 2024 report under the province that inherited it; two
// departments merged into one, two reports under the new one), and where
// a unit formed later reads through the units it succeeded.

// Report states that count as submitted and as approved.
func submittedState(st string) bool {
	return st == StateSubmitted || st == StateApproved || st == StateAccepted
}
func approvedState(st string) bool { return st == StateApproved || st == StateAccepted }

// CompletenessQuery chooses the figures. Callers outside a request's
// authorisation (analytics, the computed indicator) pass the units they
// have authorised; CompletenessFor authorises for a principal.
type CompletenessQuery struct {
	// Forms are form ids; none: every form.
	Forms []int64
	// Periods are the periods asked for. A form answers for a period of
	// its own type, and for a longer one by the sum of its periods inside
	// it (the four quarters of a year); a period shorter than the form's
	// type gives no row for that form. None: each form's latest period
	// whose deadline has passed.
	Periods []Period
	// Units are the units whose figures are asked for (each counting its
	// subtree); none: the roots of the structure.
	Units []int64
	// Children adds a row for each direct child of each unit; Descendants
	// for every unit below (a whole country at once).
	Children, Descendants bool
	// AsOf is the date of the structure (YYYY-MM-DD): today when empty.
	AsOf string
	// Total adds, per unit and period, a row summing every form (Form "").
	Total bool
	// DueOnly counts a report only once it is due or submitted, so that a
	// period not yet over does not count as missing (the computed
	// indicator uses it).
	DueOnly bool
}

// CompletenessRow is the figure of one form (or every form), unit and
// period. DHIS2's reporting-rate metrics map onto it: EXPECTED_REPORTS =
// expected, ACTUAL_REPORTS = actual, ACTUAL_REPORTS_ON_TIME =
// actualOnTime, REPORTING_RATE = rate, REPORTING_RATE_ON_TIME =
// rateOnTime.
type CompletenessRow struct {
	Form         string   `json:"form" doc:"the form's code; empty on a total over every form"`
	FormID       int64    `json:"formId,omitempty"`
	Period       string   `json:"period" doc:"DHIS2 notation, e.g. 2025Q3"`
	Unit         UnitRef  `json:"unit"`
	Level        string   `json:"level" doc:"the unit's level in the structure asked for"`
	ParentID     int64    `json:"parentId,omitempty" doc:"the unit's parent in the structure asked for"`
	Expected     int      `json:"expected" doc:"reports the units of the subtree must send (DHIS2 EXPECTED_REPORTS)"`
	Due          int      `json:"due" doc:"expected reports whose deadline has passed"`
	Actual       int      `json:"actual" doc:"reports submitted, approved or accepted (ACTUAL_REPORTS)"`
	ActualOnTime int      `json:"actualOnTime" doc:"of those, first submitted by the deadline (ACTUAL_REPORTS_ON_TIME)"`
	Approved     int      `json:"approved" doc:"reports approved or accepted"`
	Returned     int      `json:"returned" doc:"reports returned to their unit, waiting for it again"`
	Late         int      `json:"late" doc:"due and not submitted"`
	Rate         *float64 `json:"rate" doc:"actual / expected × 100 (REPORTING_RATE); null when nothing was expected"`
	RateOnTime   *float64 `json:"rateOnTime" doc:"actualOnTime / expected × 100 (REPORTING_RATE_ON_TIME)"`
	ApprovedRate *float64 `json:"approvedRate" doc:"approved / expected × 100"`
}

// CompletenessResult is the figures with the structure they are counted
// in.
type CompletenessResult struct {
	AsOf string            `json:"asOf" doc:"YYYY-MM-DD: the date of the structure the units are counted in"`
	Rows []CompletenessRow `json:"rows"`
}

// ExpectedReport is one report a unit must send, with where it stands:
// the drill-down below a completeness figure.
type ExpectedReport struct {
	Form        string     `json:"form"`
	FormID      int64      `json:"formId"`
	FormName    string     `json:"formName"`
	Period      string     `json:"period"`
	Unit        UnitRef    `json:"unit" doc:"the unit that must report (as it stood then; its label names its province)"`
	Label       string     `json:"unitLabel"`
	State       string     `json:"state" doc:"open (nothing sent), draft, submitted, returned, approved or accepted"`
	Deadline    string     `json:"deadline" doc:"YYYY-MM-DD, the last day to send it"`
	Due         bool       `json:"due" doc:"the deadline has passed"`
	Submitted   bool       `json:"submitted"`
	OnTime      bool       `json:"onTime"`
	Late        bool       `json:"late" doc:"due and not submitted"`
	SubmittedAt *time.Time `json:"submittedAt,omitempty" doc:"the first submission"`
	ApprovedAt  *time.Time `json:"approvedAt,omitempty"`
}

// formInfo is what completeness needs of a form.
type formInfo struct {
	id              int64
	code, name      string
	typ             PeriodType
	deadline, grace int
	issuer          int64
	assign          []assignmentRow
	expected        map[string][]int64 // period → units, filled lazily
	byEpoch         map[string][]int64 // registry epoch and active assignments → units
	deadlines       map[string]time.Time
	dueAt           map[string]time.Time
}

// loadForms reads the forms with ids (every form when none) and their
// assignments, in code order.
func (s *Store) loadForms(ctx context.Context, ids []int64) ([]*formInfo, error) {
	q := `SELECT id, code, name, period_type, deadline_days, grace_days, issuer_unit_id FROM report_forms`
	var args []any
	if len(ids) > 0 {
		q += ` WHERE id IN (` + store.InList(&args, ids) + `)`
	}
	rows, err := s.db.Read.QueryContext(ctx, q+` ORDER BY code`, args...)
	if err != nil {
		return nil, fmt.Errorf("report: forms: %w", err)
	}
	var out []*formInfo
	byID := map[int64]*formInfo{}
	for rows.Next() {
		f := &formInfo{expected: map[string][]int64{}, byEpoch: map[string][]int64{}, deadlines: map[string]time.Time{}, dueAt: map[string]time.Time{}}
		var pt string
		if err := rows.Scan(&f.id, &f.code, &f.name, &pt, &f.deadline, &f.grace, &f.issuer); err != nil {
			rows.Close()
			return nil, err
		}
		if f.typ, err = ParsePeriodType(pt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("report: form %s: %w", f.code, err)
		}
		out = append(out, f)
		byID[f.id] = f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	arows, err := s.db.Read.QueryContext(ctx, `SELECT form_id, under_unit_id, kind, valid_from, valid_to FROM report_form_assignments ORDER BY form_id, sort_order`)
	if err != nil {
		return nil, err
	}
	defer arows.Close()
	for arows.Next() {
		var form int64
		var a assignmentRow
		if err := arows.Scan(&form, &a.under, &a.kind, &a.from, &a.to); err != nil {
			return nil, err
		}
		if f := byID[form]; f != nil {
			f.assign = append(f.assign, a)
		}
	}
	return out, arows.Err()
}

// expectedAt lists the units that must report f for p, as UnitsFor does,
// from the snapshot: no query.
func expectedAt(sn *org.Snapshot, f *formInfo, p Period) []int64 {
	if units, ok := f.expected[p.String()]; ok {
		return units
	}
	_, end := p.CutOff()
	asOf := end.Format(time.DateOnly)
	start, last := p.Start().Format(time.DateOnly), p.End().Format(time.DateOnly)
	// Periods whose registry and assignments are the same share the
	// answer (the twelve months of a year without a reorganisation).
	var key strings.Builder
	key.WriteString(sn.Epoch(asOf))
	active := make([]bool, len(f.assign))
	for i, a := range f.assign {
		active[i] = !(a.from > last || (a.to != "" && a.to < start))
		if active[i] {
			fmt.Fprintf(&key, "|%d", i)
		}
	}
	if units, ok := f.byEpoch[key.String()]; ok {
		f.expected[p.String()] = units
		return units
	}
	tree := sn.At(asOf)
	want := map[int64]bool{}
	var out []int64
	for i, a := range f.assign {
		if !active[i] {
			continue
		}
		// The assignment's unit, or those that stood for it on the day.
		var roots []int64
		if tree.Has(a.under) {
			roots = []int64{a.under}
		} else {
			for _, id := range append(sn.Predecessors(a.under), sn.Successors(a.under, asOf)...) {
				if tree.Has(id) && !slices.Contains(roots, id) {
					roots = append(roots, id)
				}
			}
		}
		for _, r := range roots {
			for _, id := range tree.Descendants(r) {
				if u, _ := tree.Unit(id); u.Kind == a.kind && !want[id] {
					want[id] = true
					out = append(out, id)
				}
			}
		}
	}
	slices.Sort(out)
	f.expected[p.String()] = out
	f.byEpoch[key.String()] = out
	return out
}

// ExpectedUnits answers UnitsFor for many periods of one form at once,
// from one read of the registry: period → ids of the units that must
// report. Periods not of the form's type are refused.
func (s *Store) ExpectedUnits(ctx context.Context, form int64, periods []Period) (map[string][]int64, error) {
	fs, err := s.loadForms(ctx, []int64{form})
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, errs.NotFound
	}
	sn, err := s.org.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]int64{}
	for _, p := range periods {
		if p.Type() != fs[0].typ {
			return nil, errs.Invalid(errs.Field{Name: "period", Code: "report.period_type_mismatch", Args: []any{fs[0].typ.String()}, Context: "report"})
		}
		out[p.String()] = expectedAt(sn, fs[0], p)
	}
	return out, nil
}

// deadlineOf is the last day to send f for p. Past the years the working
// calendar knows, weekends and solar holidays only are counted.
func (s *Store) deadlineOf(f *formInfo, p Period) time.Time {
	if d, ok := f.deadlines[p.String()]; ok {
		return d
	}
	d, err := s.Calendar.Deadline(p, f.deadline)
	if err != nil {
		_, to := p.CutOff()
		d = s.Calendar.AddWorkingDays(to, f.deadline)
	}
	f.deadlines[p.String()] = d
	return d
}

// dueAt is the instant the report turns late: the end of its deadline
// day in Vietnam.
func (s *Store) dueAt(f *formInfo, p Period) time.Time {
	if t, ok := f.dueAt[p.String()]; ok {
		return t
	}
	d := s.deadlineOf(f, p)
	t := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, vietnam())
	f.dueAt[p.String()] = t
	return t
}

// latestDue is f's latest period whose deadline has passed at now.
func (s *Store) latestDue(f *formInfo, now time.Time) Period {
	p := PeriodOf(f.typ, now.In(vietnam()))
	for range 8 {
		if !now.Before(s.dueAt(f, p)) {
			return p
		}
		p = p.Prev()
	}
	return p
}

// inside lists the periods of type t that lie wholly in p: p itself for
// its own type, the quarters of a year, nothing for a type longer than
// p's.
func inside(p Period, t PeriodType) []Period {
	if p.Type() == t {
		return []Period{p}
	}
	var out []Period
	for _, q := range Overlapping(t, p.Start(), p.End()) {
		if w, ok := q.Within(p.Type()); ok && w == p {
			out = append(out, q)
		}
	}
	return out
}

// submission is what completeness reads of a report_submissions row.
type submission struct {
	state                    string
	onTime                   bool
	firstSubmitted, approved *time.Time
}

type slotKey struct {
	form, unit int64
	period     string
}

// formPeriod names the reports of one form for one period.
type formPeriod struct {
	form   int64
	period string
}

// stateCodes number the states in SQL, so that the rows counted (one per
// report: forty thousand for a country's year of monthly reports) carry
// integers only.
var stateCodes = []string{StateDraft, StateSubmitted, StateReturned, StateApproved, StateAccepted}

// submissions reads the reports of forms for periods, in one query; with
// times, the first submission and approval instants too (the drill-down
// shows them; the figures do not need them).
func (s *Store) submissions(ctx context.Context, forms []int64, periods []string, times bool) (map[formPeriod]map[int64]submission, error) {
	out := map[formPeriod]map[int64]submission{}
	if len(forms) == 0 || len(periods) == 0 {
		return out, nil
	}
	var args []any
	var state, period strings.Builder
	state.WriteString("CASE state")
	for i, st := range stateCodes {
		fmt.Fprintf(&state, " WHEN '%s' THEN %d", st, i)
	}
	state.WriteString(" ELSE -1 END")
	period.WriteString("CASE period")
	for i, p := range periods {
		args = append(args, p)
		fmt.Fprintf(&period, " WHEN $%d THEN %d", len(args), i)
	}
	period.WriteString(" END")
	// One integer carries the period, the state and on_time.
	cols := `form_id, unit_id, (` + period.String() + `) * 16 + (` + state.String() + ` + 1) * 2 + CAST(COALESCE(on_time, FALSE) AS INTEGER)`
	if times {
		cols += `, first_submitted_at, approved_at`
	}
	q := `SELECT ` + cols + ` FROM report_submissions WHERE form_id IN (` + store.InList(&args, forms) + `) AND period IN (` + inStrings(&args, periods) + `)`
	if !times {
		q += ` AND state <> '` + StateDraft + `'` // a draft counts for nothing
	}
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report: submissions: %w", err)
	}
	defer rows.Close()
	var last formPeriod
	var cur map[int64]submission
	var form, unit, code int64
	var first, appr sql.NullTime
	dest := []any{&form, &unit, &code}
	if times {
		dest = append(dest, &first, &appr)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		pi, si := int(code/16), int(code%16/2)-1
		if si < 0 || pi < 0 || pi >= len(periods) {
			continue
		}
		sub := submission{state: stateCodes[si], onTime: code%2 == 1}
		if times {
			sub.firstSubmitted, sub.approved = optTime(first), optTime(appr)
		}
		if k := (formPeriod{form, periods[pi]}); k != last || cur == nil {
			if cur = out[k]; cur == nil {
				cur = map[int64]submission{}
				out[k] = cur
			}
			last = k
		}
		cur[unit] = sub
	}
	return out, rows.Err()
}

func inStrings(args *[]any, vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		*args = append(*args, v)
		ph[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(ph, ",")
}

func optTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

// counter gathers one request's figures.
type counter struct {
	s     *Store
	sn    *org.Snapshot
	tree  *org.AtTree // the structure asked for
	now   time.Time
	forms []*formInfo
	subs  map[formPeriod]map[int64]submission
	// await waits for subs, read while the registry is (call it once,
	// before counting).
	await func() error
	// counted caches, per reporting unit (and the day it reported on when
	// it is not in the structure asked for), the units its report counts
	// under.
	counted map[slotKey][]int64
}

// countedUnder lists the units of the structure asked for whose figure a
// report of unit, as it stood on date, counts in: the unit and its
// ancestors if it is in the structure; else those of the units that stand
// for it there — its successors and heirs (structure later than the
// report), or the units it succeeded (earlier); failing both, those of its
// nearest ancestor that has some.
func (c *counter) countedUnder(unit int64, date string) []int64 {
	key := slotKey{unit: unit}
	if !c.tree.Has(unit) {
		key.period = date
	}
	if out, ok := c.counted[key]; ok {
		return out
	}
	var out []int64
	add := func(id int64) {
		for _, a := range c.tree.Ancestors(id) {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	if c.tree.Has(unit) {
		add(unit)
	} else {
		then := c.sn.At(date)
		for id, n := unit, 0; id != 0 && len(out) == 0 && n < 64; id, n = then.Parent(id), n+1 {
			for _, s := range c.stand(id) {
				add(s)
			}
		}
	}
	c.counted[key] = out
	return out
}

// stand lists the units of the structure asked for that stand for unit.
func (c *counter) stand(unit int64) []int64 {
	if c.tree.Has(unit) {
		return []int64{unit}
	}
	var out []int64
	for _, id := range c.sn.Successors(unit, c.tree.Date) {
		if c.tree.Has(id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		for _, id := range c.sn.Predecessors(unit) {
			if c.tree.Has(id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// slot is one expected report as the counter walks them.
type slot struct {
	form   *formInfo
	asked  Period // the period asked for
	period Period // the form's period inside it
	day    string // the last day of its cut-off, the registry's day
	unit   int64
	sub    submission // zero: nothing submitted (open)
	has    bool
	due    bool
}

// prepareCount reads what a query needs: forms, snapshot, submissions.
func (s *Store) prepareCount(ctx context.Context, q *CompletenessQuery, times bool) (*counter, [][]Period, error) {
	forms, err := s.loadForms(ctx, q.Forms)
	if err != nil {
		return nil, nil, err
	}
	if len(q.Forms) > 0 && len(forms) != len(uniq(q.Forms)) {
		return nil, nil, errs.Invalid(errs.Field{Name: "form", Code: "not_found", Context: "completeness"})
	}
	if q.AsOf != "" && !org.ValidDate(q.AsOf) {
		return nil, nil, errs.Invalid(errs.Field{Name: "asOf", Code: "date", Context: "completeness"})
	}
	now := s.Now()
	// The periods each form answers for.
	asked := make([][]Period, len(forms))
	var ids []int64
	periods := map[string]bool{}
	for i, f := range forms {
		ps := q.Periods
		if len(ps) == 0 {
			ps = []Period{s.latestDue(f, now)}
		}
		for _, p := range ps {
			if len(inside(p, f.typ)) > 0 {
				asked[i] = append(asked[i], p)
				for _, fp := range inside(p, f.typ) {
					periods[fp.String()] = true
				}
			}
		}
		if len(asked[i]) > 0 {
			ids = append(ids, f.id)
		}
	}
	if len(q.Periods) > 0 && len(ids) == 0 {
		return nil, nil, errs.Invalid(errs.Field{Name: "period", Code: "completeness.period_none", Args: []any{q.Periods[0].String()}, Context: "completeness"})
	}
	var ps []string
	for p := range periods {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	// The reports and the registry are read at the same time, on two
	// connections of the read pool.
	type subsResult struct {
		subs map[formPeriod]map[int64]submission
		err  error
	}
	got := make(chan subsResult, 1)
	go func() {
		subs, err := s.submissions(ctx, ids, ps, times)
		got <- subsResult{subs, err}
	}()
	sn, err := s.org.Snapshot(ctx)
	if err != nil {
		<-got
		return nil, nil, err
	}
	if q.AsOf == "" {
		q.AsOf = sn.Today()
	}
	c := &counter{s: s, sn: sn, tree: sn.At(q.AsOf), now: now, forms: forms, counted: map[slotKey][]int64{}}
	c.await = func() error {
		r := <-got
		c.subs = r.subs
		return r.err
	}
	return c, asked, nil
}

// each calls fn for every expected report of f for asked, in order of
// the form's periods. The slot is reused from call to call.
func (c *counter) each(f *formInfo, asked Period, fn func(sl *slot)) {
	var sl slot
	for _, fp := range inside(asked, f.typ) {
		due := !c.now.Before(c.s.dueAt(f, fp))
		subs := c.subs[formPeriod{f.id, fp.String()}]
		day := cutOffDay(fp)
		for _, u := range expectedAt(c.sn, f, fp) {
			sub, has := subs[u]
			sl = slot{form: f, asked: asked, period: fp, day: day, unit: u, sub: sub, has: has, due: due}
			fn(&sl)
		}
	}
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// Completeness counts expected, submitted, on-time and approved reports
// for the query, without authorising: callers pass units they have
// authorised (CompletenessFor does it for a principal). Rows come by form
// (code order; the total last), period, then unit in the order asked,
// each followed by its children or descendants in tree order.
func (s *Store) Completeness(ctx context.Context, q CompletenessQuery) (CompletenessResult, error) {
	c, asked, err := s.prepareCount(ctx, &q, false)
	if err != nil {
		return CompletenessResult{}, err
	}
	units, err := c.rowUnits(q)
	if werr := c.await(); err == nil {
		err = werr
	}
	if err != nil {
		return CompletenessResult{}, err
	}
	index := make(map[int64]int, len(units))
	for i, u := range units {
		index[u.ID] = i
	}
	// The rows a report of a unit counts in, once per unit (per unit and
	// day for a unit not in the structure asked for).
	inTree := map[int64][]int{}
	ended := map[slotKey][]int{}
	rowsOf := func(unit int64, day string) []int {
		if c.tree.Has(unit) {
			if js, ok := inTree[unit]; ok {
				return js
			}
		} else if js, ok := ended[slotKey{unit: unit, period: day}]; ok {
			return js
		}
		var js []int
		for _, id := range c.countedUnder(unit, day) {
			if j, ok := index[id]; ok {
				js = append(js, j)
			}
		}
		if c.tree.Has(unit) {
			inTree[unit] = js
		} else {
			ended[slotKey{unit: unit, period: day}] = js
		}
		return js
	}
	n := 0
	for i := range c.forms {
		n += len(asked[i])
	}
	if q.Total {
		n *= 2
	}
	out := CompletenessResult{AsOf: q.AsOf, Rows: make([]CompletenessRow, 0, n*len(units))}
	totals := map[string][]CompletenessRow{}
	var totalOrder []string
	for i, f := range c.forms {
		for _, p := range asked[i] {
			start := len(out.Rows)
			ps := p.String()
			for _, u := range units {
				out.Rows = append(out.Rows, newRow(f, ps, u))
			}
			rows := out.Rows[start:]
			c.each(f, p, func(sl *slot) {
				if q.DueOnly && !sl.due && !submittedState(sl.sub.state) {
					return
				}
				for _, j := range rowsOf(sl.unit, sl.day) {
					rows[j].add(sl)
				}
			})
			setRates(rows)
			if q.Total {
				key := p.String()
				t, ok := totals[key]
				if !ok {
					totalOrder = append(totalOrder, key)
					t = make([]CompletenessRow, len(units))
					for j, u := range units {
						t[j] = newRow(nil, key, u)
					}
					totals[key] = t
				}
				for j := range rows {
					t[j].sum(rows[j])
				}
			}
		}
	}
	for _, key := range totalOrder {
		setRates(totals[key])
		out.Rows = append(out.Rows, totals[key]...)
	}
	return out, nil
}

// cutOffDay is the day the registry is read on for a period.
func cutOffDay(p Period) string {
	_, end := p.CutOff()
	return end.Format(time.DateOnly)
}

func newRow(f *formInfo, p string, u org.Unit) CompletenessRow {
	r := CompletenessRow{Period: p, Unit: UnitRef{ID: u.ID, Code: u.Code, Name: u.Label}, Level: u.Level}
	if r.Unit.Name == "" {
		r.Unit.Name = u.Name
	}
	if u.ParentID != nil {
		r.ParentID = *u.ParentID
	}
	if f != nil {
		r.Form, r.FormID = f.code, f.id
	}
	return r
}

func (r *CompletenessRow) add(sl *slot) {
	r.Expected++
	st := sl.sub.state
	if sl.due {
		r.Due++
	}
	switch {
	case submittedState(st):
		r.Actual++
		if sl.sub.onTime {
			r.ActualOnTime++
		}
		if approvedState(st) {
			r.Approved++
		}
	case st == StateReturned:
		r.Returned++
	}
	if sl.due && !submittedState(st) {
		r.Late++
	}
}

func (r *CompletenessRow) sum(o CompletenessRow) {
	r.Expected += o.Expected
	r.Due += o.Due
	r.Actual += o.Actual
	r.ActualOnTime += o.ActualOnTime
	r.Approved += o.Approved
	r.Returned += o.Returned
	r.Late += o.Late
}

// setRates fills the rates of rows from their counts, the numbers in one
// allocation.
func setRates(rows []CompletenessRow) {
	fs := make([]float64, 3*len(rows))
	for i := range rows {
		r := &rows[i]
		r.Rate, r.RateOnTime, r.ApprovedRate = nil, nil, nil
		if r.Expected == 0 {
			continue
		}
		v := fs[3*i : 3*i+3]
		e := float64(r.Expected)
		v[0], v[1], v[2] = float64(r.Actual)*100/e, float64(r.ActualOnTime)*100/e, float64(r.Approved)*100/e
		r.Rate, r.RateOnTime, r.ApprovedRate = &v[0], &v[1], &v[2]
	}
}

// rowUnits lists the units that get a row, with their labels: each unit
// asked for (the structure's roots when none), then its children or
// descendants.
func (c *counter) rowUnits(q CompletenessQuery) ([]org.Unit, error) {
	asked := q.Units
	if len(asked) == 0 {
		for _, u := range c.tree.Units() {
			if u.ParentID == nil {
				asked = append(asked, u.ID)
			}
		}
	}
	seen := map[int64]bool{}
	var out []org.Unit
	add := func(id int64) {
		if seen[id] {
			return
		}
		seen[id] = true
		u, _ := c.tree.Unit(id)
		if l, ok := c.sn.Unit(id); ok {
			u.Label = l.Label
		}
		out = append(out, u)
	}
	for _, id := range asked {
		if !c.tree.Has(id) {
			return nil, errs.Invalid(errs.Field{Name: "unit", Code: "completeness.unit_not_in_structure", Args: []any{locale.InputDate(c.tree.Date)}, Context: "completeness"})
		}
		add(id)
		var below []int64
		switch {
		case q.Descendants:
			below = c.tree.Descendants(id)
		case q.Children:
			below = c.tree.Children(id)
		}
		if len(below) > 0 {
			set := map[int64]bool{}
			for _, b := range below {
				set[b] = true
			}
			for _, u := range c.tree.Units() {
				if set[u.ID] {
					add(u.ID)
				}
			}
		}
	}
	return out, nil
}

// ExpectedReports lists the reports counted in the figure of one unit:
// each expected report of its subtree in the structure asked for, with its
// state, deadline and whether it is late — the units late or missing, and
// those that sent in time. q.Units holds the one unit; Children,
// Descendants and Total are ignored. Reports come by form, period, then
// unit label.
func (s *Store) ExpectedReports(ctx context.Context, q CompletenessQuery) ([]ExpectedReport, error) {
	if len(q.Units) != 1 {
		return nil, errs.Invalid(errs.Field{Name: "unit", Code: "required", Context: "completeness"})
	}
	c, asked, err := s.prepareCount(ctx, &q, true)
	if err != nil {
		return nil, err
	}
	unit := q.Units[0]
	if err := c.await(); err != nil {
		return nil, err
	}
	if !c.tree.Has(unit) {
		return nil, errs.Invalid(errs.Field{Name: "unit", Code: "completeness.unit_not_in_structure", Args: []any{locale.InputDate(c.tree.Date)}, Context: "completeness"})
	}
	out := []ExpectedReport{}
	for i, f := range c.forms {
		for _, p := range asked[i] {
			start := len(out)
			c.each(f, p, func(sl *slot) {
				if !slices.Contains(c.countedUnder(sl.unit, sl.day), unit) {
					return
				}
				u, _ := c.sn.Unit(sl.unit)
				st := sl.sub.state
				r := ExpectedReport{Form: f.code, FormID: f.id, FormName: f.name, Period: sl.period.String(),
					Unit: UnitRef{ID: u.ID, Code: u.Code, Name: u.Name}, Label: u.Label, State: st,
					Deadline: s.deadlineOf(f, sl.period).Format(time.DateOnly), Due: sl.due,
					Submitted: submittedState(st), OnTime: submittedState(st) && sl.sub.onTime,
					Late: sl.due && !submittedState(st), SubmittedAt: sl.sub.firstSubmitted, ApprovedAt: sl.sub.approved}
				if r.State == StateOpen {
					r.State = "open"
				}
				out = append(out, r)
			})
			col := locale.Collator()
			part := out[start:]
			slices.SortStableFunc(part, func(a, b ExpectedReport) int {
				if a.Period != b.Period {
					pa, _ := ParsePeriod(a.Period)
					pb, _ := ParsePeriod(b.Period)
					return pa.Compare(pb)
				}
				return col.CompareString(a.Label, b.Label)
			})
		}
	}
	return out, nil
}

// CompletenessFor is Completeness for a principal: each unit asked for
// must be in the scope of report.view (refusals audited); with none, the
// principal's scopes of report.view stand in the structure asked for
// (through their predecessors when they did not exist then).
func (s *Store) CompletenessFor(ctx context.Context, p *org.Principal, q CompletenessQuery) (CompletenessResult, error) {
	units, err := s.authorisedUnits(ctx, p, q)
	if err != nil {
		return CompletenessResult{}, err
	}
	q.Units = units
	return s.Completeness(ctx, q)
}

// authorisedUnits authorises the units of q, or gives the principal's
// scopes when q names none.
func (s *Store) authorisedUnits(ctx context.Context, p *org.Principal, q CompletenessQuery) ([]int64, error) {
	if len(q.Units) > 0 {
		for _, u := range q.Units {
			if err := s.org.Authorize(ctx, p, ViewReports, u); err != nil {
				return nil, err
			}
		}
		return q.Units, nil
	}
	if err := s.org.Authorize(ctx, p, ViewReports, 0); err != nil {
		return nil, err
	}
	date := q.AsOf
	if date == "" {
		date = org.Today()
	}
	sn, err := s.org.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	tree := sn.At(date)
	var out []int64
	for _, scope := range s.org.Scopes(p, ViewReports) {
		stand := []int64{scope}
		if !tree.Has(scope) {
			stand = append(sn.Successors(scope, date), sn.Predecessors(scope)...)
		}
		for _, id := range stand {
			if tree.Has(id) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	// A scope inside another is covered by it.
	var roots []int64
	for _, id := range out {
		inner := false
		for _, a := range tree.Ancestors(id)[1:] {
			if slices.Contains(out, a) {
				inner = true
			}
		}
		if !inner {
			roots = append(roots, id)
		}
	}
	if len(roots) == 0 {
		return nil, errs.Forbidden
	}
	return roots, nil
}

// formsNear keeps the forms an official's units deal with: issued within
// the units the official may see (or by their predecessors), or above
// them (a ministry's or the province's form for a district). Another
// province's forms are not offered in the official's lists.
func (s *Store) formsNear(ctx context.Context, p *org.Principal, forms []Form) ([]Form, error) {
	sn, err := s.org.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	tree := sn.At(org.Today())
	above := map[int64]bool{}
	for _, scope := range s.org.Scopes(p, ViewReports) {
		for _, a := range tree.Ancestors(scope) {
			above[a] = true
		}
	}
	var out []Form
	for _, f := range forms {
		ok := above[f.Issuer.ID]
		if !ok {
			if ok, err = s.org.Can(ctx, p, ViewReports, f.Issuer.ID); err != nil {
				return nil, err
			}
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// ShareOfReports is the code of the indicator tinhso computes itself: the
// share of periodic reports sent on the system (Lai Châu's 4900/KH-UBND
// counts "80% báo cáo định kỳ … được cập nhật, chia sẻ trên Hệ thống
// thông tin báo cáo của tỉnh" in 2022 and targets 90% in 2023).
const ShareOfReports = "CDS.BC.HETHONG.TYLE"

// shareOfReports is ShareOfReports' ComputedFunc: for a unit's subtree and
// a period, the reports submitted over the reports expected × 100, over
// every form whose periods lie in it, each report counted once due or
// submitted. The units are counted in today's structure (so a province
// formed by a merger takes in its predecessors' reports), or on its last
// day for a unit that has ended.
func (s *Store) shareOfReports(ctx context.Context, unit int64, p Period) (float64, bool, error) {
	u, err := s.org.Unit(ctx, unit, "")
	if err != nil {
		return 0, false, err
	}
	asOf := org.Today()
	if u.ValidTo != "" && u.ValidTo < asOf {
		asOf = u.ValidTo
	}
	res, err := s.Completeness(ctx, CompletenessQuery{Periods: []Period{p}, Units: []int64{unit}, AsOf: asOf, Total: true, DueOnly: true})
	if e, ok := errs.As(err); ok && len(e.Fields) > 0 && e.Fields[0].Code == "completeness.period_none" {
		return 0, false, nil // no form reports within such a period
	} else if err != nil {
		return 0, false, err
	}
	for _, r := range res.Rows {
		if r.Form == "" && r.Unit.ID == unit {
			if r.Expected == 0 {
				return 0, false, nil
			}
			return float64(r.Actual) * 100 / float64(r.Expected), true, nil
		}
	}
	return 0, false, nil
}
