-- DTI pillars (chỉ số chính) by framework version: data, not code, so a new
-- framework (Decision 405/QĐ-BKHCN of 2025) is rows, not a release.
CREATE TABLE dti_pillars (
    framework TEXT NOT NULL,
    code TEXT NOT NULL,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    max_points INTEGER NOT NULL,
    sort_order INTEGER NOT NULL,
    PRIMARY KEY (framework, code)
);
-- Decision 922/QĐ-BTTTT (2022), provinces: 9 main indices.
INSERT INTO dti_pillars (framework, code, name_vi, name_en, max_points, sort_order) VALUES
('922/QĐ-BTTTT', 'nhan_thuc_so', 'Nhận thức số', 'Digital awareness', 100, 1),
('922/QĐ-BTTTT', 'the_che_so', 'Thể chế số', 'Digital institutions', 100, 2),
('922/QĐ-BTTTT', 'ha_tang_so', 'Hạ tầng số', 'Digital infrastructure', 100, 3),
('922/QĐ-BTTTT', 'nhan_luc_so', 'Nhân lực số', 'Digital workforce', 100, 4),
('922/QĐ-BTTTT', 'an_toan_thong_tin', 'An toàn thông tin mạng', 'Cybersecurity', 100, 5),
('922/QĐ-BTTTT', 'chinh_quyen_so', 'Chính quyền số', 'Digital government', 200, 6),
('922/QĐ-BTTTT', 'kinh_te_so', 'Kinh tế số', 'Digital economy', 150, 7),
('922/QĐ-BTTTT', 'xa_hoi_so', 'Xã hội số', 'Digital society', 150, 8),
('922/QĐ-BTTTT', 'do_thi_thong_minh', 'Đô thị thông minh', 'Smart city', 0, 9);

-- Plans (kế hoạch). key is the natural key an import matches on: the
-- document number, or a chosen key for documents without one.
CREATE TABLE plans (
    id {{ID}},
    plan_key TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    search_text TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    issuer_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    issued_on TEXT NOT NULL DEFAULT '',
    signer TEXT NOT NULL DEFAULT '',
    span_from INTEGER NOT NULL,
    span_to INTEGER NOT NULL,
    status TEXT NOT NULL,
    parent_id BIGINT REFERENCES plans(id),
    note TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL
);
CREATE TABLE plan_legal_bases (
    plan_id BIGINT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    number TEXT NOT NULL,
    PRIMARY KEY (plan_id, position)
);

-- Targets (chỉ tiêu) with baseline, milestones by year (optionally by level)
-- and actual values.
CREATE TABLE targets (
    id {{ID}},
    plan_id BIGINT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    pillar TEXT NOT NULL,
    group_name TEXT NOT NULL DEFAULT '',
    statement TEXT NOT NULL,
    statement_later TEXT NOT NULL DEFAULT '',
    measure TEXT NOT NULL DEFAULT '',
    direction TEXT NOT NULL,
    baseline_value DOUBLE PRECISION,
    baseline_year INTEGER,
    responsible_unit_id BIGINT REFERENCES org_units(id),
    source TEXT NOT NULL DEFAULT 'manual',
    indicator_code TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0,
    UNIQUE (plan_id, code)
);
CREATE INDEX targets_responsible ON targets (responsible_unit_id);
-- kind: 'baseline' or 'milestone'; level '' is the whole, else province,
-- district or commune.
CREATE TABLE target_values (
    target_id BIGINT NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    level TEXT NOT NULL DEFAULT '',
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (target_id, kind, year, level)
);
CREATE TABLE target_actuals (
    id {{ID}},
    target_id BIGINT NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    measured_on TEXT NOT NULL,
    level TEXT NOT NULL DEFAULT '',
    value DOUBLE PRECISION NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    unit_id BIGINT REFERENCES org_units(id),
    created_by BIGINT REFERENCES users(id),
    created_at {{TS}} NOT NULL
);
CREATE INDEX target_actuals_target ON target_actuals (target_id, measured_on);

-- Tasks (nhiệm vụ). Status and progress are per assigned unit
-- (task_assignments); a task's overall status is derived, and overdue is
-- computed from due_on, never stored.
CREATE TABLE tasks (
    id {{ID}},
    plan_id BIGINT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    group_name TEXT NOT NULL DEFAULT '',
    pillar TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    lead_text TEXT NOT NULL DEFAULT '',
    coordinating_text TEXT NOT NULL DEFAULT '',
    time_text TEXT NOT NULL DEFAULT '',
    start_on TEXT NOT NULL DEFAULT '',
    due_on TEXT NOT NULL DEFAULT '',
    output TEXT NOT NULL DEFAULT '',
    budget_source TEXT NOT NULL DEFAULT '',
    budget DOUBLE PRECISION,
    status_override TEXT NOT NULL DEFAULT '',
    UNIQUE (plan_id, number)
);
CREATE INDEX tasks_due ON tasks (due_on);
CREATE TABLE task_assignments (
    id {{ID}},
    task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    role TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'not_started',
    progress INTEGER NOT NULL DEFAULT 0,
    updated_at {{TS}},
    completed_on TEXT NOT NULL DEFAULT '',
    UNIQUE (task_id, unit_id, role)
);
CREATE INDEX task_assignments_unit ON task_assignments (unit_id, role);
CREATE TABLE task_updates (
    id {{ID}},
    task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    assignment_id BIGINT REFERENCES task_assignments(id) ON DELETE CASCADE,
    unit_id BIGINT REFERENCES org_units(id),
    status TEXT NOT NULL,
    progress INTEGER NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    author TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL
);
CREATE INDEX task_updates_task ON task_updates (task_id, created_at);
CREATE INDEX task_updates_created ON task_updates (created_at);
CREATE TABLE task_attachments (
    id {{ID}},
    update_id BIGINT NOT NULL REFERENCES task_updates(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {{BLOB}} NOT NULL
);
CREATE INDEX task_attachments_update ON task_attachments (update_id);
