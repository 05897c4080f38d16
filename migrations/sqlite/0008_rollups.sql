-- Rollup tiers (issue #11). Never edit once applied: add a new numbered file instead.
--
-- Every figure of a server's samples summarised per 5 minutes, hour and day (count, average,
-- minimum, maximum, last), in chunks of 288 buckets per server and tier: `tier_ms` is the
-- bucket width, `first_ms` the chunk's start, `start_ms` and `last_ms` its first and last
-- bucket. The body's format is in store/src/compact/rollup.rs. `rollup_progress` says up to
-- when each server's tier is complete: what comes later is summarised from the finer data
-- when read.

CREATE TABLE sample_rollups (
    id        INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers (id),
    tier_ms   INTEGER NOT NULL,
    first_ms  INTEGER NOT NULL,
    start_ms  INTEGER NOT NULL,
    last_ms   INTEGER NOT NULL,
    buckets   INTEGER NOT NULL,
    body      BLOB    NOT NULL,
    UNIQUE (server_id, tier_ms, first_ms)
) STRICT;

CREATE INDEX sample_rollups_tier_last ON sample_rollups (tier_ms, last_ms);

CREATE TABLE rollup_progress (
    server_id INTEGER NOT NULL REFERENCES servers (id),
    tier_ms   INTEGER NOT NULL,
    done_ms   INTEGER NOT NULL,
    PRIMARY KEY (server_id, tier_ms)
) STRICT;
