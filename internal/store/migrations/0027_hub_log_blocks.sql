-- The message log in blocks (issue 9, speed): the writer stores each
-- group it commits as one row, its records a JSON array of arrays, instead
-- of one row (and three B-tree entries) per record. A record's fields in
-- its array, by position:
--
--   0 seq, 1 kind, 2 at_us, 3 x_request_id, 4 query_id, 5 client,
--   6 service, 7 credential, 8 method, 9 path, 10 query, 11 user_id,
--   12 issue, 13 status, 14 request_size, 15 response_size,
--   16 request_sha256, 17 response_sha256, 18 request_hash, 19 fault,
--   20 duration_us, 21 hash
--
-- A record's prev_hash is the hash of the record before it in its block,
-- or the block's prev_hash for the first. first_at_us and last_at_us
-- bound the records' times, so that a record is found from its
-- X-Road-Request-Id (a version-7 UUID, whose first 48 bits are its Unix
-- milliseconds) by reading the few blocks of that moment.
--
-- hub_log stays as a view, one row per record as before, for the SQL an
-- operator or an auditor runs; its INSTEAD OF triggers carry an UPDATE or
-- DELETE of a record into its block (what `tinhso hub verify` must then
-- find), so nothing that read or altered hub_log by SQL changes.
CREATE TABLE hub_log_blocks (
    chain TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    first_at_us BIGINT NOT NULL,
    last_at_us BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    last_hash TEXT NOT NULL,
{{SQLITE}}    records TEXT NOT NULL,
{{POSTGRES}}    records JSON NOT NULL,
    PRIMARY KEY (chain, first_seq)
);
CREATE INDEX hub_log_blocks_at ON hub_log_blocks (first_at_us);
-- PostgreSQL compresses a block (tens of kilobytes) when it stores it:
-- with lz4 (PostgreSQL 14+, when built with it) the writer's cost an
-- exchange is about 22 µs instead of 29 with the default pglz (measured,
-- docs/perf.md); where lz4 is not there the default stays.
{{POSTGRES}}DO $$ BEGIN EXECUTE 'ALTER TABLE hub_log_blocks ALTER COLUMN records SET COMPRESSION lz4'; EXCEPTION WHEN OTHERS THEN NULL; END $$;

-- The records written so far, one block each.
{{SQLITE}}INSERT INTO hub_log_blocks SELECT chain, seq, seq, at_us, at_us, prev_hash, hash,
{{SQLITE}}    json_array(json_array(seq, kind, at_us, x_request_id, query_id, client, service, credential, method, path, query, user_id, issue,
{{SQLITE}}        status, request_size, response_size, request_sha256, response_sha256, request_hash, fault, duration_us, hash))
{{SQLITE}}    FROM hub_log;
{{POSTGRES}}INSERT INTO hub_log_blocks SELECT chain, seq, seq, at_us, at_us, prev_hash, hash,
{{POSTGRES}}    json_build_array(json_build_array(seq, kind, at_us, x_request_id, query_id, client, service, credential, method, path, query, user_id, issue,
{{POSTGRES}}        status, request_size, response_size, request_sha256, response_sha256, request_hash, fault, duration_us, hash))
{{POSTGRES}}    FROM hub_log;
DROP TABLE hub_log;

{{SQLITE}}CREATE VIEW hub_log AS SELECT b.chain AS chain, r.value ->> 0 AS seq, r.value ->> 1 AS kind, r.value ->> 2 AS at_us,
{{SQLITE}}    r.value ->> 3 AS x_request_id, r.value ->> 4 AS query_id, r.value ->> 5 AS client, r.value ->> 6 AS service,
{{SQLITE}}    r.value ->> 7 AS credential, r.value ->> 8 AS method, r.value ->> 9 AS path, r.value ->> 10 AS query,
{{SQLITE}}    r.value ->> 11 AS user_id, r.value ->> 12 AS issue, r.value ->> 13 AS status, r.value ->> 14 AS request_size,
{{SQLITE}}    r.value ->> 15 AS response_size, r.value ->> 16 AS request_sha256, r.value ->> 17 AS response_sha256,
{{SQLITE}}    r.value ->> 18 AS request_hash, r.value ->> 19 AS fault, r.value ->> 20 AS duration_us, r.value ->> 21 AS hash
{{SQLITE}}    FROM hub_log_blocks b, json_each(b.records) r;
{{SQLITE}}CREATE TRIGGER hub_log_update INSTEAD OF UPDATE ON hub_log BEGIN
{{SQLITE}}    UPDATE hub_log_blocks SET records = json_replace(records,
{{SQLITE}}        '$[' || (SELECT r.key FROM json_each(hub_log_blocks.records) r WHERE r.value ->> 0 = OLD.seq) || ']',
{{SQLITE}}        json_array(NEW.seq, NEW.kind, NEW.at_us, NEW.x_request_id, NEW.query_id, NEW.client, NEW.service, NEW.credential, NEW.method,
{{SQLITE}}            NEW.path, NEW.query, NEW.user_id, NEW.issue, NEW.status, NEW.request_size, NEW.response_size, NEW.request_sha256,
{{SQLITE}}            NEW.response_sha256, NEW.request_hash, NEW.fault, NEW.duration_us, NEW.hash))
{{SQLITE}}    WHERE chain = OLD.chain AND OLD.seq BETWEEN first_seq AND last_seq;
{{SQLITE}}END;
{{SQLITE}}CREATE TRIGGER hub_log_delete INSTEAD OF DELETE ON hub_log BEGIN
{{SQLITE}}    UPDATE hub_log_blocks SET records = json_remove(records,
{{SQLITE}}        '$[' || (SELECT r.key FROM json_each(hub_log_blocks.records) r WHERE r.value ->> 0 = OLD.seq) || ']')
{{SQLITE}}    WHERE chain = OLD.chain AND OLD.seq BETWEEN first_seq AND last_seq;
{{SQLITE}}END;

{{POSTGRES}}CREATE VIEW hub_log AS SELECT b.chain, (r.v ->> 0)::BIGINT AS seq, r.v ->> 1 AS kind, (r.v ->> 2)::BIGINT AS at_us,
{{POSTGRES}}    r.v ->> 3 AS x_request_id, r.v ->> 4 AS query_id, r.v ->> 5 AS client, r.v ->> 6 AS service,
{{POSTGRES}}    r.v ->> 7 AS credential, r.v ->> 8 AS method, r.v ->> 9 AS path, r.v ->> 10 AS query,
{{POSTGRES}}    r.v ->> 11 AS user_id, r.v ->> 12 AS issue, (r.v ->> 13)::INTEGER AS status, (r.v ->> 14)::BIGINT AS request_size,
{{POSTGRES}}    (r.v ->> 15)::BIGINT AS response_size, r.v ->> 16 AS request_sha256, r.v ->> 17 AS response_sha256,
{{POSTGRES}}    r.v ->> 18 AS request_hash, r.v ->> 19 AS fault, (r.v ->> 20)::BIGINT AS duration_us, r.v ->> 21 AS hash
{{POSTGRES}}    FROM hub_log_blocks b, json_array_elements(b.records) AS r(v);
{{POSTGRES}}CREATE FUNCTION hub_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
{{POSTGRES}}DECLARE
{{POSTGRES}}    i INTEGER;
{{POSTGRES}}    recs JSONB;
{{POSTGRES}}BEGIN
{{POSTGRES}}    SELECT records::JSONB INTO recs FROM hub_log_blocks WHERE chain = OLD.chain AND OLD.seq BETWEEN first_seq AND last_seq FOR UPDATE;
{{POSTGRES}}    SELECT r.n - 1 INTO i FROM jsonb_array_elements(recs) WITH ORDINALITY AS r(v, n) WHERE (r.v ->> 0)::BIGINT = OLD.seq;
{{POSTGRES}}    IF i IS NULL THEN
{{POSTGRES}}        RETURN NULL;
{{POSTGRES}}    END IF;
{{POSTGRES}}    IF TG_OP = 'DELETE' THEN
{{POSTGRES}}        recs := recs - i;
{{POSTGRES}}    ELSE
{{POSTGRES}}        recs := jsonb_set(recs, ARRAY[i::TEXT], jsonb_build_array(NEW.seq, NEW.kind, NEW.at_us, NEW.x_request_id, NEW.query_id, NEW.client,
{{POSTGRES}}            NEW.service, NEW.credential, NEW.method, NEW.path, NEW.query, NEW.user_id, NEW.issue, NEW.status, NEW.request_size,
{{POSTGRES}}            NEW.response_size, NEW.request_sha256, NEW.response_sha256, NEW.request_hash, NEW.fault, NEW.duration_us, NEW.hash));
{{POSTGRES}}    END IF;
{{POSTGRES}}    UPDATE hub_log_blocks SET records = recs::JSON WHERE chain = OLD.chain AND OLD.seq BETWEEN first_seq AND last_seq;
{{POSTGRES}}    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
{{POSTGRES}}END $$;
{{POSTGRES}}CREATE TRIGGER hub_log_update INSTEAD OF UPDATE OR DELETE ON hub_log FOR EACH ROW EXECUTE FUNCTION hub_log_change();
