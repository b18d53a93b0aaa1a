package report

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/store"
)

// Key names one data value: an indicator, its category option (0 for the
// total, DHIS2's default category option combo), a unit and a period in
// DHIS2 notation.
type Key struct {
	Indicator int64
	Option    int64
	Unit      int64
	Period    string
}

// ValueInput is a value to write, already resolved to ids and checked (see
// Checker). Delete removes the value; an empty Value with Delete false is
// refused by the checker, never written.
type ValueInput struct {
	Key
	PeriodOf  Period
	ValueType string
	Value     string
	Comment   string
	FollowUp  bool
	Delete    bool
}

// Outcome is what a write did with one value, in DHIS2's import counts.
type Outcome int

const (
	Imported Outcome = iota + 1
	Updated
	Ignored
	Deleted
)

// WriteOptions say who writes, through what, why, and with which DHIS2
// import strategy.
type WriteOptions struct {
	User     int64
	Source   string // "form", "api", "excel"
	Reason   string
	Strategy ImportStrategy
	Now      time.Time // the write's instant; store.Now() when zero
	// later, set by a long write (the import), gathers the running totals
	// of many batches and adds them at once (analytics_rebuild.go).
	later *totalsLater
}

// Change is one value changed by a write: what analytics must add (New)
// and take away (Old). A nil number is a value that does not count (text,
// or none before/after).
type Change struct {
	Key
	PeriodType string
	Start, End string
	Old, New   *float64
}

// writeBatch is how many values one round trip reads and writes: within
// SQLite's and PostgreSQL's bind-parameter limits (15 columns × 500).
const writeBatch = 500

// readBatch is how many values one query of current rows covers (their
// units and periods are bound, a few hundred parameters).
const readBatch = 20000

// WriteValues writes vs inside tx, batch by batch: it reads the current
// rows the batch names, decides each value's outcome (an unchanged value,
// same value, comment and follow-up, is ignored, as in DHIS2), writes the
// new, changed and deleted rows and one history row per change. It returns
// the outcomes in the order of vs. Callers check values first (Checker);
// the caller's transaction makes the whole write all or nothing.
func (s *Store) WriteValues(ctx context.Context, tx *sql.Tx, vs []ValueInput, o WriteOptions) ([]Outcome, error) {
	if o.Now.IsZero() {
		o.Now = store.Now()
	}
	if o.Strategy == "" {
		o.Strategy = StrategyCreateAndUpdate
	}
	out := make([]Outcome, 0, len(vs))
	st := &stmtCache{tx: tx, m: map[string]*sql.Stmt{}, days: map[Period][3]string{}}
	defer st.close()
	// The current rows of the whole call are read in a few queries, and
	// kept up to date as the batches write, so a key written twice in one
	// call is seen as it stands after the first write.
	cur := map[Key]currentValue{}
	for start := 0; start < len(vs); start += readBatch {
		part, err := currentValues(ctx, tx, vs[start:min(start+readBatch, len(vs))])
		if err != nil {
			return nil, err
		}
		maps.Copy(cur, part)
	}
	// A batch's inserts go in together at its end, after its updates and
	// deletes: a batch ends before a key it already holds, so a key's
	// second write never runs ahead of its first.
	inBatch := map[Key]bool{}
	for start := 0; start < len(vs); {
		end := start
		clear(inBatch)
		for end < len(vs) && end-start < writeBatch && !inBatch[vs[end].Key] {
			inBatch[vs[end].Key] = true
			end++
		}
		res, err := s.writeBatch(ctx, st, cur, vs[start:end], o)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
		start = end
	}
	return out, nil
}

// stmtCache prepares each statement of a write once: the batches of one
// WriteValues call share the text of their multi-row INSERTs, and parsing
// a 7,500-parameter statement costs about as much as running it.
type stmtCache struct {
	tx *sql.Tx
	m  map[string]*sql.Stmt
	// days holds each period's type and first and last day as written, made
	// once per call: a long write has a few periods and a million values.
	days map[Period][3]string
}

func (c *stmtCache) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.m[q] = st
	return st, nil
}

func (c *stmtCache) exec(ctx context.Context, q string, args ...any) error {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

func (c *stmtCache) close() {
	for _, st := range c.m {
		st.Close()
	}
}

type currentValue struct {
	value, comment string
	followup       bool
	number         *float64
}

func (s *Store) writeBatch(ctx context.Context, st *stmtCache, cur map[Key]currentValue, vs []ValueInput, o WriteOptions) ([]Outcome, error) {
	tx := st.tx
	out := make([]Outcome, len(vs))
	var inserts, history []any
	var nInsert, nHistory int
	var changes []Change
	who := sql.NullInt64{Int64: o.User, Valid: o.User != 0}
	for i, v := range vs {
		old, exists := cur[v.Key]
		del := v.Delete || o.Strategy == StrategyDelete
		switch {
		case del && !exists, !del && exists && o.Strategy == StrategyCreate, !del && !exists && o.Strategy == StrategyUpdate:
			out[i] = Ignored
			continue
		case !del && exists && old.value == v.Value && old.comment == v.Comment && old.followup == v.FollowUp:
			out[i] = Ignored
			continue
		}
		p := v.PeriodOf
		days, ok := st.days[p]
		if !ok {
			days = [3]string{p.Type().String(), p.Start().Format(time.DateOnly), p.End().Format(time.DateOnly)}
			st.days[p] = days
		}
		ch := Change{Key: v.Key, PeriodType: days[0], Start: days[1], End: days[2]}
		var oldValue, newValue sql.NullString
		if exists {
			oldValue = sql.NullString{String: old.value, Valid: true}
			ch.Old = old.number
		}
		switch {
		case del:
			out[i] = Deleted
			if _, err := tx.ExecContext(ctx, `DELETE FROM report_values WHERE indicator_id = $1 AND unit_id = $2 AND period = $3 AND option_id = $4`,
				v.Indicator, v.Unit, v.Period, v.Option); err != nil {
				return nil, fmt.Errorf("report: delete value: %w", err)
			}
		case exists:
			out[i] = Updated
			ch.New = NumberOf(v.ValueType, v.Value)
			newValue = sql.NullString{String: v.Value, Valid: true}
			if _, err := tx.ExecContext(ctx, `UPDATE report_values SET value = $1, number = $2, comment = $3, followup = $4, updated_by = $5, updated_at = $6
				WHERE indicator_id = $7 AND unit_id = $8 AND period = $9 AND option_id = $10`,
				v.Value, nullFloat(ch.New), v.Comment, v.FollowUp, who, o.Now, v.Indicator, v.Unit, v.Period, v.Option); err != nil {
				return nil, fmt.Errorf("report: update value: %w", err)
			}
		default:
			out[i] = Imported
			ch.New = NumberOf(v.ValueType, v.Value)
			newValue = sql.NullString{String: v.Value, Valid: true}
			inserts = append(inserts, v.Indicator, v.Option, v.Unit, v.Period, ch.PeriodType, ch.Start, ch.End,
				v.Value, nullFloat(ch.New), v.Comment, v.FollowUp)
			nInsert++
		}
		if del {
			delete(cur, v.Key)
		} else {
			cur[v.Key] = currentValue{value: v.Value, comment: v.Comment, followup: v.FollowUp, number: ch.New}
		}
		history = append(history, v.Indicator, v.Option, v.Unit, v.Period, oldValue, newValue, old.comment, v.Comment)
		nHistory++
		changes = append(changes, ch)
	}
	// Who and when are bound once a statement, not once a row.
	if nInsert > 0 {
		q := `INSERT INTO report_values (created_by, created_at, updated_by, updated_at, indicator_id, option_id, unit_id, period,
			period_type, start_date, end_date, value, number, comment, followup) VALUES ` +
			store.RowPlaceholders(s.db.Engine, nInsert, 11, 1, 2, 1, 2)
		if err := st.exec(ctx, q, append([]any{who, o.Now}, inserts...)...); err != nil {
			return nil, fmt.Errorf("report: insert values: %w", err)
		}
	}
	if nHistory > 0 {
		q := `INSERT INTO report_value_history (reason, source, changed_by, changed_at, indicator_id, option_id, unit_id, period,
			old_value, new_value, old_comment, new_comment) VALUES ` + store.RowPlaceholders(s.db.Engine, nHistory, 8, 1, 2, 3, 4)
		if err := st.exec(ctx, q, append([]any{o.Reason, o.Source, who, o.Now}, history...)...); err != nil {
			return nil, fmt.Errorf("report: value history: %w", err)
		}
	}
	if err := s.afterWrite(ctx, tx, changes, o.later); err != nil {
		return nil, err
	}
	return out, nil
}

// afterWrite is where what is derived from values follows each write, in
// the same transaction: analytics' running totals (report_agg), so that a
// value written is in analytics on the next request.
func (s *Store) afterWrite(ctx context.Context, tx *sql.Tx, changes []Change, later *totalsLater) error {
	if s.regs.noTotals.Load() {
		return nil
	}
	if later != nil {
		return s.gather(ctx, tx, later, changes)
	}
	return s.updateAggregates(ctx, tx, changes)
}

// rowPlaceholders is store.RowPlaceholders for the store's engine.
func (s *Store) rowPlaceholders(rows, cols int) string {
	return store.RowPlaceholders(s.db.Engine, rows, cols)
}

// currentValues reads the stored rows for the keys of vs: by the batch's
// units and periods (the index report_values_unit_period), and by its
// indicators only when they are few, since each bound parameter costs
// (a batch of one form's values names every indicator of the form); rows
// of other keys are dropped here.
func currentValues(ctx context.Context, q store.Querier, vs []ValueInput) (map[Key]currentValue, error) {
	units, periods, inds := map[int64]bool{}, map[string]bool{}, map[int64]bool{}
	want := make(map[Key]bool, len(vs))
	for _, v := range vs {
		units[v.Unit], periods[v.Period], inds[v.Indicator] = true, true, true
		want[v.Key] = true
	}
	var args []any
	uq := store.InList(&args, keys(units))
	var pq []string
	for p := range periods {
		args = append(args, p)
		pq = append(pq, "$"+strconv.Itoa(len(args)))
	}
	where := `unit_id IN (` + uq + `) AND period IN (` + strings.Join(pq, ",") + `)`
	if len(inds) <= 8 {
		where += ` AND indicator_id IN (` + store.InList(&args, keys(inds)) + `)`
	}
	rows, err := q.QueryContext(ctx, `SELECT indicator_id, option_id, unit_id, period, value, comment, followup, number FROM report_values WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("report: read values: %w", err)
	}
	defer rows.Close()
	out := map[Key]currentValue{}
	for rows.Next() {
		var k Key
		var c currentValue
		var n sql.NullFloat64
		if err := rows.Scan(&k.Indicator, &k.Option, &k.Unit, &k.Period, &c.value, &c.comment, &c.followup, &n); err != nil {
			return nil, err
		}
		if !want[k] {
			continue
		}
		if n.Valid {
			c.number = &n.Float64
		}
		out[k] = c
	}
	return out, rows.Err()
}

func keys[K comparable](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

// NumberOf is a checked value as analytics count it: numbers as written,
// yes/no as 1/0; nil for text, files and anything else.
func NumberOf(valueType, value string) *float64 {
	switch ValueType(valueType) {
	case TypeBoolean, TypeTrueOnly:
		var f float64
		if value == "true" {
			f = 1
		}
		return &f
	case TypeText, TypeLongText, TypeDate:
		return nil
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return nil
	}
	return &f
}
