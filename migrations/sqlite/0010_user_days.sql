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
    server_id       INTEGER NOT NULL REFERENCES servers (id),
    day_ms          INTEGER NOT NULL,
    username        TEXT    NOT NULL,
    samples         INTEGER NOT NULL,
    cpu_seconds     REAL    NOT NULL,
    cpu_percent_max REAL,
    mem_percent_sum REAL    NOT NULL,
    mem_percent_max REAL,
    rss_bytes_sum   INTEGER NOT NULL,
    rss_bytes_max   INTEGER,
    processes_sum   INTEGER NOT NULL,
    processes_max   INTEGER,
    sessions        INTEGER,
    session_seconds REAL,
    disk_bytes      REAL,
    disk_ms         INTEGER,
    PRIMARY KEY (server_id, day_ms, username)
) STRICT;

CREATE INDEX user_days_user ON user_days (username, day_ms);
CREATE INDEX user_days_day ON user_days (day_ms);

CREATE TABLE user_day_progress (
    server_id INTEGER NOT NULL PRIMARY KEY REFERENCES servers (id),
    done_ms   INTEGER NOT NULL,
    last_ms   INTEGER
) STRICT;
