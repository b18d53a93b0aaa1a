-- Half years and the nine months are no longer kept as running totals of
-- the values that lie within a quarter (issue 7, speed): analytics add the
-- quarters' totals instead (report.storedBuckets, derivedFrom). Their rows
-- are rebuilt from the values that lie within no quarter: a half year's
-- (into the nine months) and a week across two quarters (into its half
-- year and the nine months), as the write hook now keeps them;
-- TestAnalyticsBackfillMatchesHook checks it after 0007's backfill.
DELETE FROM report_agg WHERE period LIKE '%S_' OR period LIKE '%NM';
INSERT INTO report_agg (indicator_id, option_id, unit_id, period, value_sum, value_count, last_value, last_start, last_end)
SELECT indicator_id, option_id, unit_id, bucket, SUM(number), COUNT(*),
    MAX(CASE WHEN rn = 1 THEN number END), MAX(CASE WHEN rn = 1 THEN start_date ELSE '' END), MAX(CASE WHEN rn = 1 THEN end_date ELSE '' END)
FROM (
    SELECT b.indicator_id, b.option_id, b.unit_id, b.bucket, b.number, b.start_date, b.end_date,
        ROW_NUMBER() OVER (PARTITION BY b.indicator_id, b.option_id, b.unit_id, b.bucket ORDER BY b.end_date DESC, b.start_date DESC) AS rn
    FROM (
        SELECT indicator_id, option_id, unit_id, number, start_date, end_date,
            substr(start_date, 1, 4) || 'S' || CAST((CAST(substr(start_date, 6, 2) AS INTEGER) + 5) / 6 AS TEXT) AS bucket
        FROM report_values
        WHERE number IS NOT NULL AND period_type = 'Weekly' AND substr(start_date, 1, 4) = substr(end_date, 1, 4)
            AND (CAST(substr(start_date, 6, 2) AS INTEGER) + 5) / 6 = (CAST(substr(end_date, 6, 2) AS INTEGER) + 5) / 6
            AND (CAST(substr(start_date, 6, 2) AS INTEGER) + 2) / 3 <> (CAST(substr(end_date, 6, 2) AS INTEGER) + 2) / 3
        UNION ALL
        SELECT indicator_id, option_id, unit_id, number, start_date, end_date, substr(start_date, 1, 4) || 'NM'
        FROM report_values
        WHERE number IS NOT NULL AND substr(start_date, 1, 4) = substr(end_date, 1, 4) AND CAST(substr(end_date, 6, 2) AS INTEGER) <= 9
            AND (period_type = 'SixMonthly' OR (period_type = 'Weekly'
                AND (CAST(substr(start_date, 6, 2) AS INTEGER) + 2) / 3 <> (CAST(substr(end_date, 6, 2) AS INTEGER) + 2) / 3))
    ) b
) r
GROUP BY indicator_id, option_id, unit_id, bucket;
