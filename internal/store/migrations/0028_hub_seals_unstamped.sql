-- The seals still waiting for a time-stamp token, found without reading
-- every seal: the time-stamping round takes them oldest first, and each
-- node's writer asks for the oldest one after every seal (X-Road's
-- acceptable-timestamp-failure-period, --hub-timestamp-failure-period).
CREATE INDEX hub_log_seals_unstamped ON hub_log_seals (sealed_at_us) WHERE timestamp_token = '';
