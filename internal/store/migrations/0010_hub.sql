-- The data exchange hub (LGSP, issue 9), X-Road compatible: the registry
-- of members, subsystems, services and endpoints, access rights and the
-- requests for them, client credentials, the hub's keys, and the message
-- log with its seals.

-- A member is an agency or a company taking part in the exchange, in X-Road
-- form INSTANCE/CLASS/CODE. Every member hangs on an org unit: the officials
-- whose roles cover that unit manage it (an external member, such as a
-- company, hangs on the unit that runs the hub for it).
CREATE TABLE hub_members (
    id {{ID}},
    instance TEXT NOT NULL,
    member_class TEXT NOT NULL,
    member_code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    created_by BIGINT REFERENCES users(id),
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL,
    UNIQUE (instance, member_class, member_code)
);

-- A subsystem is one information system of a member: it consumes services
-- (with its credentials) and provides them. rate_per_second and burst bound
-- its calls through the gateway (0: the hub's default).
CREATE TABLE hub_subsystems (
    id {{ID}},
    member_id BIGINT NOT NULL REFERENCES hub_members(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    rate_per_second INTEGER NOT NULL DEFAULT 0,
    burst INTEGER NOT NULL DEFAULT 0,
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL,
    UNIQUE (member_id, code)
);

-- A REST service of a subsystem and the backend that answers it. The
-- OpenAPI 3 description, when there is one, is kept as uploaded or
-- fetched (openapi_url) and served back by getOpenAPI.
CREATE TABLE hub_services (
    id {{ID}},
    subsystem_id BIGINT NOT NULL REFERENCES hub_subsystems(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    backend_url TEXT NOT NULL,
    timeout_ms INTEGER NOT NULL DEFAULT 30000,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    openapi TEXT,
    openapi_url TEXT NOT NULL DEFAULT '',
    openapi_format TEXT NOT NULL DEFAULT '',
    openapi_version TEXT NOT NULL DEFAULT '',
    openapi_sha256 TEXT NOT NULL DEFAULT '',
    openapi_at {{TS}},
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL,
    UNIQUE (subsystem_id, code)
);

-- An endpoint of a service: a method (or * for any) and a path template
-- (/pet/{id}; * matches within a segment, ** across segments). A disabled
-- endpoint refuses its calls; rights may be granted per endpoint.
CREATE TABLE hub_endpoints (
    id {{ID}},
    service_id BIGINT NOT NULL REFERENCES hub_services(id),
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    from_openapi BOOLEAN NOT NULL DEFAULT FALSE,
    created_at {{TS}} NOT NULL,
    UNIQUE (service_id, method, path)
);

-- An access right: the providing member lets a consumer subsystem call a
-- service, or one endpoint of it (endpoint_id 0: the whole service).
CREATE TABLE hub_rights (
    id {{ID}},
    service_id BIGINT NOT NULL REFERENCES hub_services(id),
    endpoint_id BIGINT NOT NULL DEFAULT 0,
    consumer_id BIGINT NOT NULL REFERENCES hub_subsystems(id),
    request_id BIGINT,
    granted_by BIGINT REFERENCES users(id),
    granted_at {{TS}} NOT NULL,
    UNIQUE (service_id, endpoint_id, consumer_id)
);
CREATE INDEX hub_rights_consumer ON hub_rights (consumer_id);

-- A consumer's request for access, which the provider's official approves
-- (granting the right) or refuses: pending, approved, refused, withdrawn.
CREATE TABLE hub_access_requests (
    id {{ID}},
    service_id BIGINT NOT NULL REFERENCES hub_services(id),
    endpoint_id BIGINT NOT NULL DEFAULT 0,
    consumer_id BIGINT NOT NULL REFERENCES hub_subsystems(id),
    reason TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    requested_by BIGINT REFERENCES users(id),
    requested_at {{TS}} NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at {{TS}},
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hub_access_requests_state ON hub_access_requests (state, service_id);

-- A credential of a subsystem: an OAuth2 client secret (client_id and the
-- SHA-256 of the secret, which is shown once) or a TLS client certificate
-- issued by the hub's CA (its SHA-256 fingerprint, serial and PEM). A
-- revoked credential stops at revoked_at (which a rotation may set a little
-- ahead, so that the old and the new overlap).
CREATE TABLE hub_credentials (
    id {{ID}},
    subsystem_id BIGINT NOT NULL REFERENCES hub_subsystems(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    client_id TEXT UNIQUE,
    secret_hash TEXT,
    cert_serial TEXT,
    cert_sha256 TEXT UNIQUE,
    cert_pem TEXT,
    not_after {{TS}},
    replaces BIGINT,
    created_by BIGINT REFERENCES users(id),
    created_at {{TS}} NOT NULL,
    revoked_at {{TS}},
    revoked_by BIGINT REFERENCES users(id)
);
CREATE INDEX hub_credentials_subsystem ON hub_credentials (subsystem_id);

-- The hub's own keys: purpose token (signs access tokens), seal (signs the
-- message log's seals) or ca (the certificate authority that issues client
-- certificates). The newest key of a purpose signs; retired keys still
-- verify what they signed.
CREATE TABLE hub_keys (
    id {{ID}},
    purpose TEXT NOT NULL,
    kid TEXT NOT NULL UNIQUE,
    algorithm TEXT NOT NULL,
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL,
    certificate TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL,
    retired_at {{TS}}
);

-- The message log: two records per exchange (the request, durable before
-- the backend sees it, and the response), each chained to the one before
-- in its chain (one per node) by hash = SHA-256(prev_hash ‖ record).
-- Times are Unix microseconds, so that the record reads back byte for byte.
CREATE TABLE hub_log (
    chain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    x_request_id TEXT NOT NULL,
    query_id TEXT NOT NULL,
    client TEXT NOT NULL,
    service TEXT NOT NULL,
    credential TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    user_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    status INTEGER NOT NULL,
    request_size BIGINT NOT NULL,
    response_size BIGINT NOT NULL,
    request_sha256 TEXT NOT NULL,
    response_sha256 TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    fault TEXT NOT NULL,
    duration_us BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX hub_log_request ON hub_log (x_request_id);
CREATE INDEX hub_log_at ON hub_log (at_us);

-- A seal signs the head of a chain (its last record's hash) with the hub's
-- seal key; each seal also carries the hash of the seal before it, so a
-- deleted or reordered seal breaks the seals' own chain.
CREATE TABLE hub_log_seals (
    chain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    prev_seal TEXT NOT NULL,
    sealed_at_us BIGINT NOT NULL,
    kid TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);

-- The registry's version: every administrative change bumps it, and each
-- node's gateway rebuilds its in-memory snapshot when it moves.
CREATE TABLE hub_state (
    id INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO hub_state (id, version) VALUES (1, 0);
