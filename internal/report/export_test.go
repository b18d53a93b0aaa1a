package report

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
