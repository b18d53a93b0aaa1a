-- The hub's operational monitoring (issue 9 part 6): one row per exchange
-- the gateway answered, with X-Road's operational-monitoring fields
-- (OperationalDataRecord; the columns are their names in snake case),
-- written in the message log's group commit. Times are Unix milliseconds
-- as X-Road's are; client_member_id and service_member_id (hub_members,
-- 0 when unknown) let a member see its own traffic only. Unlike the
-- message log this is not evidence: it is kept for a retention period and
-- may be deleted.
CREATE TABLE hub_opmon (
    id {{ID}},
    x_request_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    monitoring_data_ts BIGINT NOT NULL,
    request_in_ts BIGINT NOT NULL,
    request_out_ts BIGINT NOT NULL,
    response_in_ts BIGINT NOT NULL,
    response_out_ts BIGINT NOT NULL,
    day TEXT NOT NULL,
    client_xroad_instance TEXT NOT NULL,
    client_member_class TEXT NOT NULL,
    client_member_code TEXT NOT NULL,
    client_subsystem_code TEXT NOT NULL,
    client_subsystem_id BIGINT NOT NULL,
    client_member_id BIGINT NOT NULL,
    service_xroad_instance TEXT NOT NULL,
    service_member_class TEXT NOT NULL,
    service_member_code TEXT NOT NULL,
    service_subsystem_code TEXT NOT NULL,
    service_code TEXT NOT NULL,
    service_id BIGINT NOT NULL,
    service_subsystem_id BIGINT NOT NULL,
    service_member_id BIGINT NOT NULL,
    service_type TEXT NOT NULL,
    rest_method TEXT NOT NULL,
    rest_path TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    request_size BIGINT NOT NULL,
    response_size BIGINT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    fault_code TEXT NOT NULL,
    fault_string TEXT NOT NULL,
    message_user_id TEXT NOT NULL,
    message_issue TEXT NOT NULL
);
CREATE INDEX hub_opmon_ts ON hub_opmon (request_in_ts);
CREATE INDEX hub_opmon_day ON hub_opmon (day, service_id);

-- Message bodies, kept only for subsystems that opt in (keep_bodies_days >
-- 0, as consumer or as provider; the longer of the two counts): the
-- request's and the response's body of an exchange, up to 1 MiB each
-- (truncated beyond, the message log's digest covering the whole body),
-- deleted once expires_at_us has passed.
ALTER TABLE hub_subsystems ADD COLUMN keep_bodies_days INTEGER NOT NULL DEFAULT 0;
CREATE TABLE hub_log_bodies (
    x_request_id TEXT NOT NULL,
    part TEXT NOT NULL,
    body {{BLOB}} NOT NULL,
    size BIGINT NOT NULL,
    truncated BOOLEAN NOT NULL,
    kept_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    PRIMARY KEY (x_request_id, part)
);
CREATE INDEX hub_log_bodies_expires ON hub_log_bodies (expires_at_us);
