-- Single sign-on: tinhso as an OpenID Connect provider (internal/sso).

-- Applications registered by administrators. Lists are JSON arrays of
-- strings; redirect and logout URIs match exactly, character for character.
CREATE TABLE sso_clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    secret_hash TEXT NOT NULL DEFAULT '',
    public BOOLEAN NOT NULL DEFAULT FALSE,
    auth_method TEXT NOT NULL DEFAULT 'client_secret_basic',
    trusted BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    logout_uris TEXT NOT NULL DEFAULT '[]',
    grant_types TEXT NOT NULL DEFAULT '[]',
    scopes TEXT NOT NULL DEFAULT '[]',
    access_ttl INTEGER NOT NULL DEFAULT 0,
    refresh_ttl INTEGER NOT NULL DEFAULT 0,
    id_token_ttl INTEGER NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL
);

-- Every grant fosite stores: authorisation codes, access and refresh tokens,
-- PKCE challenges and OpenID requests, by kind and the token's signature
-- (never the token itself). request_id ties together what one grant issued,
-- so a replayed code or refresh token revokes all of it. session_hash is
-- the tinhso session (sessions.token_hash) the official signed in with, and
-- sid its digest as the sid claim carries it: a grant lives only as long as
-- that session, so logging out, a password reset or a disabled account ends
-- every application's tokens too.
CREATE TABLE sso_grants (
    kind TEXT NOT NULL,
    signature TEXT NOT NULL,
    request_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    user_id BIGINT,
    sid TEXT NOT NULL DEFAULT '',
    session_hash TEXT NOT NULL DEFAULT '',
    requested_at {{TS}} NOT NULL,
    expires_at {{TS}},
    scopes TEXT NOT NULL DEFAULT '',
    granted_scopes TEXT NOT NULL DEFAULT '',
    audience TEXT NOT NULL DEFAULT '',
    granted_audience TEXT NOT NULL DEFAULT '',
    form TEXT NOT NULL DEFAULT '',
    session TEXT NOT NULL DEFAULT '{}',
    access_signature TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX sso_grants_request ON sso_grants (request_id);
CREATE INDEX sso_grants_user ON sso_grants (user_id, kind);
CREATE INDEX sso_grants_sid ON sso_grants (sid);
CREATE INDEX sso_grants_expiry ON sso_grants (expires_at);

-- Signing keys. private_key is sealed with the operator's --sso-secret
-- (AES-256-GCM) when one is set. A key signs from activated_at until it is
-- retired; it stays published until publish_until, when every token it
-- signed has expired.
CREATE TABLE sso_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_key {{BLOB}} NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at {{TS}} NOT NULL,
    retired_at {{TS}},
    publish_until {{TS}}
);

-- The provider's HMAC secret for opaque tokens, sealed as the keys are.
CREATE TABLE sso_secrets (
    name TEXT PRIMARY KEY,
    value {{BLOB}} NOT NULL,
    created_at {{TS}} NOT NULL
);

-- What an official let a client receive, remembered after the first use.
CREATE TABLE sso_consents (
    user_id BIGINT NOT NULL REFERENCES users(id),
    client_id TEXT NOT NULL REFERENCES sso_clients(id),
    scopes TEXT NOT NULL,
    granted_at {{TS}} NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- Client assertion identifiers already seen (replay protection).
CREATE TABLE sso_jtis (
    jti TEXT PRIMARY KEY,
    expires_at {{TS}} NOT NULL
);

-- The second factor of officials (internal/auth): a TOTP secret (RFC 6238)
-- once confirmed, and the last time step used, so that a code works once.
CREATE TABLE auth_totp (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    secret TEXT NOT NULL,
    last_step BIGINT NOT NULL DEFAULT 0,
    confirmed_at {{TS}} NOT NULL
);

-- Recovery codes, each usable once, kept as SHA-256 digests.
CREATE TABLE auth_recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at {{TS}},
    PRIMARY KEY (user_id, code_hash)
);

-- A password checked, the second factor (or its enrolment) awaited: the
-- browser holds the secret of the row in a cookie for a few minutes.
CREATE TABLE auth_pending (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    next TEXT NOT NULL DEFAULT '/',
    replaces TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL,
    expires_at {{TS}} NOT NULL
);

-- How a session signed in ("pwd", "pwd otp"): the amr of the ID tokens
-- issued under it.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
