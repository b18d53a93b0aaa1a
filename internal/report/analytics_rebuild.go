package report

import (
	"context"
	"database/sql"
)

// Running totals of a long write (issue 7, speed): a large import (a
// million values through /api/dataValueSets) would add each batch's
// changes into report_agg — three or four upserts a value, most of its
// time. Instead it gathers the changes of many batches in memory and adds
// them in one pass, in the table's key order, whenever the gathered rows
// reach a bound and before it commits: a quarter's value and the next
// quarter's of the same unit go into their half and year once, not twice.
// It stays one transaction, so the values and their totals appear together
// at commit and a value written is in analytics on the next request.
// TestTotalsGatheredMatchHook checks the totals are the hook's.

// totalsLater gathers a long write's changes to report_agg.
type totalsLater struct {
	max    int // rows gathered before they are added
	deltas aggDeltas
}

func newTotalsLater(max int) *totalsLater { return &totalsLater{max: max} }

// gather adds a batch's changes to those waiting, and adds them all into
// report_agg once there are max rows.
func (s *Store) gather(ctx context.Context, tx *sql.Tx, l *totalsLater, changes []Change) error {
	if err := l.deltas.add(changes); err != nil {
		return err
	}
	if err := s.noteValueTypes(ctx, tx, changes); err != nil {
		return err
	}
	if len(l.deltas.order) < l.max {
		return nil
	}
	return s.flushDeltas(ctx, tx, &l.deltas)
}

// flushTotals adds what l still holds; a long write calls it before it
// commits.
func (s *Store) flushTotals(ctx context.Context, tx *sql.Tx, l *totalsLater) error {
	if l == nil || s.regs.noTotals.Load() {
		return nil
	}
	return s.flushDeltas(ctx, tx, &l.deltas)
}
