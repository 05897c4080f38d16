-- Fleetwatch schema, PostgreSQL flavour. Never edit once applied: add a new numbered file instead.
-- Timestamps are unix epoch milliseconds (`*_ms`, BIGINT), as in the SQLite schema.

-- One row per successful collection of one server.
CREATE TABLE samples (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_name      TEXT   NOT NULL,
    ts_ms            BIGINT NOT NULL,
    cpu_percent      DOUBLE PRECISION,
    cpu_load_1min    DOUBLE PRECISION,
    cpu_load_5min    DOUBLE PRECISION,
    cpu_load_15min   DOUBLE PRECISION,
    ram_percentage   DOUBLE PRECISION,
    swap_percentage  DOUBLE PRECISION,
    disk_percentage  DOUBLE PRECISION,
    logged_users     BIGINT,
    tcp_connections  BIGINT,
    uptime_seconds   BIGINT,
    cpu_cores        BIGINT,
    ram_total_bytes  BIGINT,
    ram_used_bytes   BIGINT,
    disk_total_bytes BIGINT,
    disk_used_bytes  BIGINT,
    disk_mount       TEXT,
    hostname         TEXT
);

-- History of one server; cleanup by age.
CREATE INDEX samples_server_ts ON samples (server_name, ts_ms);
CREATE INDEX samples_ts ON samples (ts_ms);

-- Per-user usage within one sample. `server_name` and `ts_ms` repeat the sample's own.
CREATE TABLE sample_users (
    sample_id     BIGINT           NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    server_name   TEXT             NOT NULL,
    ts_ms         BIGINT           NOT NULL,
    username      TEXT             NOT NULL,
    cpu           DOUBLE PRECISION NOT NULL,
    mem           DOUBLE PRECISION NOT NULL,
    rss_bytes     BIGINT           NOT NULL,
    process_count BIGINT           NOT NULL,
    top_process   TEXT             NOT NULL,
    disk_bytes    DOUBLE PRECISION,
    PRIMARY KEY (sample_id, username)
);

-- The collection state of each server ever attempted. `last_sample_id` makes "latest sample
-- per server" a join instead of a scan over all samples.
CREATE TABLE server_state (
    server_name     TEXT    PRIMARY KEY,
    ok              BOOLEAN NOT NULL,
    last_attempt_ms BIGINT  NOT NULL,
    last_success_ms BIGINT,
    reason          TEXT,
    detail          TEXT,
    duration_ms     BIGINT  NOT NULL,
    last_sample_id  BIGINT  REFERENCES samples (id) ON DELETE SET NULL
);

-- Deleting a sample looks up the rows referencing it.
CREATE INDEX server_state_last_sample ON server_state (last_sample_id);

-- SSH host keys trusted on first use.
CREATE TABLE host_keys (
    server_name   TEXT    PRIMARY KEY,
    host          TEXT    NOT NULL,
    port          INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    fingerprint   TEXT    NOT NULL,
    first_seen_ms BIGINT  NOT NULL
);
