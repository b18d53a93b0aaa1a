-- Single sign-on for citizens and businesses (internal/sso, broker.go):
-- accounts brokered from an upstream OpenID Connect provider (the national
-- portal's SSO, VNeID), apart from officials' (no password, no roles).

-- A citizen account, made at the first brokered login and linked by the
-- personal identification number (SoDinhDanh) the upstream asserts.
CREATE TABLE sso_citizens (
    id {{ID}},
    pin TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    upstream_sub TEXT NOT NULL DEFAULT '',
    loa INTEGER NOT NULL DEFAULT 1,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at {{TS}} NOT NULL,
    last_login_at {{TS}} NOT NULL
);

-- A citizen's single sign-on session (cookie tinhso_citizen): its key's
-- digest, the level of assurance the upstream gave this login, and when.
-- Grants made under it (sso_grants.session_hash) end with it.
CREATE TABLE sso_citizen_sessions (
    token_hash TEXT PRIMARY KEY,
    citizen_id BIGINT NOT NULL REFERENCES sso_citizens(id),
    loa INTEGER NOT NULL,
    created_at {{TS}} NOT NULL,
    expires_at {{TS}} NOT NULL
);
CREATE INDEX sso_citizen_sessions_citizen ON sso_citizen_sessions (citizen_id);

-- A brokered login under way: the state sent upstream (its digest), with
-- the nonce, the PKCE verifier and the authorisation request to return to.
-- Each row is used once.
CREATE TABLE sso_broker_logins (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    loa INTEGER NOT NULL DEFAULT 1,
    created_at {{TS}} NOT NULL
);

-- What a citizen let each application receive.
CREATE TABLE sso_citizen_consents (
    citizen_id BIGINT NOT NULL REFERENCES sso_citizens(id),
    client_id TEXT NOT NULL REFERENCES sso_clients(id),
    scopes TEXT NOT NULL,
    granted_at {{TS}} NOT NULL,
    PRIMARY KEY (citizen_id, client_id)
);
