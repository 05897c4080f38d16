-- Alerting (issue #12): the alert book, its history, and the notification outbox.

-- The pending and firing alerts: one row per (server, rule, instance). Resolved alerts leave.
CREATE TABLE alerts (
    server_name      TEXT NOT NULL,
    rule             TEXT NOT NULL,
    instance         TEXT NOT NULL,
    state            TEXT NOT NULL,
    severity         TEXT NOT NULL,
    since_ms         BIGINT NOT NULL,
    firing_since_ms  BIGINT,
    fired_value      DOUBLE PRECISION,
    value            DOUBLE PRECISION,
    detail           TEXT,
    acked_by         TEXT,
    acked_ms         BIGINT,
    notified         BOOLEAN NOT NULL,
    last_notified_ms BIGINT,
    PRIMARY KEY (server_name, rule, instance)
);

-- One row per transition of an alert.
CREATE TABLE alert_history (
    id                BIGSERIAL PRIMARY KEY,
    server_name       TEXT NOT NULL,
    rule              TEXT NOT NULL,
    instance          TEXT NOT NULL,
    kind              TEXT NOT NULL,
    from_state        TEXT NOT NULL,
    to_state          TEXT NOT NULL,
    severity          TEXT NOT NULL,
    previous_severity TEXT,
    metric            TEXT,
    fired_value       DOUBLE PRECISION,
    value             DOUBLE PRECISION,
    since_ms          BIGINT NOT NULL,
    at_ms             BIGINT NOT NULL,
    detail            TEXT,
    notify            BOOLEAN NOT NULL,
    silenced          BOOLEAN NOT NULL
);
CREATE INDEX alert_history_at ON alert_history (at_ms);
CREATE INDEX alert_history_server_at ON alert_history (server_name, at_ms);

-- Notifications to deliver. The payload is the notification as JSON, never a secret: the
-- channel's secrets are read at send time. A row is claimed with a lease (claimed_by,
-- lease_until_ms) so two collectors never send it both.
CREATE TABLE alert_outbox (
    id              BIGSERIAL PRIMARY KEY,
    channel         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    claimed_by      TEXT,
    lease_until_ms  BIGINT,
    last_error      TEXT,
    delivered_ms    BIGINT,
    gave_up_ms      BIGINT
);
CREATE INDEX alert_outbox_due ON alert_outbox (channel, next_attempt_ms);

-- Each channel's last delivery result, for /readyz and the page.
CREATE TABLE alert_channels (
    channel TEXT PRIMARY KEY,
    ok      BOOLEAN NOT NULL,
    at_ms   BIGINT NOT NULL,
    error   TEXT
);

-- Silences made at run time (the API); standing ones live in the config. The spec is the
-- engine's SilenceSpec as JSON (servers, tags, rules, start, end, cron, duration, comment).
CREATE TABLE alert_silences (
    id         BIGSERIAL PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
