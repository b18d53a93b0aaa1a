-- Periodic reporting (issue 7): indicators and report forms as data.
-- code is the natural key an import matches on, for both.
CREATE TABLE report_indicators (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    value_type TEXT NOT NULL,
    measure TEXT NOT NULL DEFAULT '',
    aggregation TEXT NOT NULL,
    time_aggregation TEXT NOT NULL,
    responsible_unit_id BIGINT REFERENCES org_units(id),
    -- A derived indicator is numerator / denominator × factor, both plain
    -- indicators; a plain one has neither.
    numerator_id BIGINT REFERENCES report_indicators(id),
    denominator_id BIGINT REFERENCES report_indicators(id),
    factor DOUBLE PRECISION NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL
);

-- Disaggregation of an indicator (e.g. toàn trình / một phần), in order.
CREATE TABLE report_category_options (
    id {{ID}},
    indicator_id BIGINT NOT NULL REFERENCES report_indicators(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    UNIQUE (indicator_id, code)
);

-- Report forms (chế độ báo cáo, biểu mẫu) issued by a unit.
CREATE TABLE report_forms (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    period_type TEXT NOT NULL,
    issuer_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    -- working days after the data cut-off, then grace days before it locks
    deadline_days INTEGER NOT NULL,
    grace_days INTEGER NOT NULL DEFAULT 0,
    basis TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL
);

CREATE TABLE report_form_sections (
    id {{ID}},
    form_id BIGINT NOT NULL REFERENCES report_forms(id),
    name TEXT NOT NULL,
    sort_order INTEGER NOT NULL
);
CREATE INDEX report_form_sections_form ON report_form_sections (form_id);

CREATE TABLE report_form_indicators (
    id {{ID}},
    section_id BIGINT NOT NULL REFERENCES report_form_sections(id),
    indicator_id BIGINT NOT NULL REFERENCES report_indicators(id),
    sort_order INTEGER NOT NULL,
    UNIQUE (section_id, indicator_id)
);
CREATE INDEX report_form_indicators_indicator ON report_form_indicators (indicator_id);

-- The units that must report a form: those of a kind under a unit, over a
-- span of days (valid_from '' from the start, valid_to '' while open), as the registry stands in each period.
CREATE TABLE report_form_assignments (
    id {{ID}},
    form_id BIGINT NOT NULL REFERENCES report_forms(id),
    under_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    kind TEXT NOT NULL,
    valid_from TEXT NOT NULL DEFAULT '',
    valid_to TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL
);
CREATE INDEX report_form_assignments_form ON report_form_assignments (form_id);
