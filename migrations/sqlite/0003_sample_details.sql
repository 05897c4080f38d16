-- Everything a cycle collects beyond the headline sample (issue: metrics depth).

-- The whole snapshot (fleetwatch_common::Details as JSON), for the per-section endpoints and for
-- "what did this server look like at 03:12".
CREATE TABLE sample_details (
    sample_id    INTEGER NOT NULL PRIMARY KEY REFERENCES samples (id) ON DELETE CASCADE,
    server_name  TEXT    NOT NULL,
    ts_ms        INTEGER NOT NULL,
    details_json TEXT    NOT NULL
) STRICT;

CREATE INDEX sample_details_server_ts ON sample_details (server_name, ts_ms);

-- Top processes of every cycle, typed, so they can be queried across servers and time.
CREATE TABLE sample_processes (
    sample_id   INTEGER NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    server_name TEXT    NOT NULL,
    ts_ms       INTEGER NOT NULL,
    ranking     TEXT    NOT NULL CHECK (ranking IN ('cpu', 'memory')),
    rank        INTEGER NOT NULL,
    pid         INTEGER NOT NULL,
    username    TEXT    NOT NULL,
    command     TEXT    NOT NULL,
    cpu_percent REAL NOT NULL,
    rss_bytes   INTEGER NOT NULL,
    mem_percent REAL NOT NULL,
    threads     INTEGER NOT NULL,
    open_fds    INTEGER,
    PRIMARY KEY (sample_id, ranking, rank)
) STRICT;

CREATE INDEX sample_processes_server_ts ON sample_processes (server_name, ts_ms);

-- Every numeric series of a cycle in long form (name, value): per-core CPU, per-mount usage,
-- per-device I/O, per-interface traffic, TCP states, … Names are made by Details::series().
CREATE TABLE sample_series (
    sample_id   INTEGER NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    server_name TEXT    NOT NULL,
    ts_ms       INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    value       REAL NOT NULL,
    PRIMARY KEY (sample_id, name)
) STRICT;

CREATE INDEX sample_series_lookup ON sample_series (server_name, name, ts_ms);
