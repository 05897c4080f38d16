-- Everything a cycle collects beyond the headline sample (issue: metrics depth).

-- The whole snapshot (fleetwatch_common::Details as JSON), for the per-section endpoints and for
-- "what did this server look like at 03:12".
CREATE TABLE sample_details (
    sample_id    BIGINT NOT NULL PRIMARY KEY REFERENCES samples (id) ON DELETE CASCADE,
    server_name  TEXT    NOT NULL,
    ts_ms        BIGINT NOT NULL,
    details_json TEXT    NOT NULL
);

CREATE INDEX sample_details_server_ts ON sample_details (server_name, ts_ms);

-- Top processes of every cycle, typed, so they can be queried across servers and time.
CREATE TABLE sample_processes (
    sample_id   BIGINT NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    server_name TEXT    NOT NULL,
    ts_ms       BIGINT NOT NULL,
    ranking     TEXT    NOT NULL CHECK (ranking IN ('cpu', 'memory')),
    rank        BIGINT NOT NULL,
    pid         BIGINT NOT NULL,
    username    TEXT    NOT NULL,
    command     TEXT    NOT NULL,
    cpu_percent DOUBLE PRECISION NOT NULL,
    rss_bytes   BIGINT NOT NULL,
    mem_percent DOUBLE PRECISION NOT NULL,
    threads     BIGINT NOT NULL,
    open_fds    BIGINT,
    PRIMARY KEY (sample_id, ranking, rank)
);

CREATE INDEX sample_processes_server_ts ON sample_processes (server_name, ts_ms);

-- Every numeric series of a cycle in long form (name, value): per-core CPU, per-mount usage,
-- per-device I/O, per-interface traffic, TCP states, … Names are made by Details::series().
CREATE TABLE sample_series (
    sample_id   BIGINT NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    server_name TEXT    NOT NULL,
    ts_ms       BIGINT NOT NULL,
    name        TEXT    NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (sample_id, name)
);

CREATE INDEX sample_series_lookup ON sample_series (server_name, name, ts_ms);
