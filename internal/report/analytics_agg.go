package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Running totals of values (report_agg, migration 0007), kept inside the
// write transaction: afterWrite adds what each change brings to the
// periods that hold its value, and analytics read them back per unit. The
// SQL backfill at the end of the migration builds the same rows from
// report_values; TestAnalyticsBackfillMatchesHook holds the two together.

// aggBuckets lists the periods a value of p is added into in report_agg:
// each longer period that holds p wholly (Period.Within), except that a
// nine-month value (a year-to-date report) is not added into the year.
// p's own period is not among them: analytics read it from report_values.
func aggBuckets(p Period) []Period {
	var out []Period
	for _, t := range []PeriodType{Monthly, Quarterly, SixMonthly, NineMonthly, Yearly} {
		if t <= p.Type() || (t == Yearly && p.Type() == NineMonthly) {
			continue
		}
		if q, ok := p.Within(t); ok {
			out = append(out, q)
		}
	}
	return out
}

// storedBuckets are the aggBuckets whose report_agg rows a value of p is
// added into. A half year and the nine months are sums of quarters, so a
// value that lies within a quarter is not added into them: analytics add
// the quarters' totals instead (derivedFrom). That halves the rows a
// long import of monthly or quarterly values writes (issue 7, speed), at
// the cost of reading two or three rows for a half year or nine months.
// Values that lie within no quarter (a half year's, a week across two
// quarters) are still added into them.
func storedBuckets(p Period) []Period {
	bs := aggBuckets(p)
	if p.Type() != Quarterly && !slices.ContainsFunc(bs, func(b Period) bool { return b.Type() == Quarterly }) {
		return bs
	}
	return slices.DeleteFunc(bs, func(b Period) bool { return b.Type() == SixMonthly || b.Type() == NineMonthly })
}

// derivedFrom lists the periods whose totals, with p's own, make p's:
// the quarters of a half year or of the nine months (storedBuckets), nil
// for any other period.
func derivedFrom(p Period) []Period {
	if p.Type() != SixMonthly && p.Type() != NineMonthly {
		return nil
	}
	return p.Parts(Quarterly)
}

// withParts is periods and the quarters that make up any of them
// (derivedFrom), each once: what the totals' queries read.
func withParts(periods []Period) []Period {
	out := slices.Clone(periods)
	for _, p := range periods {
		for _, q := range derivedFrom(p) {
			if !slices.Contains(out, q) {
				out = append(out, q)
			}
		}
	}
	return out
}

// holds reports whether bucket b takes values of p: p itself, or one of
// p's aggBuckets.
func holds(b, p Period) bool {
	if b == p {
		return true
	}
	return slices.Contains(aggBuckets(p), b)
}

// stat is what analytics know of one indicator × option × unit × period:
// the sum and number of the values in it, and the value of its latest
// period (by last day, then the shorter period) with that period's days.
type stat struct {
	sum                float64
	count              int
	last               float64
	lastStart, lastEnd string
	exact              int // values entered for the period itself
}

type statKey struct {
	ind, opt, unit int64
	period         string
}

// later reports whether the period from start to end comes after the one
// from s2 to e2 in "last value" order: a later last day, then a later
// first day (the shorter period).
func later(start, end, s2, e2 string) bool {
	return end > e2 || (end == e2 && start > s2)
}

// add puts one value into st.
func (st *stat) add(v float64, start, end string) {
	st.sum += v
	st.count++
	if st.count == 1 || later(start, end, st.lastStart, st.lastEnd) {
		st.last, st.lastStart, st.lastEnd = v, start, end
	}
}

// merge puts o into st (several periods of one filter).
func (st *stat) merge(o stat) {
	if o.count == 0 {
		return
	}
	if st.count == 0 || later(o.lastStart, o.lastEnd, st.lastStart, st.lastEnd) {
		st.last, st.lastStart, st.lastEnd = o.last, o.lastStart, o.lastEnd
	}
	st.sum += o.sum
	st.count += o.count
	st.exact += o.exact
}

// aggDelta is what one write batch changes in one report_agg row.
type aggDelta struct {
	sum                float64
	count              int
	hasLast            bool
	last               float64
	lastStart, lastEnd string
	removed            [][2]string // start, end of values taken away
}

// noteValueTypes records the period types of the indicators a write gave
// numbers to (report_value_types).
func (s *Store) noteValueTypes(ctx context.Context, tx *sql.Tx, changes []Change) error {
	type valueType struct {
		ind int64
		typ string
	}
	types := map[valueType]bool{}
	for _, ch := range changes {
		if ch.New != nil {
			types[valueType{ch.Indicator, ch.PeriodType}] = true
		}
	}
	if len(types) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(types))
	for vt := range types {
		args = append(args, vt.ind, vt.typ)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_value_types (indicator_id, period_type) VALUES `+s.rowPlaceholders(len(types), 2)+
		` ON CONFLICT (indicator_id, period_type) DO NOTHING`, args...); err != nil {
		return fmt.Errorf("report: analytics value types: %w", err)
	}
	return nil
}

// aggDeltas are the changes of one or more write batches to report_agg
// rows, keyed and in first-seen order.
type aggDeltas struct {
	m     map[statKey]*aggDelta
	order []statKey
	// buckets is each period's storedBuckets as text, made once: a long
	// write has a few periods and a million values.
	buckets map[string][]string
}

// add puts the changes into the rows of the buckets that hold them.
func (ds *aggDeltas) add(changes []Change) error {
	if ds.m == nil {
		ds.m = map[statKey]*aggDelta{}
	}
	if ds.buckets == nil {
		ds.buckets = map[string][]string{}
	}
	for _, ch := range changes {
		if ch.Old == nil && ch.New == nil {
			continue
		}
		bs, ok := ds.buckets[ch.Period]
		if !ok {
			p, err := ParsePeriod(ch.Period)
			if err != nil {
				return fmt.Errorf("report: analytics: period %q: %w", ch.Period, err)
			}
			bs = []string{}
			for _, b := range storedBuckets(p) {
				bs = append(bs, b.String())
			}
			ds.buckets[ch.Period] = bs
		}
		for _, b := range bs {
			k := statKey{ch.Indicator, ch.Option, ch.Unit, b}
			d := ds.m[k]
			if d == nil {
				d = &aggDelta{}
				ds.m[k] = d
				ds.order = append(ds.order, k)
			}
			if ch.Old != nil {
				d.sum -= *ch.Old
				d.count--
				if ch.New == nil {
					d.removed = append(d.removed, [2]string{ch.Start, ch.End})
				}
			}
			if ch.New != nil {
				d.sum += *ch.New
				d.count++
				// The latest period's value; of one period (a key written
				// again in a long write), the last written, as the upsert
				// keeps it (flushDeltas).
				if !d.hasLast || !later(d.lastStart, d.lastEnd, ch.Start, ch.End) {
					d.hasLast, d.last, d.lastStart, d.lastEnd = true, *ch.New, ch.Start, ch.End
				}
			}
		}
	}
	return nil
}

// updateAggregates is afterWrite's work: the changes of one write batch
// added into report_agg in one or a few statements, and the latest value
// of a period looked up again where the one taken away was it.
func (s *Store) updateAggregates(ctx context.Context, tx *sql.Tx, changes []Change) error {
	var ds aggDeltas
	if err := ds.add(changes); err != nil {
		return err
	}
	if err := s.noteValueTypes(ctx, tx, changes); err != nil {
		return err
	}
	return s.flushDeltas(ctx, tx, &ds)
}

// flushDeltas adds ds into report_agg, in the table's key order (a long
// write's rows then go into the B-tree in sequence), full statements
// prepared once; and empties ds.
func (s *Store) flushDeltas(ctx context.Context, tx *sql.Tx, ds *aggDeltas) error {
	order := ds.order
	if len(order) == 0 {
		return nil
	}
	if len(order) > writeBatch {
		slices.SortFunc(order, compareStatKeys)
	}
	const cols = 9
	upsert := func(rows int) string {
		newer := `(excluded.last_end > report_agg.last_end OR (excluded.last_end = report_agg.last_end AND excluded.last_start >= report_agg.last_start AND excluded.last_end <> ''))`
		return `INSERT INTO report_agg (indicator_id, option_id, unit_id, period, value_sum, value_count, last_value, last_start, last_end) VALUES ` +
			s.rowPlaceholders(rows, cols) + ` ON CONFLICT (indicator_id, period, unit_id, option_id) DO UPDATE SET
			value_sum = report_agg.value_sum + excluded.value_sum,
			value_count = report_agg.value_count + excluded.value_count,
			last_value = CASE WHEN ` + newer + ` THEN excluded.last_value ELSE report_agg.last_value END,
			last_start = CASE WHEN ` + newer + ` THEN excluded.last_start ELSE report_agg.last_start END,
			last_end = CASE WHEN ` + newer + ` THEN excluded.last_end ELSE report_agg.last_end END`
	}
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, min(len(order), writeBatch)*cols)
	for start := 0; start < len(order); start += writeBatch {
		part := order[start:min(start+writeBatch, len(order))]
		args = args[:0]
		for _, k := range part {
			d := ds.m[k]
			last := sql.NullFloat64{Float64: d.last, Valid: d.hasLast}
			args = append(args, k.ind, k.opt, k.unit, k.period, d.sum, d.count, last, d.lastStart, d.lastEnd)
		}
		var err error
		switch {
		case len(part) < writeBatch:
			_, err = tx.ExecContext(ctx, upsert(len(part)), args...)
		default:
			if full == nil {
				if full, err = tx.PrepareContext(ctx, upsert(writeBatch)); err != nil {
					break
				}
			}
			_, err = full.ExecContext(ctx, args...)
		}
		if err != nil {
			return fmt.Errorf("report: analytics totals: %w", err)
		}
	}
	for _, k := range order {
		if d := ds.m[k]; len(d.removed) > 0 {
			if err := refreshLast(ctx, tx, k, d.removed); err != nil {
				return err
			}
		}
	}
	ds.m, ds.order = nil, nil
	return nil
}

// compareStatKeys orders report_agg rows as the table's key does.
func compareStatKeys(a, b statKey) int {
	return cmp.Or(cmp.Compare(a.ind, b.ind), strings.Compare(a.period, b.period), cmp.Compare(a.unit, b.unit), cmp.Compare(a.opt, b.opt))
}

// refreshLast mends one report_agg row after values were taken away: the
// row goes when nothing is left, and its latest value is looked up again
// when the one taken away was it.
func refreshLast(ctx context.Context, tx *sql.Tx, k statKey, removed [][2]string) error {
	var count int
	var start, end string
	err := tx.QueryRowContext(ctx, `SELECT value_count, last_start, last_end FROM report_agg WHERE indicator_id = $1 AND period = $2 AND unit_id = $3 AND option_id = $4`,
		k.ind, k.period, k.unit, k.opt).Scan(&count, &start, &end)
	if err == sql.ErrNoRows {
		return nil
	} else if err != nil {
		return fmt.Errorf("report: analytics totals: %w", err)
	}
	if count <= 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM report_agg WHERE indicator_id = $1 AND period = $2 AND unit_id = $3 AND option_id = $4`, k.ind, k.period, k.unit, k.opt)
		return err
	}
	if !slices.Contains(removed, [2]string{start, end}) {
		return nil
	}
	b, err := ParsePeriod(k.period)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT period, number, start_date, end_date FROM report_values
		WHERE indicator_id = $1 AND option_id = $2 AND unit_id = $3 AND number IS NOT NULL AND start_date >= $4 AND end_date <= $5
		ORDER BY end_date DESC, start_date DESC`, k.ind, k.opt, k.unit, b.Start().Format(time.DateOnly), b.End().Format(time.DateOnly))
	if err != nil {
		return err
	}
	var last sql.NullFloat64
	start, end = "", ""
	for rows.Next() {
		var period, s, e string
		var n float64
		if err := rows.Scan(&period, &n, &s, &e); err != nil {
			rows.Close()
			return err
		}
		if p, err := ParsePeriod(period); err == nil && slices.Contains(storedBuckets(p), b) {
			last, start, end = sql.NullFloat64{Float64: n, Valid: true}, s, e
			break
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE report_agg SET last_value = $1, last_start = $2, last_end = $3
		WHERE indicator_id = $4 AND period = $5 AND unit_id = $6 AND option_id = $7`, last, start, end, k.ind, k.period, k.unit, k.opt)
	return err
}

// maxUnitList is how many unit ids a stats query names in its IN list;
// beyond, it reads every unit's rows of the indicators and periods and
// keeps those asked for.
const maxUnitList = 2000

// readStats reads what analytics know of inds × periods × units: the
// running totals of each period (report_agg) and the values entered for
// the period itself (report_values).
func (s *Store) readStats(ctx context.Context, inds []int64, periods []Period, units []int64) (map[statKey]stat, error) {
	out := map[statKey]stat{}
	if len(inds) == 0 || len(periods) == 0 || len(units) == 0 {
		return out, nil
	}
	asked := periods
	periods = withParts(periods)
	var keep map[int64]bool
	where := func(args *[]any, col string) string {
		q := `indicator_id IN (` + idList(inds) + `) AND ` + col + ` IN (` + periodList(args, periods) + `)`
		if len(units) <= maxUnitList {
			q += ` AND unit_id IN (` + idList(units) + `)`
		}
		return q
	}
	if len(units) > maxUnitList {
		keep = make(map[int64]bool, len(units))
		for _, u := range units {
			keep[u] = true
		}
	}
	var args []any
	rows, err := s.db.Read.QueryContext(ctx, `SELECT indicator_id, option_id, unit_id, period, value_sum, value_count, last_value, last_start, last_end
		FROM report_agg WHERE `+where(&args, "period")+` AND value_count > 0`, args...)
	if err != nil {
		return nil, fmt.Errorf("report: analytics: %w", err)
	}
	for rows.Next() {
		var k statKey
		var st stat
		var last sql.NullFloat64
		if err := rows.Scan(&k.ind, &k.opt, &k.unit, &k.period, &st.sum, &st.count, &last, &st.lastStart, &st.lastEnd); err != nil {
			rows.Close()
			return nil, err
		}
		if keep != nil && !keep[k.unit] {
			continue
		}
		st.last = last.Float64
		cur := out[k]
		cur.merge(st)
		out[k] = cur
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	inds, periods, err = s.withValuesOf(ctx, inds, periods)
	if err != nil || len(inds) == 0 {
		return out, err
	}
	args = nil
	rows, err = s.db.Read.QueryContext(ctx, `SELECT indicator_id, option_id, unit_id, period, number, start_date, end_date
		FROM report_values WHERE `+where(&args, "period")+` AND number IS NOT NULL`, args...)
	if err != nil {
		return nil, fmt.Errorf("report: analytics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k statKey
		var n float64
		var start, end string
		if err := rows.Scan(&k.ind, &k.opt, &k.unit, &k.period, &n, &start, &end); err != nil {
			return nil, err
		}
		if keep != nil && !keep[k.unit] {
			continue
		}
		cur := out[k]
		cur.add(n, start, end)
		cur.exact++
		out[k] = cur
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return foldParts(out, asked, func(st *stat, o stat, part bool) {
		if part {
			o.exact = 0 // values entered for the quarter, not for the period asked
		}
		st.merge(o)
	}), nil
}

// foldParts makes the totals of the periods asked from those read
// (withParts): a half year or the nine months gets its quarters' totals
// added to its own (merge, told whether it adds a part), and periods read
// only as parts are dropped.
func foldParts[T any](read map[statKey]T, asked []Period, merge func(cur *T, v T, part bool)) map[statKey]T {
	into := map[string][]string{} // period read → periods asked it counts in
	isAsked := map[string]bool{}
	for _, p := range asked {
		isAsked[p.String()] = true
		for _, q := range derivedFrom(p) {
			into[q.String()] = append(into[q.String()], p.String())
		}
	}
	if len(into) == 0 {
		return read
	}
	out := make(map[statKey]T, len(read))
	for k, v := range read {
		if isAsked[k.period] {
			cur := out[k]
			merge(&cur, v, false)
			out[k] = cur
		}
		for _, p := range into[k.period] {
			t := k
			t.period = p
			cur := out[t]
			merge(&cur, v, true)
			out[t] = cur
		}
	}
	return out
}

// withValuesOf keeps the indicators and periods whose own values may be
// stored: indicators with values of a period type asked, periods of a type
// some of them have values of (report_value_types).
func (s *Store) withValuesOf(ctx context.Context, inds []int64, periods []Period) ([]int64, []Period, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT indicator_id, period_type FROM report_value_types WHERE indicator_id IN (`+idList(inds)+`)`)
	if err != nil {
		return nil, nil, fmt.Errorf("report: analytics value types: %w", err)
	}
	defer rows.Close()
	asked := map[string]bool{}
	for _, p := range periods {
		asked[p.Type().String()] = true
	}
	keepInd := map[int64]bool{}
	keepType := map[string]bool{}
	for rows.Next() {
		var ind int64
		var typ string
		if err := rows.Scan(&ind, &typ); err != nil {
			return nil, nil, err
		}
		if asked[typ] {
			keepInd[ind], keepType[typ] = true, true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var outI []int64
	for _, id := range inds {
		if keepInd[id] {
			outI = append(outI, id)
		}
	}
	var outP []Period
	for _, p := range periods {
		if keepType[p.Type().String()] {
			outP = append(outP, p)
		}
	}
	return outI, outP, nil
}

// idList writes ids as SQL integer literals. Thousands of $n parameters
// cost SQLite a lookup each while preparing the statement (its names are
// a list); literals of our own int64 ids are safe and parse at once.
func idList(ids []int64) string {
	if len(ids) == 0 {
		return "NULL"
	}
	b := make([]byte, 0, len(ids)*6)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

func periodList(args *[]any, ps []Period) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		*args = append(*args, p.String())
		parts[i] = "$" + strconv.Itoa(len(*args))
	}
	return strings.Join(parts, ",")
}

// Approval says which values analytics count.
const (
	ApprovalAll      = "all"      // every value entered (the default)
	ApprovalApproved = "approved" // values of reports approved at some level or accepted
	ApprovalAccepted = "accepted" // values of reports accepted by the last level
)

// readApprovedStats is readStats for values of approved (or accepted)
// reports only, from report_values at query time: approval moves without
// a write of values, so no running total can follow it, and the answer is
// as current as the reports' states.
func (s *Store) readApprovedStats(ctx context.Context, inds []int64, periods []Period, units []int64, approval string) (map[statKey]stat, error) {
	out := map[statKey]stat{}
	if len(inds) == 0 || len(periods) == 0 || len(units) == 0 {
		return out, nil
	}
	from, to := periods[0].Start(), periods[0].End()
	want := map[Period]bool{}
	for _, p := range periods {
		want[p] = true
		if p.Start().Before(from) {
			from = p.Start()
		}
		if p.End().After(to) {
			to = p.End()
		}
	}
	states := `'approved', 'accepted'`
	if approval == ApprovalAccepted {
		states = `'accepted'`
	}
	keep := map[int64]bool{}
	for _, u := range units {
		keep[u] = true
	}
	args := []any{from.Format(time.DateOnly), to.Format(time.DateOnly)}
	q := `SELECT v.indicator_id, v.option_id, v.unit_id, v.period, v.number, v.start_date, v.end_date FROM report_values v
		WHERE v.start_date >= $1 AND v.end_date <= $2 AND v.number IS NOT NULL AND v.indicator_id IN (` + idList(inds) + `)`
	if len(units) <= maxUnitList {
		q += ` AND v.unit_id IN (` + idList(units) + `)`
	}
	q += ` AND EXISTS (SELECT 1 FROM report_submissions s
			JOIN report_form_sections fs ON fs.form_id = s.form_id
			JOIN report_form_indicators fi ON fi.section_id = fs.id AND fi.indicator_id = v.indicator_id
			WHERE s.unit_id = v.unit_id AND s.period = v.period AND s.state IN (` + states + `))`
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report: analytics (approved): %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k statKey
		var n float64
		var start, end string
		if err := rows.Scan(&k.ind, &k.opt, &k.unit, &k.period, &n, &start, &end); err != nil {
			return nil, err
		}
		if !keep[k.unit] {
			continue
		}
		p, err := ParsePeriod(k.period)
		if err != nil {
			continue
		}
		for _, b := range append([]Period{p}, aggBuckets(p)...) {
			if want[b] {
				k.period = b.String()
				cur := out[k]
				cur.add(n, start, end)
				if b == p {
					cur.exact++
				}
				out[k] = cur
			}
		}
	}
	return out, rows.Err()
}

// groupStat is the total of an additive indicator over a set of units.
type groupStat struct {
	sum     float64
	count   int
	units   int    // units with values
	lastEnd string // the last day of the latest period counted
}

// groupMin is the size from which a unit set's additive indicators are
// summed by the database; maxGroups bounds how many sets one query sums
// so (a level of forty districts is read unit by unit instead).
const (
	groupMin  = 64
	maxGroups = 8
)

// groupTotals sums additive indicators over a unit set, per indicator,
// option and period: the running totals and the values entered for the
// period itself, added up by the database (one GROUP BY over a few rows
// per unit), so a province's figure does not carry its thousand units'
// rows to Go.
func (s *Store) groupTotals(ctx context.Context, inds []int64, periods []Period, units []int64) (map[statKey]groupStat, error) {
	out := map[statKey]groupStat{}
	var args []any
	// Each period read and the period asked it counts in: itself, and a
	// half year's or the nine months' quarters in that one too
	// (derivedFrom), so that a unit is counted once however many of them
	// it has values in.
	var into []string
	for _, p := range periods {
		for _, src := range append([]Period{p}, derivedFrom(p)...) {
			args = append(args, src.String(), p.String())
			into = append(into, fmt.Sprintf("(CAST($%d AS TEXT), CAST($%d AS TEXT))", len(args)-1, len(args)))
		}
	}
	read := withParts(periods)
	unitList := idList(units)
	q := `SELECT indicator_id, option_id, unit_id, period, value_sum AS s, value_count AS n, last_end AS e FROM report_agg
		WHERE indicator_id IN (` + idList(inds) + `) AND period IN (` + periodList(&args, read) + `) AND unit_id IN (` + unitList + `)
		AND value_count > 0`
	own, ownPeriods, err := s.withValuesOf(ctx, inds, read)
	if err != nil {
		return nil, err
	}
	if len(own) > 0 {
		q += ` UNION ALL
		SELECT indicator_id, option_id, unit_id, period, number, 1, end_date FROM report_values
		WHERE indicator_id IN (` + idList(own) + `) AND period IN (` + periodList(&args, ownPeriods) + `) AND unit_id IN (` + unitList + `)
		AND number IS NOT NULL`
	}
	q = `SELECT t.indicator_id, t.option_id, m.column2, SUM(t.s), SUM(t.n), COUNT(DISTINCT t.unit_id), MAX(t.e)
		FROM (` + q + `) t JOIN (VALUES ` + strings.Join(into, ",") + `) m ON m.column1 = t.period
		GROUP BY t.indicator_id, t.option_id, m.column2`
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report: analytics totals of a unit set: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k statKey
		var g groupStat
		var last sql.NullString
		if err := rows.Scan(&k.ind, &k.opt, &k.period, &g.sum, &g.count, &g.units, &last); err != nil {
			return nil, err
		}
		g.lastEnd = last.String
		out[k] = g
	}
	return out, rows.Err()
}
