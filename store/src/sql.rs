//! The SQL text shared by both backends.
//!
//! Parameters are written `$1`, `$2`, …: PostgreSQL's native form, which sqlx's SQLite driver
//! also binds by number. Everything else is the common subset of both dialects
//! (`ON CONFLICT … DO UPDATE`, `RETURNING`, `CAST`, `TRUE`/`FALSE`); the contract test runs every
//! statement against both. The statements of samples are in [`crate::sample_sql`].

pub(crate) const PING: &str = "SELECT 1";

// ---- Server state, users, host keys ------------------------------------------------------

/// `$1` server, `$2` attempt time, `$3` reason, `$4` detail, `$5` duration.
/// Leaves `last_success_ms` and `last_sample_id` as they were.
pub(crate) const UPSERT_STATE_FAILURE: &str = "INSERT INTO server_state (server_name, ok, \
     last_attempt_ms, last_success_ms, reason, detail, duration_ms, last_sample_id) \
     VALUES ($1, FALSE, $2, NULL, $3, $4, $5, NULL) \
     ON CONFLICT (server_name) DO UPDATE SET ok = excluded.ok, \
     last_attempt_ms = excluded.last_attempt_ms, reason = excluded.reason, \
     detail = excluded.detail, duration_ms = excluded.duration_ms";

pub(crate) const SERVER_STATES: &str = "SELECT server_name, ok, last_attempt_ms, \
     last_success_ms, reason, detail, duration_ms FROM server_state";

pub(crate) const HOST_KEY: &str = "SELECT server_name, host, port, fingerprint, first_seen_ms \
     FROM host_keys WHERE server_name = $1";

pub(crate) const INSERT_HOST_KEY: &str = "INSERT INTO host_keys (server_name, host, port, \
     fingerprint, first_seen_ms) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (server_name) DO NOTHING";

/// One row per table, in a fixed order. "Oldest"/"newest" is the sample time for `samples` and
/// `sample_users`, the last attempt for `server_state`, first use for `host_keys`.
pub(crate) const TABLE_STATS: &str = "\
     SELECT 3 AS ord, 'server_state' AS table_name, COUNT(*) AS row_count, \
            MIN(last_attempt_ms) AS oldest_ms, MAX(last_attempt_ms) AS newest_ms FROM server_state \
     UNION ALL SELECT 4, 'host_keys', COUNT(*), MIN(first_seen_ms), MAX(first_seen_ms) \
               FROM host_keys \
     ORDER BY ord";

pub(crate) const SQLITE_SIZE: &str = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";

pub(crate) const POSTGRES_SIZE: &str = "SELECT pg_database_size(current_database())";

/// Rows deleted per statement by `cleanup`, so that a large purge never holds SQLite's write
/// lock for long (the collector waits at most the 5 s busy timeout).
pub(crate) const CLEANUP_BATCH_SIZE: i64 = 5_000;

// ---- Collector membership and leases ------------------------------------------------------

/// `$1` member, `$2` now (ms): insert or refresh a member's heartbeat.
pub(crate) const HEARTBEAT: &str = "INSERT INTO collector_members (member_id, started_ms, last_seen_ms) \
     VALUES ($1, $2, $2) ON CONFLICT (member_id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms";

/// `$1` cutoff (ms): members seen at or after it, by id.
pub(crate) const LIVE_MEMBERS: &str =
    "SELECT member_id FROM collector_members WHERE last_seen_ms >= $1 ORDER BY member_id";

/// `$1` server, `$2` member, `$3` now (ms), `$4` liveness cutoff (ms). Takes the lease when it is
/// free, already ours, or held by a member not seen since the cutoff; returns the holder after.
/// One statement, so two members racing for a lease cannot both win (the conflicting row is
/// locked by PostgreSQL; SQLite serialises writers).
pub(crate) const ACQUIRE_LEASE: &str = "INSERT INTO collector_leases (server_name, member_id, acquired_ms) \
     VALUES ($1, $2, $3) ON CONFLICT (server_name) DO UPDATE \
     SET member_id = excluded.member_id, acquired_ms = excluded.acquired_ms \
     WHERE collector_leases.member_id = excluded.member_id \
        OR collector_leases.member_id NOT IN \
           (SELECT member_id FROM collector_members WHERE last_seen_ms >= $4) \
     RETURNING member_id";

/// `$1` server, `$2` member.
pub(crate) const RELEASE_LEASE: &str = "DELETE FROM collector_leases WHERE server_name = $1 AND member_id = $2";

/// `$1` member: everything it holds, for a clean exit.
pub(crate) const RELEASE_ALL_LEASES: &str = "DELETE FROM collector_leases WHERE member_id = $1";
pub(crate) const DELETE_MEMBER: &str = "DELETE FROM collector_members WHERE member_id = $1";

pub(crate) const LEASES: &str = "SELECT server_name, member_id FROM collector_leases ORDER BY server_name";

// ---- Per-user disk usage ------------------------------------------------------------------

pub(crate) const DELETE_USER_DISK: &str = "DELETE FROM user_disk WHERE server_name = $1";
pub(crate) const INSERT_USER_DISK: &str =
    "INSERT INTO user_disk (server_name, username, bytes, ts_ms) VALUES ($1, $2, $3, $4)";
/// `$1` server or NULL.
pub(crate) const USER_DISK: &str = "SELECT server_name, username, bytes, ts_ms FROM user_disk \
     WHERE (CAST($1 AS TEXT) IS NULL OR server_name = $1) ORDER BY bytes DESC, server_name, username";
