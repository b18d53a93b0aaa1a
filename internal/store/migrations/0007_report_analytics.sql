-- Periodic reporting (issue 7): analytics that are always current.
--
-- report_agg holds running totals of report_values per indicator ×
-- category option × unit × period bucket, kept by the write transaction
-- itself (report.Store.afterWrite): a value written is in analytics on the
-- next request, with no rebuild step. A bucket is a period longer than the
-- value's own that holds it wholly: a month's value is added into its
-- quarter, half, nine months (January–September) and year; a quarter's into
-- its half, nine months and year. A nine-month value is a year-to-date
-- report and is not added into the year. A value's own period is not
-- stored here: analytics read it from report_values.
--
-- value_sum and value_count are the sum and number of the values in the
-- bucket (averages over time are their quotient); last_value is the value
-- of the latest period in the bucket (by end day, then the shorter
-- period), with that period's first and last day, for indicators read at
-- the end of a period (stocks). Units are not rolled up here: analytics add
-- the units of a subtree at query time, over the org tree as it stood on the
-- day asked, so a reorganisation needs no rewrite of these rows. On SQLite
-- the rows are stored in key order (WITHOUT ROWID): one indicator's year is
-- one contiguous range.
CREATE TABLE report_agg (
    indicator_id BIGINT NOT NULL,
    option_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    value_sum DOUBLE PRECISION NOT NULL,
    value_count INTEGER NOT NULL,
    last_value DOUBLE PRECISION,
    last_start TEXT NOT NULL DEFAULT '',
    last_end TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (indicator_id, period, unit_id, option_id)
) {{WITHOUT_ROWID}};

-- The period types each indicator has values of (never removed): analytics
-- read a period's own values from report_values only for indicators that
-- have values of its type, so a year asked of monthly data costs no probe
-- of the values' index per unit. Written with ON CONFLICT DO NOTHING, so
-- concurrent writers do not wait on each other.
CREATE TABLE report_value_types (
    indicator_id BIGINT NOT NULL,
    period_type TEXT NOT NULL,
    PRIMARY KEY (indicator_id, period_type)
);
INSERT INTO report_value_types (indicator_id, period_type) SELECT DISTINCT indicator_id, period_type FROM report_values;

-- backfill: the buckets of the values already stored (the same buckets
-- the write hook keeps; TestAnalyticsBackfillMatchesHook checks it).
INSERT INTO report_agg (indicator_id, option_id, unit_id, period, value_sum, value_count, last_value, last_start, last_end)
SELECT indicator_id, option_id, unit_id, bucket, SUM(number), COUNT(*),
    MAX(CASE WHEN rn = 1 THEN number END), MAX(CASE WHEN rn = 1 THEN start_date ELSE '' END), MAX(CASE WHEN rn = 1 THEN end_date ELSE '' END)
FROM (
    SELECT b.indicator_id, b.option_id, b.unit_id, b.bucket, b.number, b.start_date, b.end_date,
        ROW_NUMBER() OVER (PARTITION BY b.indicator_id, b.option_id, b.unit_id, b.bucket ORDER BY b.end_date DESC, b.start_date DESC) AS rn
    FROM (
        SELECT indicator_id, option_id, unit_id, number, start_date, end_date,
            substr(start_date, 1, 4) || substr(start_date, 6, 2) AS bucket
        FROM report_values
        WHERE number IS NOT NULL AND period_type = 'Weekly' AND substr(start_date, 1, 7) = substr(end_date, 1, 7)
        UNION ALL
        SELECT indicator_id, option_id, unit_id, number, start_date, end_date,
            substr(start_date, 1, 4) || 'Q' || CAST((CAST(substr(start_date, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)
        FROM report_values
        WHERE number IS NOT NULL AND period_type IN ('Weekly', 'Monthly') AND substr(start_date, 1, 4) = substr(end_date, 1, 4)
            AND (CAST(substr(start_date, 6, 2) AS INTEGER) + 2) / 3 = (CAST(substr(end_date, 6, 2) AS INTEGER) + 2) / 3
        UNION ALL
        SELECT indicator_id, option_id, unit_id, number, start_date, end_date,
            substr(start_date, 1, 4) || 'S' || CAST((CAST(substr(start_date, 6, 2) AS INTEGER) + 5) / 6 AS TEXT)
        FROM report_values
        WHERE number IS NOT NULL AND period_type IN ('Weekly', 'Monthly', 'Quarterly') AND substr(start_date, 1, 4) = substr(end_date, 1, 4)
            AND (CAST(substr(start_date, 6, 2) AS INTEGER) + 5) / 6 = (CAST(substr(end_date, 6, 2) AS INTEGER) + 5) / 6
        UNION ALL
        SELECT indicator_id, option_id, unit_id, number, start_date, end_date, substr(start_date, 1, 4) || 'NM'
        FROM report_values
        WHERE number IS NOT NULL AND period_type IN ('Weekly', 'Monthly', 'Quarterly', 'SixMonthly') AND substr(start_date, 1, 4) = substr(end_date, 1, 4)
            AND CAST(substr(end_date, 6, 2) AS INTEGER) <= 9
        UNION ALL
        SELECT indicator_id, option_id, unit_id, number, start_date, end_date, substr(start_date, 1, 4)
        FROM report_values
        WHERE number IS NOT NULL AND period_type IN ('Weekly', 'Monthly', 'Quarterly', 'SixMonthly') AND substr(start_date, 1, 4) = substr(end_date, 1, 4)
    ) b
) r
GROUP BY indicator_id, option_id, unit_id, bucket;
-- end backfill
