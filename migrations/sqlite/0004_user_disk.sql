-- Per-user disk usage, measured on its own slow schedule: the latest measurement per server.
CREATE TABLE user_disk (
    server_name TEXT    NOT NULL,
    username    TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    ts_ms       INTEGER NOT NULL,
    PRIMARY KEY (server_name, username)
) STRICT;
