package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tinhso/tinhso/internal/store"
)

// A long write on PostgreSQL (the dataValueSets import, issue 7, speed) is
// set-based: each batch of values goes to the server with one COPY into a
// temporary table, and the server does what WriteValues does row by row in
// Go — finds each value's current row, decides its outcome, deletes,
// updates and inserts the values, writes one history row per change, and
// gathers what the changes bring to the running totals — in a few
// statements per batch. The totals of the whole write go into report_agg
// in one INSERT … SELECT … ON CONFLICT before it commits. Everything runs
// on the connection that holds the write's transaction, temporary tables
// included (dropped at its end): all or nothing, as before. SQLite keeps
// WriteValues, whose multi-row INSERTs with plain "?" are its fastest
// path, and so does a PostgreSQL role that may not make temporary tables.
// TestBulkMatchesWriteValues holds the two together.
//
// Most of the server's time for a million values went to the foreign
// keys' triggers (four lookups a value, one a history row; measured,
// docs/perf.md). Where the role may set session_replication_role, each
// batch checks and locks its keys once (keys) and turns the triggers off
// for its own writes; elsewhere they run as for any write.
//
// The outcomes follow WriteValues: a value sent as deleted goes when it is
// there; an unchanged value (same value, comment and follow-up), a new one
// under UPDATE and an existing one under CREATE are ignored. Each call's
// keys must be distinct (the import refuses a key sent twice before it
// writes); a key may come again in a later call.

// bulkTx begins a long write's transaction: on PostgreSQL on a connection
// of its own, with the set-based writer for it; elsewhere a plain
// transaction and no bulk writer. done ends the connection after the
// transaction ends.
func (s *Store) bulkTx(ctx context.Context, o WriteOptions) (tx *sql.Tx, bulk *pgBulk, done func(), err error) {
	db := s.db
	if db.Engine != store.Postgres {
		tx, err = db.Write.BeginTx(ctx, nil)
		return tx, nil, func() {}, err
	}
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if tx, err = conn.BeginTx(ctx, nil); err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	if o.Strategy == "" {
		o.Strategy = StrategyCreateAndUpdate
	}
	b := &pgBulk{s: s, conn: conn, tx: tx, o: o, dates: map[string]periodDates{}}
	temp, err := b.begin(ctx)
	if err != nil {
		tx.Rollback()
		conn.Close()
		return nil, nil, nil, err
	}
	if !temp {
		// A role without TEMPORARY on the database writes row by row.
		slog.WarnContext(ctx, "report: long write without temporary tables (no TEMPORARY privilege?): row by row, slower")
		b = nil
	}
	return tx, b, func() { conn.Close() }, nil
}

// KeysOncePerBatch reports whether a long write checks its foreign keys
// once per batch (keys): always true on SQLite, where the question does
// not arise; on PostgreSQL, whether the role may set
// session_replication_role (a superuser, or PostgreSQL 15's GRANT SET ON
// PARAMETER). Without it a million-value import takes about twice as long
// (docs/perf.md), so the server says so at start-up. It changes nothing.
func (s *Store) KeysOncePerBatch(ctx context.Context) (bool, error) {
	if s.db.Engine != store.Postgres {
		return true, nil
	}
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42501" { // insufficient_privilege
		return false, nil
	}
	return err == nil, err
}

// pgBulk is one long write's set-based writer on PostgreSQL.
type pgBulk struct {
	s       *Store
	conn    *sql.Conn
	tx      *sql.Tx
	o       WriteOptions
	seq     int64                  // values staged so far: each value's place in the write
	dates   map[string]periodDates // periods staged, their buckets in import_buckets
	removed bool                   // some batch took a number away (refreshLast at the end)
	totals  bool                   // some batch gathered totals
	// ownKeys: the role may set session_replication_role, so the write
	// checks its foreign keys itself, once per key and batch (keys).
	ownKeys bool
	userOK  bool // the writing user was found and locked (keys)
}

type periodDates struct{ typ, start, end string }

// The temporary tables of a long write. import_stage holds the batch as
// sent; import_diff the values that change, with their current rows;
// import_buckets the report_agg periods of each period staged
// (storedBuckets); import_agg each batch's changes to report_agg rows;
// import_removed the periods of numbers taken away, by report_agg row.
const bulkTables = `
CREATE TEMP TABLE import_stage (seq BIGINT NOT NULL, indicator_id BIGINT NOT NULL, option_id BIGINT NOT NULL, unit_id BIGINT NOT NULL,
	period TEXT NOT NULL, period_type TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL,
	value TEXT NOT NULL, number DOUBLE PRECISION, comment TEXT NOT NULL, followup BOOLEAN NOT NULL, del BOOLEAN NOT NULL) ON COMMIT DROP;
CREATE TEMP TABLE import_diff (seq BIGINT NOT NULL, indicator_id BIGINT NOT NULL, option_id BIGINT NOT NULL, unit_id BIGINT NOT NULL,
	period TEXT NOT NULL, period_type TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL,
	value TEXT NOT NULL, number DOUBLE PRECISION, comment TEXT NOT NULL, followup BOOLEAN NOT NULL,
	vid BIGINT, old_value TEXT, old_comment TEXT, old_number DOUBLE PRECISION, outcome "char" NOT NULL) ON COMMIT DROP;
CREATE TEMP TABLE import_buckets (period TEXT NOT NULL, bucket TEXT NOT NULL) ON COMMIT DROP;
CREATE TEMP TABLE import_agg (indicator_id BIGINT NOT NULL, option_id BIGINT NOT NULL, unit_id BIGINT NOT NULL,
	period TEXT NOT NULL, value_sum DOUBLE PRECISION NOT NULL, value_count INTEGER NOT NULL, last TEXT COLLATE "C") ON COMMIT DROP;
CREATE TEMP TABLE import_removed (indicator_id BIGINT NOT NULL, option_id BIGINT NOT NULL, unit_id BIGINT NOT NULL,
	period TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL) ON COMMIT DROP`

var stageColumns = []string{"seq", "indicator_id", "option_id", "unit_id", "period", "period_type", "start_date", "end_date",
	"value", "number", "comment", "followup", "del"}

// begin makes the temporary tables, and reports false when the role may
// not (the transaction is as it was).
func (b *pgBulk) begin(ctx context.Context) (temp bool, err error) {
	// The totals' GROUP BYs of a million values fit in memory; numbers
	// written as text (lastKey) read back exactly.
	if _, err := b.tx.ExecContext(ctx, `SET LOCAL work_mem = '64MB'; SET LOCAL extra_float_digits = 1; SAVEPOINT import_temp`); err != nil {
		return false, fmt.Errorf("report: bulk write: %w", err)
	}
	if _, err := b.tx.ExecContext(ctx, bulkTables); err != nil {
		if _, err := b.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_temp; RELEASE SAVEPOINT import_temp`); err != nil {
			return false, fmt.Errorf("report: bulk write: %w", err)
		}
		return false, nil
	}
	if _, err := b.tx.ExecContext(ctx, `RELEASE SAVEPOINT import_temp`); err != nil {
		return false, fmt.Errorf("report: bulk write: %w", err)
	}
	// Whether the role may turn the foreign keys' triggers off (a
	// superuser, or GRANT SET ON PARAMETER session_replication_role): a
	// refusal is rolled back to the savepoint and the triggers stay.
	if b.s.keyTriggers {
		return true, nil
	}
	if _, err := b.tx.ExecContext(ctx, `SAVEPOINT import_keys`); err != nil {
		return false, fmt.Errorf("report: bulk write: %w", err)
	}
	if _, err := b.tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err == nil {
		b.ownKeys = true
		if _, err := b.tx.ExecContext(ctx, `SET LOCAL session_replication_role = origin`); err != nil {
			return false, fmt.Errorf("report: bulk write: %w", err)
		}
	} else if _, err := b.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_keys`); err != nil {
		return false, fmt.Errorf("report: bulk write: %w", err)
	}
	if _, err := b.tx.ExecContext(ctx, `RELEASE SAVEPOINT import_keys`); err != nil {
		return false, fmt.Errorf("report: bulk write: %w", err)
	}
	return true, nil
}

// keys does for a batch what the foreign keys of report_values and
// report_value_history do row by row (four or five lookups a value, most
// of the server's time for a million values, measured): it finds the
// indicators, units and the writing user the batch's rows name and locks
// them FOR KEY SHARE until the transaction ends, as each trigger would,
// once per key; then turns the triggers off for the batch's writes
// (SET LOCAL session_replication_role = replica, which nothing else in
// the schema depends on: it has no triggers or rules of its own, and no
// table references report_values or report_value_history). A key that is
// gone fails the write, as the constraint would.
func (b *pgBulk) keys(ctx context.Context, who sql.NullInt64) error {
	var inds, units int
	err := b.tx.QueryRowContext(ctx, `WITH ind AS (SELECT DISTINCT indicator_id AS id FROM pg_temp.import_diff WHERE outcome <> 'D'),
		unit AS (SELECT DISTINCT unit_id AS id FROM pg_temp.import_diff WHERE outcome <> 'D'),
		ki AS (SELECT r.id FROM report_indicators r JOIN ind ON ind.id = r.id FOR KEY SHARE OF r),
		ku AS (SELECT u.id FROM org_units u JOIN unit ON unit.id = u.id FOR KEY SHARE OF u)
		SELECT (SELECT COUNT(*) FROM ind) - (SELECT COUNT(*) FROM ki), (SELECT COUNT(*) FROM unit) - (SELECT COUNT(*) FROM ku)`).Scan(&inds, &units)
	if err != nil {
		return fmt.Errorf("report: check keys: %w", err)
	}
	if inds != 0 || units != 0 {
		return fmt.Errorf("report: insert values: %d of the batch's indicators and %d of its units are not there (foreign keys of report_values)", inds, units)
	}
	if who.Valid && !b.userOK {
		var id int64
		err := b.tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1 FOR KEY SHARE`, who.Int64).Scan(&id)
		if err == sql.ErrNoRows {
			return fmt.Errorf("report: insert values: user %d is not there (foreign keys of report_values)", who.Int64)
		} else if err != nil {
			return fmt.Errorf("report: check keys: %w", err)
		}
		b.userOK = true
	}
	_, err = b.tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`)
	return err
}

// write writes one batch and counts its outcomes.
func (b *pgBulk) write(ctx context.Context, vs []ValueInput) (ImportCount, error) {
	var c ImportCount
	if len(vs) == 0 {
		return c, nil
	}
	tx, o := b.tx, b.o
	if o.Now.IsZero() {
		o.Now = store.Now() // each batch's instant, as WriteValues takes it per call
	}
	// Each batch's statements are planned again (DISCARD PLANS keeps the
	// prepared statements): a plan made while report_values was empty
	// scans the table for each key once it holds a million rows (a
	// million values with the foreign keys' triggers took 85 s instead of
	// 30, measured).
	if _, err := tx.ExecContext(ctx, `TRUNCATE pg_temp.import_stage, pg_temp.import_diff; DISCARD PLANS`); err != nil {
		return c, fmt.Errorf("report: bulk write: %w", err)
	}
	if err := b.stage(ctx, vs); err != nil {
		return c, fmt.Errorf("report: stage values: %w", err)
	}
	who := sql.NullInt64{Int64: o.User, Valid: o.User != 0}
	// The values that change, with their current rows, and how: D deleted,
	// I imported, U updated; the rest are ignored. Each current row is
	// looked up by its key (the LATERAL subquery keeps the planner from
	// hashing the whole table for a batch: its statistics lag a long
	// write's own rows, and 20,000 lookups cost less than a scan of a
	// million rows; measured, docs/perf.md). A batch of units and periods
	// that have no values yet (a new quarter's import) looks up none.
	var some bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT unit_id, period FROM pg_temp.import_stage) k
		CROSS JOIN LATERAL (SELECT 1 FROM report_values v WHERE v.unit_id = k.unit_id AND v.period = k.period LIMIT 1) v)`).Scan(&some); err != nil {
		return c, fmt.Errorf("report: read values: %w", err)
	}
	current := `LEFT JOIN report_values v ON FALSE`
	if some {
		current = `LEFT JOIN LATERAL (SELECT v.id, v.value, v.comment, v.followup, v.number FROM report_values v
			WHERE v.indicator_id = s.indicator_id AND v.unit_id = s.unit_id AND v.period = s.period AND v.option_id = s.option_id
			OFFSET 0) v ON TRUE`
	}
	rows, err := tx.QueryContext(ctx, `WITH d AS (
		INSERT INTO pg_temp.import_diff (seq, indicator_id, option_id, unit_id, period, period_type, start_date, end_date,
			value, number, comment, followup, vid, old_value, old_comment, old_number, outcome)
		SELECT s.seq, s.indicator_id, s.option_id, s.unit_id, s.period, s.period_type, s.start_date, s.end_date,
			s.value, s.number, s.comment, s.followup, v.id, v.value, v.comment, v.number,
			CASE WHEN s.del THEN 'D' WHEN v.id IS NULL THEN 'I' ELSE 'U' END
		FROM pg_temp.import_stage s `+current+`
		WHERE CASE WHEN s.del THEN v.id IS NOT NULL
			WHEN v.id IS NULL THEN $1::boolean
			ELSE $2::boolean AND (v.value <> s.value OR v.comment <> s.comment OR v.followup <> s.followup) END
		RETURNING outcome)
		SELECT outcome, COUNT(*) FROM d GROUP BY outcome`,
		o.Strategy != StrategyUpdate, o.Strategy != StrategyCreate)
	if err != nil {
		return c, fmt.Errorf("report: read values: %w", err)
	}
	for rows.Next() {
		var outcome string
		var n int
		if err := rows.Scan(&outcome, &n); err != nil {
			rows.Close()
			return c, err
		}
		switch outcome {
		case "D":
			c.Deleted = n
		case "I":
			c.Imported = n
		case "U":
			c.Updated = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("report: read values: %w", err)
	}
	c.Ignored = len(vs) - c.Deleted - c.Imported - c.Updated
	if c.Deleted+c.Imported+c.Updated == 0 {
		return c, nil
	}
	if b.ownKeys {
		if err := b.keys(ctx, who); err != nil {
			return c, err
		}
	}
	if c.Deleted > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM report_values v USING pg_temp.import_diff d WHERE d.outcome = 'D' AND v.id = d.vid`); err != nil {
			return c, fmt.Errorf("report: delete values: %w", err)
		}
	}
	if c.Updated > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE report_values v SET value = d.value, number = d.number, comment = d.comment, followup = d.followup,
			updated_by = $1::bigint, updated_at = $2::timestamptz FROM pg_temp.import_diff d WHERE d.outcome = 'U' AND v.id = d.vid`, who, o.Now); err != nil {
			return c, fmt.Errorf("report: update values: %w", err)
		}
	}
	if c.Imported > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_values (indicator_id, option_id, unit_id, period, period_type, start_date, end_date,
			value, number, comment, followup, created_by, created_at, updated_by, updated_at)
			SELECT indicator_id, option_id, unit_id, period, period_type, start_date, end_date,
				value, number, comment, followup, $1::bigint, $2::timestamptz, $1::bigint, $2::timestamptz
			FROM pg_temp.import_diff WHERE outcome = 'I' ORDER BY seq`, who, o.Now); err != nil {
			return c, fmt.Errorf("report: insert values: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_value_history (indicator_id, option_id, unit_id, period, old_value, new_value,
		old_comment, new_comment, reason, source, changed_by, changed_at)
		SELECT indicator_id, option_id, unit_id, period, old_value, CASE WHEN outcome = 'D' THEN NULL ELSE value END,
			COALESCE(old_comment, ''), comment, $1::text, $2::text, $3::bigint, $4::timestamptz
		FROM pg_temp.import_diff ORDER BY seq`, o.Reason, o.Source, who, o.Now); err != nil {
		return c, fmt.Errorf("report: value history: %w", err)
	}
	if b.ownKeys {
		if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = origin`); err != nil {
			return c, err
		}
	}
	if b.s.regs.noTotals.Load() {
		return c, nil
	}
	return c, b.gather(ctx, c.Deleted+c.Updated > 0)
}

// stage copies vs into import_stage: each value with its place in the
// write, its period's type and days, its number (NumberOf; none for a
// value deleted) and whether it is deleted.
func (b *pgBulk) stage(ctx context.Context, vs []ValueInput) error {
	var newBuckets []any
	row := make([]any, len(stageColumns))
	i := -1
	src := pgx.CopyFromFunc(func() ([]any, error) {
		i++
		if i >= len(vs) {
			return nil, nil
		}
		v := &vs[i]
		d, ok := b.dates[v.Period]
		if !ok {
			p := v.PeriodOf
			d = periodDates{p.Type().String(), p.Start().Format(time.DateOnly), p.End().Format(time.DateOnly)}
			b.dates[v.Period] = d
			for _, bk := range storedBuckets(p) {
				newBuckets = append(newBuckets, v.Period, bk.String())
			}
		}
		del := v.Delete || b.o.Strategy == StrategyDelete
		var number any
		if !del {
			if n := NumberOf(v.ValueType, v.Value); n != nil {
				number = *n
			}
		}
		b.seq++
		row[0], row[1], row[2], row[3], row[4], row[5], row[6] = b.seq, v.Indicator, v.Option, v.Unit, v.Period, d.typ, d.start
		row[7], row[8], row[9], row[10], row[11], row[12] = d.end, v.Value, number, v.Comment, v.FollowUp, del
		return row, nil
	})
	err := b.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("report: COPY needs the pgx driver")
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{"pg_temp", "import_stage"}, stageColumns, src)
		return err
	})
	if err != nil {
		return err
	}
	if len(newBuckets) > 0 {
		if _, err := b.tx.ExecContext(ctx, `INSERT INTO pg_temp.import_buckets (period, bucket) VALUES `+store.RowPlaceholders(store.Postgres, len(newBuckets)/2, 2), newBuckets...); err != nil {
			return err
		}
	}
	return nil
}

// lastKey is, for one value of import_diff d, its report_agg rows'
// latest value as text that sorts as aggDeltas.add and the upsert choose
// it: by last day, then first day (both YYYY-MM-DD), then its place in
// the write (a key written again: the last), followed by the number
// (PostgreSQL writes a float8 as text exactly when extra_float_digits is
// at least 1). One MAX over it, COLLATE "C", is the latest value, where
// ordered ARRAY_AGGs cost a sort per row of report_agg (measured).
const lastKey = `d.end_date || d.start_date || LPAD(d.seq::text, 19, '0') || d.number::text`

// gather adds the batch's changes to import_agg, one row per report_agg
// row they touch, as aggDeltas.add does: the sum and number of the new
// numbers less the old, and the latest new number (lastKey); and notes
// the numbers taken away.
func (b *pgBulk) gather(ctx context.Context, changed bool) error {
	tx := b.tx
	if _, err := tx.ExecContext(ctx, `INSERT INTO pg_temp.import_agg (indicator_id, option_id, unit_id, period, value_sum, value_count, last)
		SELECT d.indicator_id, d.option_id, d.unit_id, k.bucket,
			SUM(COALESCE(d.number, 0) - COALESCE(d.old_number, 0)), COUNT(d.number) - COUNT(d.old_number),
			MAX(CASE WHEN d.number IS NOT NULL THEN `+lastKey+` END COLLATE "C")
		FROM pg_temp.import_diff d JOIN pg_temp.import_buckets k ON k.period = d.period
		WHERE d.number IS NOT NULL OR d.old_number IS NOT NULL
		GROUP BY d.indicator_id, d.option_id, d.unit_id, k.bucket`); err != nil {
		return fmt.Errorf("report: analytics totals: %w", err)
	}
	b.totals = true
	if changed {
		res, err := tx.ExecContext(ctx, `INSERT INTO pg_temp.import_removed (indicator_id, option_id, unit_id, period, start_date, end_date)
			SELECT d.indicator_id, d.option_id, d.unit_id, k.bucket, d.start_date, d.end_date
			FROM pg_temp.import_diff d JOIN pg_temp.import_buckets k ON k.period = d.period
			WHERE d.old_number IS NOT NULL AND d.number IS NULL`)
		if err != nil {
			return fmt.Errorf("report: analytics totals: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			b.removed = true
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_value_types (indicator_id, period_type)
		SELECT DISTINCT indicator_id, period_type FROM pg_temp.import_diff WHERE number IS NOT NULL
		ON CONFLICT (indicator_id, period_type) DO NOTHING`); err != nil {
		return fmt.Errorf("report: analytics value types: %w", err)
	}
	return nil
}

// finish adds the write's gathered totals into report_agg, in the table's
// key order, as flushDeltas does (the same upsert), and mends the rows
// whose numbers were taken away (refreshLast). A long write calls it
// before it commits.
func (b *pgBulk) finish(ctx context.Context) error {
	if !b.totals || b.s.regs.noTotals.Load() {
		return nil
	}
	tx := b.tx
	newer := `(excluded.last_end > report_agg.last_end OR (excluded.last_end = report_agg.last_end AND excluded.last_start >= report_agg.last_start AND excluded.last_end <> ''))`
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_agg (indicator_id, option_id, unit_id, period, value_sum, value_count, last_value, last_start, last_end)
		SELECT indicator_id, option_id, unit_id, period, s, n, SUBSTR(m, 40)::float8, COALESCE(SUBSTR(m, 11, 10), ''), COALESCE(SUBSTR(m, 1, 10), '')
		FROM (SELECT indicator_id, option_id, unit_id, period, SUM(value_sum) AS s, SUM(value_count) AS n, MAX(last) AS m
			FROM pg_temp.import_agg GROUP BY indicator_id, period, unit_id, option_id) a
		ORDER BY indicator_id, period, unit_id, option_id
		ON CONFLICT (indicator_id, period, unit_id, option_id) DO UPDATE SET
			value_sum = report_agg.value_sum + excluded.value_sum,
			value_count = report_agg.value_count + excluded.value_count,
			last_value = CASE WHEN `+newer+` THEN excluded.last_value ELSE report_agg.last_value END,
			last_start = CASE WHEN `+newer+` THEN excluded.last_start ELSE report_agg.last_start END,
			last_end = CASE WHEN `+newer+` THEN excluded.last_end ELSE report_agg.last_end END`); err != nil {
		return fmt.Errorf("report: analytics totals: %w", err)
	}
	if !b.removed {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT indicator_id, option_id, unit_id, period, start_date, end_date FROM pg_temp.import_removed`)
	if err != nil {
		return fmt.Errorf("report: analytics totals: %w", err)
	}
	removed := map[statKey][][2]string{}
	var order []statKey
	for rows.Next() {
		var k statKey
		var start, end string
		if err := rows.Scan(&k.ind, &k.opt, &k.unit, &k.period, &start, &end); err != nil {
			rows.Close()
			return err
		}
		if _, ok := removed[k]; !ok {
			order = append(order, k)
		}
		removed[k] = append(removed[k], [2]string{start, end})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(order, compareStatKeys)
	for _, k := range order {
		if err := refreshLast(ctx, tx, k, removed[k]); err != nil {
			return err
		}
	}
	return nil
}
