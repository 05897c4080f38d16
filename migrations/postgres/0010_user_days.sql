-- User activity per user, per server, per UTC day (issue #11). Never edit once applied: add a
-- new numbered file instead.
--
-- Made by the maintenance pass from raw samples before they age out (store/src/user_days.rs
-- says how each figure is computed) and kept as long as the 1-day rollup tier. Averages are
-- stored as sums over `samples`, so that a day's rows merge exactly. `sessions` and
-- `session_seconds` are NULL when no sample of the day had the server's sessions; `disk_bytes`
-- is the last measurement of the day (at `disk_ms`). `user_day_progress` says up to when each
-- server's days are complete (`done_ms`, a day's start) and when its last sample before that
-- was (`last_ms`): what comes later is summarised from raw samples when read.

CREATE TABLE user_days (
    server_id       BIGINT  NOT NULL REFERENCES servers (id),
    day_ms          BIGINT  NOT NULL,
    username        TEXT    NOT NULL,
    samples         BIGINT  NOT NULL,
    cpu_seconds     DOUBLE PRECISION NOT NULL,
    cpu_percent_max DOUBLE PRECISION,
    mem_percent_sum DOUBLE PRECISION NOT NULL,
    mem_percent_max DOUBLE PRECISION,
    rss_bytes_sum   BIGINT  NOT NULL,
    rss_bytes_max   BIGINT,
    processes_sum   BIGINT  NOT NULL,
    processes_max   BIGINT,
    sessions        BIGINT,
    session_seconds DOUBLE PRECISION,
    disk_bytes      DOUBLE PRECISION,
    disk_ms         BIGINT,
    PRIMARY KEY (server_id, day_ms, username)
);

CREATE INDEX user_days_user ON user_days (username, day_ms);
CREATE INDEX user_days_day ON user_days (day_ms);

CREATE TABLE user_day_progress (
    server_id BIGINT  NOT NULL PRIMARY KEY REFERENCES servers (id),
    done_ms   BIGINT  NOT NULL,
    last_ms   BIGINT
);
