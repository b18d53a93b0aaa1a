package hub

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

// The retention job (a web.Component beside the gateway) keeps the log's
// tables bounded: it archives the seals older than ArchiveDays
// (archive.go), deletes operational-monitoring rows older than OpmonDays
// (X-Road keeps 7 days), and time-stamps the seals that have no token yet
// (timestamp.go). When several nodes share a database, one does it: the
// holder of the lease "hub-retention" in job_leases.

// RetentionOptions configure the retention job.
type RetentionOptions struct {
	ArchiveDir  string // where archive files go
	ArchiveDays int    // seals older than this many days are archived; 0: none
	OpmonDays   int    // hub_opmon rows older than this are deleted; 0: kept
	// Every is how often archiving and the monitoring purge run (0: 1 hour;
	// X-Road archives every 6 hours and cleans every 12).
	Every time.Duration
	// TSAURL, when set, is the RFC 3161 time-stamping authority; TSACA the
	// PEM file of the authorities trusted (its certificate's chain is not
	// checked without one).
	TSAURL, TSACA string
	// TimestampEvery is how often seals are stamped (0: DefaultTimestampEvery).
	TimestampEvery time.Duration
	// TimestampFailure, with a TSA: a seal without a time-stamp token this
	// long makes the gateway refuse new exchanges (0: never; X-Road's
	// acceptable-timestamp-failure-period, 4 hours there too).
	TimestampFailure time.Duration
}

const retentionLease = "hub-retention"

// PurgeOpmon deletes the monitoring rows of exchanges that began before
// before; how many. Rows in hub_opmon_rows are deleted; in the message
// log's blocks a block's rows are dropped, or rewritten without the old
// ones when the block holds both (migration 0029).
func (s *Store) PurgeOpmon(ctx context.Context, before time.Time) (int64, error) {
	ms := before.UnixMilli()
	kept := `(SELECT json_group_array(json(o.value) ORDER BY o.key) FROM json_each(hub_log_blocks.ops) o WHERE o.value ->> 3 >= $1)`
	first := `(SELECT MIN(o.value ->> 3) FROM json_each(hub_log_blocks.ops) o WHERE o.value ->> 3 >= $1)`
	if s.db.Engine == store.Postgres {
		kept = `(SELECT json_agg(o.v ORDER BY o.n) FROM json_array_elements(hub_log_blocks.ops) WITH ORDINALITY o(v, n) WHERE (o.v ->> 3)::BIGINT >= $1)`
		first = `(SELECT MIN((o.v ->> 3)::BIGINT) FROM json_array_elements(hub_log_blocks.ops) o(v) WHERE (o.v ->> 3)::BIGINT >= $1)`
	}
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_opmon WHERE request_in_ts < $1 AND block_first_ts < $1`, ms).Scan(&n); err != nil || n == 0 {
			return err
		}
		for _, q := range []string{
			`DELETE FROM hub_opmon_rows WHERE request_in_ts < $1`,
			`UPDATE hub_log_blocks SET ops = NULL, ops_first_ts = NULL, ops_last_ts = NULL WHERE ops IS NOT NULL AND ops_last_ts < $1`,
			`UPDATE hub_log_blocks SET ops = ` + kept + `, ops_first_ts = ` + first + ` WHERE ops IS NOT NULL AND ops_first_ts < $1 AND ops_last_ts >= $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, ms); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("hub monitoring retention: %w", err)
	}
	return n, nil
}

// TSA is the configured time-stamping authority, nil when none.
func (s *Store) TSA() (*TSA, error) {
	o := s.opt.Retention
	if o.TSAURL == "" {
		return nil, nil
	}
	roots, err := LoadTSARoots(o.TSACA)
	if err != nil {
		return nil, err
	}
	return &TSA{URL: o.TSAURL, Roots: roots}, nil
}

// RetainOnce runs one round of archiving and of the monitoring purge, now
// (the job calls it while it holds the lease; tests and the CLI directly).
func (s *Store) RetainOnce(ctx context.Context, now time.Time) ([]Archived, int64, error) {
	o := s.opt.Retention
	var archived []Archived
	if o.ArchiveDays > 0 && o.ArchiveDir != "" {
		var err error
		archived, err = s.Archive(ctx, ArchiveOptions{Dir: o.ArchiveDir, Before: now.AddDate(0, 0, -o.ArchiveDays)})
		if err != nil {
			return archived, 0, err
		}
	}
	var purged int64
	if o.OpmonDays > 0 {
		var err error
		if purged, err = s.PurgeOpmon(ctx, now.AddDate(0, 0, -o.OpmonDays)); err != nil {
			return archived, 0, err
		}
	}
	return archived, purged, nil
}

// RetentionComponent is the retention job.
func (s *Store) RetentionComponent() web.Component {
	return web.Component{Name: "hub-retention", Run: func(ctx context.Context) error {
		o := s.opt.Retention
		tsa, err := s.TSA()
		if err != nil {
			return err
		}
		every, stampEvery := o.Every, o.TimestampEvery
		if every <= 0 {
			every = time.Hour
		}
		if stampEvery <= 0 {
			stampEvery = DefaultTimestampEvery
		}
		tick := every
		if tsa != nil {
			tick = min(every, stampEvery)
		}
		node := s.node
		t := time.NewTicker(tick)
		defer t.Stop()
		var lastRetain time.Time
		for {
			// Long enough for a round of archiving; another node takes over
			// that much after the holder stopped.
			held, err := s.db.Lease(ctx, retentionLease, node, time.Now(), max(3*tick, 10*time.Minute))
			if err != nil && ctx.Err() == nil {
				slog.Warn("hub retention: lease", "err", err)
			}
			if held {
				if tsa != nil {
					if n, err := s.StampSeals(ctx, tsa, 500); err != nil && ctx.Err() == nil {
						slog.Warn("hub message log: seals left without a time-stamp token, tried again later", "stamped", n, "err", err)
					}
				}
				if time.Since(lastRetain) >= every {
					lastRetain = time.Now()
					archived, purged, err := s.RetainOnce(ctx, time.Now())
					if err != nil && ctx.Err() == nil {
						slog.Error("hub retention", "err", err)
					}
					if len(archived) > 0 || purged > 0 {
						slog.Info("hub retention", "archives", len(archived), "monitoring rows deleted", purged)
					}
				}
			}
			select {
			case <-ctx.Done():
				s.db.Release(context.WithoutCancel(ctx), retentionLease, node, time.Now())
				return nil
			case <-t.C:
			}
		}
	}}
}
