-- Fleetwatch schema, SQLite flavour. Never edit once applied: add a new numbered file instead.
-- Timestamps are unix epoch milliseconds (`*_ms`, 64-bit INTEGER), as in the PostgreSQL schema.
-- STRICT tables reject a value of the wrong type at write time instead of storing it.

-- One row per successful collection of one server.
CREATE TABLE samples (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    server_name      TEXT    NOT NULL,
    ts_ms            INTEGER NOT NULL,
    cpu_percent      REAL,
    cpu_load_1min    REAL,
    cpu_load_5min    REAL,
    cpu_load_15min   REAL,
    ram_percentage   REAL,
    swap_percentage  REAL,
    disk_percentage  REAL,
    logged_users     INTEGER,
    tcp_connections  INTEGER,
    uptime_seconds   INTEGER,
    cpu_cores        INTEGER,
    ram_total_bytes  INTEGER,
    ram_used_bytes   INTEGER,
    disk_total_bytes INTEGER,
    disk_used_bytes  INTEGER,
    disk_mount       TEXT,
    hostname         TEXT
) STRICT;

-- History of one server; cleanup by age.
CREATE INDEX samples_server_ts ON samples (server_name, ts_ms);
CREATE INDEX samples_ts ON samples (ts_ms);

-- Per-user usage within one sample. `server_name` and `ts_ms` repeat the sample's own.
CREATE TABLE sample_users (
    sample_id     INTEGER NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    server_name   TEXT    NOT NULL,
    ts_ms         INTEGER NOT NULL,
    username      TEXT    NOT NULL,
    cpu           REAL    NOT NULL,
    mem           REAL    NOT NULL,
    rss_bytes     INTEGER NOT NULL,
    process_count INTEGER NOT NULL,
    top_process   TEXT    NOT NULL,
    disk_bytes    REAL,
    PRIMARY KEY (sample_id, username)
) STRICT;

-- The collection state of each server ever attempted. `last_sample_id` makes "latest sample
-- per server" a join instead of a scan over all samples.
CREATE TABLE server_state (
    server_name     TEXT    NOT NULL PRIMARY KEY,
    ok              INTEGER NOT NULL CHECK (ok IN (0, 1)),
    last_attempt_ms INTEGER NOT NULL,
    last_success_ms INTEGER,
    reason          TEXT,
    detail          TEXT,
    duration_ms     INTEGER NOT NULL,
    last_sample_id  INTEGER REFERENCES samples (id) ON DELETE SET NULL
) STRICT;

-- Deleting a sample looks up the rows referencing it.
CREATE INDEX server_state_last_sample ON server_state (last_sample_id);

-- SSH host keys trusted on first use.
CREATE TABLE host_keys (
    server_name   TEXT    NOT NULL PRIMARY KEY,
    host          TEXT    NOT NULL,
    port          INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    fingerprint   TEXT    NOT NULL,
    first_seen_ms INTEGER NOT NULL
) STRICT;
