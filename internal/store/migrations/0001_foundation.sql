-- Org units: identity (code, lifetime) here; name, kind, parent and order
-- change over time and live in org_unit_versions, so any view can be asked
-- "as of date D". Dates are ISO 'YYYY-MM-DD' text on both engines.
CREATE TABLE org_units (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    created_at {{TS}} NOT NULL
);

CREATE TABLE org_unit_versions (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES org_units(id),
    sort_order INTEGER NOT NULL DEFAULT 0,
    valid_from TEXT NOT NULL,
    valid_to TEXT
);
CREATE INDEX org_unit_versions_unit ON org_unit_versions (unit_id, valid_from);
CREATE INDEX org_unit_versions_parent ON org_unit_versions (parent_id, valid_from);

-- Reorganisations (sắp xếp đơn vị hành chính): merge, split, rename, move,
-- dissolve, create; units take part as 'from' (predecessor), 'to'
-- (successor) or 'subject' (renamed or moved).
CREATE TABLE org_events (
    id {{ID}},
    kind TEXT NOT NULL,
    event_date TEXT NOT NULL,
    basis TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at {{TS}} NOT NULL
);
CREATE TABLE org_event_units (
    event_id BIGINT NOT NULL REFERENCES org_events(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    role TEXT NOT NULL,
    PRIMARY KEY (event_id, unit_id, role)
);
CREATE INDEX org_event_units_unit ON org_event_units (unit_id);

CREATE TABLE users (
    id {{ID}},
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    password_hash TEXT NOT NULL DEFAULT '',
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    locale TEXT NOT NULL DEFAULT 'vi',
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL
);
CREATE INDEX users_unit ON users (unit_id);

-- A role applies to scope_unit_id and its subtree.
CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    scope_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (user_id, role, scope_unit_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL,
    expires_at {{TS}} NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at {{TS}} NOT NULL,
    expires_at {{TS}},
    last_used_at {{TS}},
    revoked_at {{TS}}
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Security events. Login throttling counts recent failures here, so it holds
-- across several tinhso nodes.
CREATE TABLE audit_events (
    id {{ID}},
    at {{TS}} NOT NULL,
    kind TEXT NOT NULL,
    success BOOLEAN NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_subject ON audit_events (kind, subject, at);
CREATE INDEX audit_events_ip ON audit_events (kind, ip, at);
