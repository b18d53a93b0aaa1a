-- Federation of the data exchange hub (issue 9 part 7): another hub (the
-- national platform, a neighbouring province) trusted as a peer, as X-Road
-- instances trust each other's central servers. A call for a service of
-- the peer's instance goes from this hub's gateway to the peer's gateway
-- (address, https) over mutual TLS: this hub presents its own client
-- certificate and trusts the peer's server certificate only when it chains
-- to ca_pem; the peer's hub is accepted as a caller when its client
-- certificate (urn:xroad:INSTANCE) chains to ca_pem too. A disabled peer
-- is neither called nor accepted.
CREATE TABLE hub_peers (
    id {{ID}},
    instance TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    ca_pem TEXT NOT NULL,
    timeout_ms INTEGER NOT NULL DEFAULT 30000,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_by BIGINT REFERENCES users(id),
    created_at {{TS}} NOT NULL,
    updated_at {{TS}} NOT NULL
);
