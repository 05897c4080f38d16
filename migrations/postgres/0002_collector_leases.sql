-- Several collector processes on one database split the fleet: each live member heartbeats, and
-- a server is collected only by the member holding its lease.
CREATE TABLE collector_members (
    member_id    TEXT   PRIMARY KEY,
    started_ms   BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);

CREATE TABLE collector_leases (
    server_name  TEXT   PRIMARY KEY,
    member_id    TEXT   NOT NULL,
    acquired_ms  BIGINT NOT NULL
);

CREATE INDEX collector_leases_member ON collector_leases (member_id);
