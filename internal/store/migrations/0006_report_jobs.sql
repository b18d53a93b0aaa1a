-- Periodic reporting (issue 7): import jobs (DHIS2's DATAVALUE_IMPORT run
-- with async=true, and uploads from the exchange page). uid is the job's
-- identifier in DHIS2's URLs (/api/system/tasks/DATAVALUE_IMPORT/{uid});
-- state is queued, running, done or failed; notifications is the JSON
-- list DHIS2's task endpoint returns (newest first); summary the final
-- ImportSummary as JSON. The upload itself is spooled to a temporary file,
-- never stored here.
CREATE TABLE report_jobs (
    id {{ID}},
    uid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    state TEXT NOT NULL,
    format TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '',
    bytes BIGINT NOT NULL DEFAULT 0,
    read_values BIGINT NOT NULL DEFAULT 0,
    notifications TEXT NOT NULL DEFAULT '[]',
    summary TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL,
    started_at {{TS}},
    finished_at {{TS}}
);
CREATE INDEX report_jobs_user ON report_jobs (user_id, created_at);
