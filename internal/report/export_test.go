package report

// SetImportBatch makes imports hand values to the writer n at a time, so a
// test can see a failed import roll back batches already written.
func SetImportBatch(s *Store, n int) { s.importBatch = n }
