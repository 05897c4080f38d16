-- Alerting, continued (issue #12).

-- Why an alert was acknowledged, on the alert and on the history row the acknowledgement adds
-- (kind 'acknowledged', with who and why).
ALTER TABLE alerts ADD COLUMN acked_comment TEXT;
ALTER TABLE alert_history ADD COLUMN acked_by TEXT;
ALTER TABLE alert_history ADD COLUMN acked_comment TEXT;

-- The host key a server offered when it no longer matched the one recorded on first use (the
-- collector writes it), and who accepted it. Accepting replaces the recorded fingerprint in
-- host_keys; the host-key-changed alert resolves at the next successful collection after it.
CREATE TABLE host_key_offers (
    server_name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    expected    TEXT NOT NULL,
    seen_ms     BIGINT NOT NULL,
    accepted_ms BIGINT,
    accepted_by TEXT
);

-- Notifications sent and failed per channel since the start, for /metrics.
ALTER TABLE alert_channels ADD COLUMN sent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alert_channels ADD COLUMN failed BIGINT NOT NULL DEFAULT 0;

-- Each collector process's own figures, upserted once per cycle, for /metrics (the API may run
-- in another process): the last cycle, and the cycle durations since the process started as a
-- histogram (buckets: JSON [[upper bound in seconds, cumulative count], …]).
CREATE TABLE collector_stats (
    member_id      TEXT PRIMARY KEY,
    at_ms          BIGINT NOT NULL,
    last_cycle_ms  BIGINT NOT NULL,
    servers_ok     BIGINT NOT NULL,
    servers_failed BIGINT NOT NULL,
    cycles         BIGINT NOT NULL,
    cycle_secs_sum DOUBLE PRECISION NOT NULL,
    buckets        TEXT NOT NULL
);
