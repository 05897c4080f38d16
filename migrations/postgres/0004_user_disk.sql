-- Per-user disk usage, measured on its own slow schedule: the latest measurement per server.
CREATE TABLE user_disk (
    server_name TEXT   NOT NULL,
    username    TEXT   NOT NULL,
    bytes       BIGINT NOT NULL,
    ts_ms       BIGINT NOT NULL,
    PRIMARY KEY (server_name, username)
);
