-- Periodic reporting (issue 7): the data. One current value per indicator
-- × category option × unit × period (DHIS2's datavalue), its history, and
-- the state of each report (form × unit × period) on its way up the tree.

-- option_id is report_category_options.id, or 0 for an indicator without
-- disaggregation (DHIS2's default category option combo). period is the
-- DHIS2 id; start_date and end_date (YYYY-MM-DD) let analytics read any
-- range without parsing it. number is the value as a number (NULL for text
-- and files, 1/0 for yes/no), what analytics add up.
CREATE TABLE report_values (
    id {{ID}},
    indicator_id BIGINT NOT NULL REFERENCES report_indicators(id),
    option_id BIGINT NOT NULL DEFAULT 0,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    period TEXT NOT NULL,
    period_type TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    value TEXT NOT NULL,
    number DOUBLE PRECISION,
    comment TEXT NOT NULL DEFAULT '',
    followup BOOLEAN NOT NULL DEFAULT FALSE,
    created_by BIGINT REFERENCES users(id),
    created_at {{TS}} NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    updated_at {{TS}} NOT NULL,
    UNIQUE (indicator_id, unit_id, period, option_id)
);
CREATE INDEX report_values_unit_period ON report_values (unit_id, period);

-- Every change of a value: created (old_value NULL), changed, deleted
-- (new_value NULL), by whom, when, why and through what (form, api, excel).
CREATE TABLE report_value_history (
    id {{ID}},
    indicator_id BIGINT NOT NULL,
    option_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    old_comment TEXT NOT NULL DEFAULT '',
    new_comment TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    changed_by BIGINT REFERENCES users(id),
    changed_at {{TS}} NOT NULL
);
CREATE INDEX report_value_history_key ON report_value_history (unit_id, period, indicator_id);

-- A report: one form, one unit, one period. state is draft, submitted,
-- returned, approved (by the level in approved_unit_id; more levels may
-- follow) or accepted (the last level approved it; the data are final).
-- waiting_unit_id is the unit whose approvers act next. on_time says
-- whether the first submission came before the deadline. values_sha256 is
-- the digest of the values the last submission or approval covered.
CREATE TABLE report_submissions (
    id {{ID}},
    form_id BIGINT NOT NULL REFERENCES report_forms(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    period TEXT NOT NULL,
    state TEXT NOT NULL,
    waiting_unit_id BIGINT REFERENCES org_units(id),
    approved_unit_id BIGINT REFERENCES org_units(id),
    first_submitted_at {{TS}},
    submitted_at {{TS}},
    submitted_by BIGINT REFERENCES users(id),
    on_time BOOLEAN,
    approved_at {{TS}},
    approved_by BIGINT REFERENCES users(id),
    values_sha256 TEXT NOT NULL DEFAULT '',
    updated_at {{TS}} NOT NULL,
    UNIQUE (form_id, unit_id, period)
);
CREATE INDEX report_submissions_period ON report_submissions (form_id, period);
CREATE INDEX report_submissions_waiting ON report_submissions (waiting_unit_id, state);

-- The steps of a report: submit, approve, accept, return, unapprove,
-- reopen; each with the acting unit, the comment (a return says why) and
-- the digest of the values at that moment, so an appraiser can prove later
-- what was submitted and approved, and when.
CREATE TABLE report_submission_events (
    id {{ID}},
    submission_id BIGINT NOT NULL REFERENCES report_submissions(id),
    action TEXT NOT NULL,
    unit_id BIGINT REFERENCES org_units(id),
    comment TEXT NOT NULL DEFAULT '',
    values_sha256 TEXT NOT NULL DEFAULT '',
    user_id BIGINT REFERENCES users(id),
    at {{TS}} NOT NULL
);
CREATE INDEX report_submission_events_submission ON report_submission_events (submission_id);

-- A period is locked after its deadline plus grace; a coordinator may
-- reopen it for one unit until a given instant.
CREATE TABLE report_reopenings (
    id {{ID}},
    form_id BIGINT NOT NULL REFERENCES report_forms(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    period TEXT NOT NULL,
    open_until {{TS}} NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    user_id BIGINT REFERENCES users(id),
    at {{TS}} NOT NULL
);
CREATE INDEX report_reopenings_key ON report_reopenings (form_id, unit_id, period);
