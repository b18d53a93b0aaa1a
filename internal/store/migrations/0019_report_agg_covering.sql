-- Periodic reporting (issue 7, speed): analytics read report_agg by
-- indicator, period and a set of units. On SQLite the table is stored in
-- key order (WITHOUT ROWID), so one indicator's year is one contiguous
-- range. PostgreSQL keeps it as a heap in the order rows were written, so
-- the same question fetched one heap page per row (22,683 buffers for a
-- 1,000-unit tree over five years, measured); this index answers it from
-- the index alone (1,163 buffers).
{{POSTGRES}}CREATE INDEX report_agg_covering ON report_agg (indicator_id, period, unit_id) INCLUDE (option_id, value_sum, value_count, last_value, last_start, last_end);
