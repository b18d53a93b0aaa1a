-- The message log's index on at_us served no query (records are read by
-- chain and seq, or found by x_request_id) and cost every record one more
-- index write in the gateway's group commit (issue 9, speed).
DROP INDEX hub_log_at;
