package report

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/tinhso/tinhso/internal/org"
)

// Analytics: values by indicator × unit × period, always current.
//
//   - Over time, a period holds the values of the periods inside it (a
//     year its quarters or months, a quarter its months), as the running
//     totals of report_agg keep them, and its own values; each indicator
//     says how they combine (timeAggregation): sum, average (of the
//     periods' values), last (the latest period's value: a stock) or none
//     (not added up: a figure only for the period it was entered for).
//   - Over units, a unit's figure takes its own values and those of its
//     whole subtree (or only its own, Own), combined as the indicator says
//     (aggregation): sum, average (of the units' figures), last (the unit
//     with the latest period; the first of them in tree order on a tie) or
//     none (only where one unit has a value). The tree is the registry as it
//     stood on a day: today by default, where a unit that ended stands in
//     its successors and the heirs of its duties (so the new Gia Lai holds
//     the old Gia Lai's and Bình Định's values), or an earlier day, where
//     values stay under the units that reported them.
//   - Category options: the total of an indicator is the sum over its
//     options (each combined over time and units first); ByOption gives
//     each option apart.
//   - A derived indicator is numerator / denominator × factor of the two
//     totals at the same cell (the ratio of the aggregates, never the
//     average of ratios); a computed one (AddComputed) answers through its
//     function, for one unit and one period.
//
// Approval: every value counts by default (ApprovalAll): DHIS2 users
// complain that unapproved history silently vanishes from analytics, so
// tinhso shows it and says so; ApprovalApproved and ApprovalAccepted keep
// only the values of reports in those states, read from report_values at
// query time.

// AnalyticsQuery asks for values: each data item × period × unit, or, for
// a dimension given as a filter, one figure over all of its items.
type AnalyticsQuery struct {
	Data          []AnalyticsData
	Periods       []Period
	Units         []AnalyticsUnit
	FilterPeriods bool // one figure over all Periods (DHIS2's filter=pe:…)
	FilterUnits   bool // one figure over all Units (their sources counted once)
	ByOption      bool // a cell per category option (the co dimension)
	Approval      string
}

// AnalyticsData is an indicator, or one of its category options (a DHIS2
// operand) when HasOption.
type AnalyticsData struct {
	Indicator int64
	Option    int64 // report_category_options.id; 0 for values without one
	HasOption bool
}

// AnalyticsUnit is a unit asked for, in the tree as of AsOf (YYYY-MM-DD;
// by default today, or the last day of a unit that has ended), with its
// subtree unless Own; Levels keep only the units of the subtree at those
// org levels.
type AnalyticsUnit struct {
	ID     int64
	AsOf   string
	Own    bool
	Levels []string
}

// AnalyticsCell is one figure. Data, Period and Unit index the query's
// lists (-1 where the dimension is a filter); Option is the category
// option (-1: the total). Units is how many units have values in it and
// LastEnd the last day of the latest period they cover.
type AnalyticsCell struct {
	Data, Period, Unit int
	Option             int64
	Value              float64
	Units              int
	LastEnd            string
}

// anaIndicator is what analytics know of an indicator.
type anaIndicator struct {
	Indicator
	options      []anaOption // in order
	num, den     *anaIndicator
	computed     ComputedFunc
	numID, denID int64
}

type anaOption struct {
	id         int64
	code, name string
}

// anaIndicators loads every indicator with its options and formula.
func (s *Store) anaIndicators(ctx context.Context) (map[int64]*anaIndicator, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code, name, value_type, measure, aggregation, time_aggregation,
		COALESCE(numerator_id, 0), COALESCE(denominator_id, 0), factor FROM report_indicators`)
	if err != nil {
		return nil, fmt.Errorf("report: analytics indicators: %w", err)
	}
	out := map[int64]*anaIndicator{}
	for rows.Next() {
		in := &anaIndicator{}
		if err := rows.Scan(&in.ID, &in.Code, &in.Name, &in.ValueType, &in.Measure, &in.Aggregation, &in.TimeAggregation, &in.numID, &in.denID, &in.Factor); err != nil {
			rows.Close()
			return nil, err
		}
		in.computed, _ = s.Computed(in.Code)
		out[in.ID] = in
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, in := range out {
		in.num, in.den = out[in.numID], out[in.denID]
		if in.num != nil && in.den != nil {
			in.Numerator, in.Denominator = in.num.Code, in.den.Code
		}
	}
	orows, err := s.db.Read.QueryContext(ctx, `SELECT id, indicator_id, code, name FROM report_category_options ORDER BY indicator_id, sort_order`)
	if err != nil {
		return nil, err
	}
	defer orows.Close()
	for orows.Next() {
		var o anaOption
		var ind int64
		if err := orows.Scan(&o.id, &ind, &o.code, &o.name); err != nil {
			return nil, err
		}
		if in := out[ind]; in != nil {
			in.options = append(in.options, o)
			in.CategoryOptions = append(in.CategoryOptions, Option{Code: o.code, Name: o.name})
		}
	}
	return out, orows.Err()
}

// additive reports whether in's figure over a set of units and periods is
// the plain sum of its values (summed over units and over time), which the
// database can add up itself.
func (in *anaIndicator) additive() bool {
	return in.computed == nil && !in.derived() && in.Aggregation == "sum" && in.TimeAggregation == "sum"
}

// derived reports whether in is numerator / denominator × factor.
func (in *anaIndicator) derived() bool { return in.num != nil && in.den != nil }

// stored lists the indicators whose values a figure of in reads.
func (in *anaIndicator) stored(out map[int64]bool, depth int) {
	switch {
	case in.computed != nil || depth > 8:
	case in.derived():
		in.num.stored(out, depth+1)
		in.den.stored(out, depth+1)
	default:
		out[in.ID] = true
	}
}

// optionIDs are the option ids a total adds up: 0 (values without an
// option) and each option.
func (in *anaIndicator) optionIDs() []int64 {
	ids := []int64{0}
	for _, o := range in.options {
		ids = append(ids, o.id)
	}
	return ids
}

// resolveAsOf is the day a unit is read in the tree of, when the query
// names none: today for a unit that exists, its last day for one that has
// ended, its first day for one not formed yet. With asOf given, the unit
// must exist that day.
func (r *registry) resolveAsOf(unit int64, asOf string) (string, bool) {
	u, ok := r.unit(unit)
	if !ok {
		return "", false
	}
	if asOf != "" {
		return asOf, r.at(asOf).has(unit)
	}
	today := org.Today()
	switch {
	case u.ValidTo != "" && u.ValidTo < today:
		return u.ValidTo, true
	case u.ValidFrom > today:
		return u.ValidFrom, true
	}
	return today, true
}

// cellSpec is what one figure combines: the units asked (for computed
// indicators), the units whose values count (each once) and the periods.
type cellSpec struct {
	asked   []int64
	sources []int64
	periods []Period
	group   int // > 0: the totals of e.groups[group-1] stand for sources' additive indicators
}

// figure is a computed figure with where it came from.
type figure struct {
	v       float64
	ok      bool
	units   int
	lastEnd string
}

// evaluator computes figures from the stats of one query.
type evaluator struct {
	s      *Store
	ctx    context.Context
	stats  map[statKey]stat
	groups []map[statKey]groupStat // per unit set: totals of additive indicators (unit 0)
}

// value is in's figure for option (-1: the total) at c.
func (e *evaluator) value(in *anaIndicator, option int64, c cellSpec, depth int) (figure, error) {
	switch {
	case depth > 8:
		return figure{}, nil
	case in.computed != nil:
		if len(c.asked) != 1 || len(c.periods) != 1 || option > 0 {
			return figure{}, nil
		}
		v, ok, err := in.computed(e.ctx, c.asked[0], c.periods[0])
		if err != nil {
			return figure{}, fmt.Errorf("report: computed indicator %s: %w", in.Code, err)
		}
		return figure{v: v, ok: ok, units: 1, lastEnd: c.periods[0].End().Format(time.DateOnly)}, nil
	case in.derived():
		if option >= 0 {
			return figure{}, nil
		}
		n, err := e.value(in.num, -1, c, depth+1)
		if err != nil || !n.ok {
			return figure{}, err
		}
		d, err := e.value(in.den, -1, c, depth+1)
		if err != nil || !d.ok || d.v == 0 {
			return figure{}, err
		}
		f := in.Factor
		if f == 0 {
			f = 1
		}
		return figure{v: n.v / d.v * f, ok: true, units: max(n.units, d.units), lastEnd: max(n.lastEnd, d.lastEnd)}, nil
	}
	opts := []int64{option}
	if option < 0 {
		opts = in.optionIDs()
	}
	if c.group > 0 && in.additive() {
		// Summed by the database over the whole unit set.
		g := e.groups[c.group-1]
		out := figure{}
		for _, o := range opts {
			for _, p := range c.periods {
				if st, ok := g[statKey{in.ID, o, 0, p.String()}]; ok && st.count > 0 {
					out.ok = true
					out.v += st.sum
					out.units = max(out.units, st.units)
					out.lastEnd = max(out.lastEnd, st.lastEnd)
				}
			}
		}
		return out, nil
	}
	type unitFig struct {
		v                  float64
		lastStart, lastEnd string
	}
	var figs []unitFig
	for _, u := range c.sources {
		var uf unitFig
		has := false
		for _, o := range opts {
			var st stat
			for _, p := range c.periods {
				st.merge(e.stats[statKey{in.ID, o, u, p.String()}])
			}
			if st.count == 0 {
				continue
			}
			var v float64
			switch in.TimeAggregation {
			case "average":
				v = st.sum / float64(st.count)
			case "last":
				v = st.last
			case "none":
				// Not added up over time: a figure only for the period
				// it was entered for.
				if st.count != 1 || st.exact != 1 {
					continue
				}
				v = st.sum
			default:
				v = st.sum
			}
			has = true
			uf.v += v
			if later(st.lastStart, st.lastEnd, uf.lastStart, uf.lastEnd) {
				uf.lastStart, uf.lastEnd = st.lastStart, st.lastEnd
			}
		}
		if has {
			figs = append(figs, uf)
		}
	}
	if len(figs) == 0 {
		return figure{}, nil
	}
	out := figure{ok: true, units: len(figs)}
	for _, f := range figs {
		out.lastEnd = max(out.lastEnd, f.lastEnd)
	}
	switch in.Aggregation {
	case "average":
		for _, f := range figs {
			out.v += f.v
		}
		out.v /= float64(len(figs))
	case "last":
		best := figs[0]
		for _, f := range figs[1:] {
			if later(f.lastStart, f.lastEnd, best.lastStart, best.lastEnd) {
				best = f
			}
		}
		out.v = best.v
	case "none":
		if len(figs) != 1 {
			return figure{}, nil
		}
		out.v = figs[0].v
	default:
		for _, f := range figs {
			out.v += f.v
		}
	}
	return out, nil
}

// dedupe keeps the first of each id.
func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// maxCells bounds one query's figures (DHIS2 caps analytics at 50,000
// rows, E7128).
const maxCells = 50000

// errTooManyCells is a query beyond maxCells.
type errTooManyCells struct{ n int }

func (e errTooManyCells) Error() string { return "analytics: " + strconv.Itoa(e.n) + " cells" }

// Analytics answers q. The caller authorises the units (the API does,
// through org.Store.Authorize); indicators are readable by everyone who may
// read reports.
func (s *Store) Analytics(ctx context.Context, q AnalyticsQuery) ([]AnalyticsCell, error) {
	inds, err := s.anaIndicators(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, err
	}
	return s.analytics(ctx, reg, inds, q)
}

func (s *Store) analytics(ctx context.Context, reg *registry, inds map[int64]*anaIndicator, q AnalyticsQuery) ([]AnalyticsCell, error) {
	// The units whose values count for each unit asked.
	sources := make([][]int64, len(q.Units))
	var all []int64
	for i, u := range q.Units {
		asOf, ok := reg.resolveAsOf(u.ID, u.AsOf)
		if !ok {
			continue
		}
		sources[i] = dedupe(reg.at(asOf).sources(u.ID, u.Own, u.Levels))
		all = append(all, sources[i]...)
	}
	all = dedupe(all)
	need := map[int64]bool{}
	for _, d := range q.Data {
		in := inds[d.Indicator]
		if in == nil {
			return nil, fmt.Errorf("report: analytics: indicator %d: %w", d.Indicator, sql.ErrNoRows)
		}
		in.stored(need, 0)
	}
	approved := q.Approval == ApprovalApproved || q.Approval == ApprovalAccepted
	// The unit sets of the cells: one per unit asked, or their union for a
	// filter. A large set (a province's 1,000 units) has its additive
	// indicators summed by the database, one statement per set; every other
	// figure is combined here from each unit's totals.
	sets := sources
	if q.FilterUnits {
		var union []int64
		for i := range q.Units {
			union = append(union, sources[i]...)
		}
		sets = [][]int64{dedupe(union)}
	}
	var additive, perUnit []int64
	for id := range need {
		if inds[id].additive() && !approved {
			additive = append(additive, id)
		} else {
			perUnit = append(perUnit, id)
		}
	}
	big := 0
	for _, set := range sets {
		if len(set) >= groupMin {
			big++
		}
	}
	groupOf := make([]int, len(sets))
	var groups []map[statKey]groupStat
	var small, large []int64
	if len(additive) > 0 && big > 0 && big <= maxGroups && !s.regs.unitByUnit.Load() {
		for i, set := range sets {
			if len(set) < groupMin {
				small = append(small, set...)
				continue
			}
			large = append(large, set...)
			g, err := s.groupTotals(ctx, additive, q.Periods, set)
			if err != nil {
				return nil, err
			}
			groups = append(groups, g)
			groupOf[i] = len(groups)
		}
	} else {
		small = all
	}
	small = dedupe(small)
	read := func(ids, units []int64) (map[statKey]stat, error) {
		switch {
		case len(ids) == 0 || len(units) == 0:
			return map[statKey]stat{}, nil
		case approved:
			return s.readApprovedStats(ctx, ids, q.Periods, units, q.Approval)
		}
		return s.readStats(ctx, ids, q.Periods, units)
	}
	stats, err := read(keys(need), small)
	if err != nil {
		return nil, err
	}
	// The large sets' units not read above, for the indicators not summed.
	inSmall := make(map[int64]bool, len(small))
	for _, u := range small {
		inSmall[u] = true
	}
	var rest []int64
	for _, u := range dedupe(large) {
		if !inSmall[u] {
			rest = append(rest, u)
		}
	}
	more, err := read(perUnit, rest)
	if err != nil {
		return nil, err
	}
	for k, v := range more {
		stats[k] = v
	}
	e := &evaluator{s: s, ctx: ctx, stats: stats, groups: groups}
	// Periods and units, each as dimension items or one filter.
	var pes [][]Period
	var peIdx []int
	if q.FilterPeriods {
		pes, peIdx = [][]Period{q.Periods}, []int{-1}
	} else {
		for i, p := range q.Periods {
			pes, peIdx = append(pes, []Period{p}), append(peIdx, i)
		}
	}
	type unitAxis struct {
		asked   []int64
		sources []int64
		index   int
		group   int
	}
	var ous []unitAxis
	if q.FilterUnits {
		ua := unitAxis{index: -1, sources: sets[0], group: groupOf[0]}
		for _, u := range q.Units {
			ua.asked = append(ua.asked, u.ID)
		}
		ous = []unitAxis{ua}
	} else {
		for i, u := range q.Units {
			ous = append(ous, unitAxis{asked: []int64{u.ID}, sources: sources[i], index: i, group: groupOf[i]})
		}
	}
	n := len(q.Data) * len(pes) * len(ous)
	if q.ByOption {
		n *= 3
	}
	if n > maxCells {
		return nil, errTooManyCells{n}
	}
	var out []AnalyticsCell
	for di, d := range q.Data {
		in := inds[d.Indicator]
		options := []int64{-1}
		switch {
		case d.HasOption:
			options = []int64{d.Option}
		case q.ByOption && in.derived(), q.ByOption && in.computed != nil:
			options = nil
		case q.ByOption:
			options = in.optionIDs()
		}
		for pi, ps := range pes {
			for _, ou := range ous {
				c := cellSpec{asked: ou.asked, sources: ou.sources, periods: ps, group: ou.group}
				for _, o := range options {
					f, err := e.value(in, o, c, 0)
					if err != nil {
						return nil, err
					}
					if !f.ok {
						continue
					}
					out = append(out, AnalyticsCell{Data: di, Period: peIdx[pi], Unit: ou.index, Option: o, Value: f.v, Units: f.units, LastEnd: f.lastEnd})
				}
			}
		}
	}
	return out, nil
}
