-- The hub's message log, issue 9 part 5's leftovers.
--
-- A seal may carry an RFC 3161 time-stamp token (base64 DER) over its own
-- hash, from the time-stamping authority configured (--hub-tsa-url); empty
-- when none is configured, or until the authority answers (the sealer
-- tries again later).
ALTER TABLE hub_log_seals ADD COLUMN timestamp_token TEXT NOT NULL DEFAULT '';
CREATE INDEX hub_log_seals_at ON hub_log_seals (sealed_at_us);

-- Archives: sealed batches older than the retention (--hub-archive-days)
-- written into a file (internal/hub/archive.go describes its format) and
-- deleted from hub_log and hub_log_seals in one transaction with the row
-- here. A chain's latest row is its anchor: verification starts after
-- last_seq with prev_hash last_hash, and the seal last_seal stays in
-- hub_log_seals so that its signature still checks and the next seal
-- follows it.
CREATE TABLE hub_log_archives (
    id {{ID}},
    chain TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    first_seal BIGINT NOT NULL,
    last_seal BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    last_hash TEXT NOT NULL,
    last_seal_hash TEXT NOT NULL,
    first_at_us BIGINT NOT NULL,
    last_at_us BIGINT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    archived_at_us BIGINT NOT NULL,
    UNIQUE (chain, last_seal)
);
