-- Compact samples (issue #11). Never edit once applied: add a new numbered file instead.
--
-- A sample is stored as: its server's integer id; the facts that rarely change (system, mounts
-- and devices, interfaces, listening ports, containers, sessions, CPU model, section errors),
-- once per change (`sample_facts`, compared by hash); and what changes every cycle (figures,
-- users, top processes), first as one hot row per sample (`sample_frames`), then, once a
-- server's window closes, packed with its window into one row of `sample_blocks`. The format of
-- the bodies and blobs is in store/src/compact/. Rows of the older tables (`samples`,
-- `sample_users`, `sample_details`, `sample_processes`, `sample_series`) are converted by
-- `Store::migrate` on first start and deleted; the tables stay, empty.

CREATE TABLE servers (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
);

CREATE TABLE sample_facts (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id BIGINT NOT NULL REFERENCES servers (id),
    hash      BIGINT NOT NULL,
    since_ms  BIGINT NOT NULL,
    body      BYTEA   NOT NULL
);

CREATE INDEX sample_facts_server_hash ON sample_facts (server_id, hash);

CREATE TABLE sample_frames (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id   BIGINT NOT NULL REFERENCES servers (id),
    ts_ms       BIGINT NOT NULL,
    facts_id    BIGINT NOT NULL REFERENCES sample_facts (id),
    has_details BOOLEAN NOT NULL,
    user_rows   BIGINT NOT NULL,
    body        BYTEA   NOT NULL
);

CREATE INDEX sample_frames_server_ts ON sample_frames (server_id, ts_ms);
CREATE INDEX sample_frames_facts ON sample_frames (facts_id);

-- `facts_lo`..`facts_hi`: the facts ids the block's frames use (kept while any block needs them).
CREATE TABLE sample_blocks (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id      BIGINT NOT NULL REFERENCES servers (id),
    first_ms       BIGINT NOT NULL,
    last_ms        BIGINT NOT NULL,
    frames         BIGINT NOT NULL,
    user_rows      BIGINT NOT NULL,
    users_first_ms BIGINT,
    users_last_ms  BIGINT,
    facts_lo       BIGINT NOT NULL,
    facts_hi       BIGINT NOT NULL,
    figures        BYTEA   NOT NULL,
    lists          BYTEA   NOT NULL
);

CREATE INDEX sample_blocks_server_time ON sample_blocks (server_id, first_ms);

-- Blocks and facts are compressed already: no second try by TOAST.
ALTER TABLE sample_blocks ALTER COLUMN figures SET STORAGE EXTERNAL;
ALTER TABLE sample_blocks ALTER COLUMN lists SET STORAGE EXTERNAL;
ALTER TABLE sample_facts ALTER COLUMN body SET STORAGE EXTERNAL;

-- The latest sample's headline lives with the server's state: the fleet's latest is one scan
-- of a small table.
ALTER TABLE server_state ADD COLUMN last_frame_id BIGINT;
ALTER TABLE server_state ADD COLUMN ts_ms BIGINT;
ALTER TABLE server_state ADD COLUMN cpu_percent DOUBLE PRECISION;
ALTER TABLE server_state ADD COLUMN cpu_load_1min DOUBLE PRECISION;
ALTER TABLE server_state ADD COLUMN cpu_load_5min DOUBLE PRECISION;
ALTER TABLE server_state ADD COLUMN cpu_load_15min DOUBLE PRECISION;
ALTER TABLE server_state ADD COLUMN ram_percentage DOUBLE PRECISION;
ALTER TABLE server_state ADD COLUMN swap_percentage DOUBLE PRECISION;
ALTER TABLE server_state ADD COLUMN disk_percentage DOUBLE PRECISION;
ALTER TABLE server_state ADD COLUMN logged_users BIGINT;
ALTER TABLE server_state ADD COLUMN tcp_connections BIGINT;
ALTER TABLE server_state ADD COLUMN uptime_seconds BIGINT;
ALTER TABLE server_state ADD COLUMN cpu_cores BIGINT;
ALTER TABLE server_state ADD COLUMN ram_total_bytes BIGINT;
ALTER TABLE server_state ADD COLUMN ram_used_bytes BIGINT;
ALTER TABLE server_state ADD COLUMN disk_total_bytes BIGINT;
ALTER TABLE server_state ADD COLUMN disk_used_bytes BIGINT;
ALTER TABLE server_state ADD COLUMN disk_mount TEXT;
ALTER TABLE server_state ADD COLUMN hostname TEXT;

UPDATE server_state SET ts_ms = s.ts_ms, cpu_percent = s.cpu_percent, cpu_load_1min = s.cpu_load_1min,
    cpu_load_5min = s.cpu_load_5min, cpu_load_15min = s.cpu_load_15min, ram_percentage = s.ram_percentage,
    swap_percentage = s.swap_percentage, disk_percentage = s.disk_percentage, logged_users = s.logged_users,
    tcp_connections = s.tcp_connections, uptime_seconds = s.uptime_seconds, cpu_cores = s.cpu_cores,
    ram_total_bytes = s.ram_total_bytes, ram_used_bytes = s.ram_used_bytes,
    disk_total_bytes = s.disk_total_bytes, disk_used_bytes = s.disk_used_bytes, disk_mount = s.disk_mount,
    hostname = s.hostname
FROM samples AS s WHERE s.id = server_state.last_sample_id;
