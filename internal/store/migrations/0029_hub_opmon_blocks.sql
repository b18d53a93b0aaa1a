-- Operational monitoring in the message log's blocks (issue 9, speed): a
-- row of hub_opmon per exchange was the writer's largest cost (34
-- columns bound one by one, a table and two indexes a row; more than the
-- exchange's two records, measured, docs/perf.md). The monitoring rows of
-- the exchanges a group ends now go in that group's block, as a JSON
-- array of arrays in ops (the fields by position, in the order of
-- hub_opmon's columns below), with the bounds of their request_in_ts in
-- ops_first_ts and ops_last_ts. Monitoring is not evidence: ops is not
-- covered by the records' hashes, and the retention purge may rewrite
-- it.
--
-- hub_opmon becomes a view with the same columns, over the rows kept
-- before (hub_opmon_rows, where a block's rows also go when the block is
-- archived away) and the blocks' (hub_opmon_blocks), so that the
-- monitoring's SQL and an operator's read as before. block_first_ts and
-- block_last_ts bound the rows' request_in_ts per block (per row in
-- hub_opmon_rows): a reader that bounds request_in_ts bounds them too,
-- which both engines take to the blocks' index.
ALTER TABLE hub_opmon RENAME TO hub_opmon_rows;
ALTER TABLE hub_log_blocks ADD COLUMN ops_first_ts BIGINT;
ALTER TABLE hub_log_blocks ADD COLUMN ops_last_ts BIGINT;
{{SQLITE}}ALTER TABLE hub_log_blocks ADD COLUMN ops TEXT;
{{POSTGRES}}ALTER TABLE hub_log_blocks ADD COLUMN ops JSON;
{{POSTGRES}}DO $$ BEGIN EXECUTE 'ALTER TABLE hub_log_blocks ALTER COLUMN ops SET COMPRESSION lz4'; EXCEPTION WHEN OTHERS THEN NULL; END $$;
CREATE INDEX hub_log_blocks_ops ON hub_log_blocks (ops_last_ts, ops_first_ts) WHERE ops IS NOT NULL;

{{SQLITE}}CREATE VIEW hub_opmon_blocks AS SELECT b.chain AS chain, b.first_seq AS first_seq, b.last_seq AS last_seq,
{{SQLITE}}    b.first_seq * 1024 + o.key AS id,
{{SQLITE}}    o.value ->> 0 AS x_request_id, o.value ->> 1 AS message_id, o.value ->> 2 AS monitoring_data_ts, o.value ->> 3 AS request_in_ts,
{{SQLITE}}    o.value ->> 4 AS request_out_ts, o.value ->> 5 AS response_in_ts, o.value ->> 6 AS response_out_ts, o.value ->> 7 AS day,
{{SQLITE}}    o.value ->> 8 AS client_xroad_instance, o.value ->> 9 AS client_member_class, o.value ->> 10 AS client_member_code, o.value ->> 11 AS client_subsystem_code,
{{SQLITE}}    o.value ->> 12 AS client_subsystem_id, o.value ->> 13 AS client_member_id, o.value ->> 14 AS service_xroad_instance, o.value ->> 15 AS service_member_class,
{{SQLITE}}    o.value ->> 16 AS service_member_code, o.value ->> 17 AS service_subsystem_code, o.value ->> 18 AS service_code, o.value ->> 19 AS service_id,
{{SQLITE}}    o.value ->> 20 AS service_subsystem_id, o.value ->> 21 AS service_member_id, o.value ->> 22 AS service_type, o.value ->> 23 AS rest_method,
{{SQLITE}}    o.value ->> 24 AS rest_path, o.value ->> 25 AS status_code, o.value ->> 26 AS request_size, o.value ->> 27 AS response_size,
{{SQLITE}}    o.value ->> 28 AS succeeded, o.value ->> 29 AS fault_code, o.value ->> 30 AS fault_string, o.value ->> 31 AS message_user_id,
{{SQLITE}}    o.value ->> 32 AS message_issue, o.value ->> 33 AS security_server_type,
{{SQLITE}}    b.ops_first_ts AS block_first_ts, b.ops_last_ts AS block_last_ts
{{SQLITE}}    FROM hub_log_blocks b, json_each(b.ops) o WHERE b.ops IS NOT NULL;
{{POSTGRES}}CREATE VIEW hub_opmon_blocks AS SELECT b.chain, b.first_seq, b.last_seq,
{{POSTGRES}}    b.first_seq * 1024 + o.n - 1 AS id,
{{POSTGRES}}    o.v ->> 0 AS x_request_id, o.v ->> 1 AS message_id, (o.v ->> 2)::BIGINT AS monitoring_data_ts, (o.v ->> 3)::BIGINT AS request_in_ts,
{{POSTGRES}}    (o.v ->> 4)::BIGINT AS request_out_ts, (o.v ->> 5)::BIGINT AS response_in_ts, (o.v ->> 6)::BIGINT AS response_out_ts, o.v ->> 7 AS day,
{{POSTGRES}}    o.v ->> 8 AS client_xroad_instance, o.v ->> 9 AS client_member_class, o.v ->> 10 AS client_member_code, o.v ->> 11 AS client_subsystem_code,
{{POSTGRES}}    (o.v ->> 12)::BIGINT AS client_subsystem_id, (o.v ->> 13)::BIGINT AS client_member_id, o.v ->> 14 AS service_xroad_instance, o.v ->> 15 AS service_member_class,
{{POSTGRES}}    o.v ->> 16 AS service_member_code, o.v ->> 17 AS service_subsystem_code, o.v ->> 18 AS service_code, (o.v ->> 19)::BIGINT AS service_id,
{{POSTGRES}}    (o.v ->> 20)::BIGINT AS service_subsystem_id, (o.v ->> 21)::BIGINT AS service_member_id, o.v ->> 22 AS service_type, o.v ->> 23 AS rest_method,
{{POSTGRES}}    o.v ->> 24 AS rest_path, (o.v ->> 25)::INTEGER AS status_code, (o.v ->> 26)::BIGINT AS request_size, (o.v ->> 27)::BIGINT AS response_size,
{{POSTGRES}}    (o.v ->> 28)::BOOLEAN AS succeeded, o.v ->> 29 AS fault_code, o.v ->> 30 AS fault_string, o.v ->> 31 AS message_user_id,
{{POSTGRES}}    o.v ->> 32 AS message_issue, o.v ->> 33 AS security_server_type,
{{POSTGRES}}    b.ops_first_ts AS block_first_ts, b.ops_last_ts AS block_last_ts
{{POSTGRES}}    FROM hub_log_blocks b, json_array_elements(b.ops) WITH ORDINALITY AS o(v, n) WHERE b.ops IS NOT NULL;

CREATE VIEW hub_opmon AS
SELECT id,
    x_request_id, message_id, monitoring_data_ts, request_in_ts, request_out_ts, response_in_ts, response_out_ts, day,
    client_xroad_instance, client_member_class, client_member_code, client_subsystem_code, client_subsystem_id, client_member_id, service_xroad_instance, service_member_class,
    service_member_code, service_subsystem_code, service_code, service_id, service_subsystem_id, service_member_id, service_type, rest_method,
    rest_path, status_code, request_size, response_size, succeeded, fault_code, fault_string, message_user_id,
    message_issue, security_server_type,
    request_in_ts AS block_first_ts, request_in_ts AS block_last_ts FROM hub_opmon_rows
UNION ALL
SELECT id,
    x_request_id, message_id, monitoring_data_ts, request_in_ts, request_out_ts, response_in_ts, response_out_ts, day,
    client_xroad_instance, client_member_class, client_member_code, client_subsystem_code, client_subsystem_id, client_member_id, service_xroad_instance, service_member_class,
    service_member_code, service_subsystem_code, service_code, service_id, service_subsystem_id, service_member_id, service_type, rest_method,
    rest_path, status_code, request_size, response_size, succeeded, fault_code, fault_string, message_user_id,
    message_issue, security_server_type,
    block_first_ts, block_last_ts FROM hub_opmon_blocks;
