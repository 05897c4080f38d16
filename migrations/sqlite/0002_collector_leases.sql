-- Several collector processes on one database split the fleet: each live member heartbeats, and
-- a server is collected only by the member holding its lease.
CREATE TABLE collector_members (
    member_id    TEXT    PRIMARY KEY,
    started_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE collector_leases (
    server_name  TEXT    PRIMARY KEY,
    member_id    TEXT    NOT NULL,
    acquired_ms  INTEGER NOT NULL
) STRICT;

CREATE INDEX collector_leases_member ON collector_leases (member_id);
