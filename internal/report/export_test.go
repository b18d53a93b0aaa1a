package report

import (
	"context"
	"database/sql"
	"errors"
)

// SetImportBatch makes imports hand values to the writer n at a time, so a
// test can see a failed import roll back batches already written.
func SetImportBatch(s *Store, n int) { s.importBatch = n }

// HoldJobs keeps import jobs queued until release is called, so a test can
// see a job's page while it has not finished.
func HoldJobs(s *Store) (release func()) {
	s.jobs.sem <- struct{}{}
	return func() { <-s.jobs.sem }
}

// SumUnitByUnit makes analytics combine every figure from each unit's
// totals, never from the database's sums over a unit set.
func (s *Store) SumUnitByUnit() { s.regs.unitByUnit.Store(true) }

// WriteWithoutTotals makes writes skip the running totals (what the hook
// costs is measured against it).
func (s *Store) WriteWithoutTotals(off bool) { s.regs.noTotals.Store(off) }
func SetDeferTotals(s *Store, n int)         { s.deferTotals = n }

// KeepKeyTriggers makes long writes on PostgreSQL leave their foreign keys
// to the triggers, as for a role that may not set session_replication_role.
func KeepKeyTriggers(s *Store, on bool) { s.keyTriggers = on }

// WriteGathered writes vs as a long import does, batch by batch (n values
// each), their running totals gathered and added once before the
// transaction ends.
func (s *Store) WriteGathered(ctx context.Context, tx *sql.Tx, vs []ValueInput, n int, o WriteOptions) error {
	o.later = newTotalsLater(1 << 20)
	for len(vs) > 0 {
		part := vs[:min(n, len(vs))]
		vs = vs[len(part):]
		if _, err := s.WriteValues(ctx, tx, part, o); err != nil {
			return err
		}
	}
	return s.flushTotals(ctx, tx, o.later)
}

// WriteLong writes batches as the dataValueSets import's writer does
// (set-based on PostgreSQL, WriteValues with gathered totals on SQLite),
// in one transaction, committed unless fail is set (then the error after
// the last batch, and everything rolled back); it returns the counts.
func (s *Store) WriteLong(ctx context.Context, batches [][]ValueInput, o WriteOptions, fail bool) (ImportCount, error) {
	o.later = newTotalsLater(s.deferTotalsAfter())
	w := &importWriter{s: s, o: o}
	defer w.rollback()
	for _, vs := range batches {
		if err := w.write(ctx, vs); err != nil {
			return ImportCount{}, err
		}
	}
	if w.tx == nil {
		return w.count, nil
	}
	if err := w.finish(ctx); err != nil {
		return ImportCount{}, err
	}
	if fail {
		return w.count, errors.New("report: failed on purpose")
	}
	if err := w.tx.Commit(); err != nil {
		return ImportCount{}, err
	}
	w.tx = nil
	return w.count, nil
}
