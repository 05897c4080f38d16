//! The SQL text shared by both backends.
//!
//! Parameters are written `$1`, `$2`, …: PostgreSQL's native form, which sqlx's SQLite driver
//! also binds by number. Everything else is the common subset of both dialects
//! (`ON CONFLICT … DO UPDATE`, `RETURNING`, `CAST`, `TRUE`/`FALSE`); the contract test runs every
//! statement against both.
//!
//! The statements that name the columns of `samples` (and of `sample_processes`) are generated
//! once, at first use, from the lists in [`crate::columns`] and below.

use std::sync::LazyLock;

use crate::columns::{HISTORY_FIGURES, SAMPLE_COLUMNS};

pub(crate) const PING: &str = "SELECT 1";

// ---- Samples and their processes: generated from column lists ------------------------------

/// `INSERT INTO samples (server_name, ts_ms, …) `: a `VALUES` tuple follows
/// ([`crate::columns::push_sample`]), then `RETURNING id`.
pub(crate) static INSERT_SAMPLE: LazyLock<String> =
    LazyLock::new(|| format!("INSERT INTO samples ({}) ", comma_list(SAMPLE_COLUMNS.iter().map(|c| c.name))));

/// The latest sample of every server, decoded by [`crate::columns::read_sample`].
pub(crate) static LATEST_SAMPLES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM server_state st JOIN samples s ON s.id = st.last_sample_id",
        comma_list(SAMPLE_COLUMNS.iter().map(|c| format!("s.{}", c.name)))
    )
});

/// `$1` server: its latest sample.
pub(crate) static LATEST_SAMPLE: LazyLock<String> =
    LazyLock::new(|| format!("{} WHERE st.server_name = $1", LATEST_SAMPLES.as_str()));

/// `$1` server, `$2` from (inclusive), `$3` to (inclusive), `$4` bucket width in ms (>= 1).
/// Each bucket's point is the mean of its samples, stamped with its first sample's time; decoded
/// by [`crate::columns::read_history_point`].
/// `CAST(… AS DOUBLE PRECISION)`: PostgreSQL averages integers as NUMERIC; SQLite reads the type
/// name as REAL.
pub(crate) static HISTORY: LazyLock<String> = LazyLock::new(|| {
    let averages = HISTORY_FIGURES.iter().map(|f| format!("CAST(AVG({0}) AS DOUBLE PRECISION) AS {0}", f.name));
    format!(
        "SELECT MIN(ts_ms) AS ts_ms, {}, COUNT(*) AS samples \
         FROM samples WHERE server_name = $1 AND ts_ms >= $2 AND ts_ms <= $3 \
         GROUP BY (ts_ms - $2) / $4 ORDER BY 1",
        comma_list(averages)
    )
});

/// The columns of `sample_processes` besides `sample_id`, in the order they are inserted (see
/// `push_values` in `record_success`) and selected (into [`crate::rows::ProcessRow`]).
const PROCESS_COLUMNS: &[&str] = &[
    "server_name",
    "ts_ms",
    "ranking",
    "rank",
    "pid",
    "username",
    "command",
    "cpu_percent",
    "rss_bytes",
    "mem_percent",
    "threads",
    "open_fds",
];

/// Prefix of the multi-row insert of process rows: `sample_id`, then [`PROCESS_COLUMNS`].
pub(crate) static INSERT_PROCESSES: LazyLock<String> =
    LazyLock::new(|| format!("INSERT INTO sample_processes (sample_id, {}) ", comma_list(PROCESS_COLUMNS.iter())));

/// `$1` server or NULL, `$2` ranking: process rows of each server's latest sample.
pub(crate) static LATEST_PROCESSES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM server_state st JOIN sample_processes p ON p.sample_id = st.last_sample_id \
         WHERE (CAST($1 AS TEXT) IS NULL OR st.server_name = $1) AND p.ranking = $2 \
         ORDER BY p.server_name, p.rank",
        comma_list(PROCESS_COLUMNS.iter().map(|c| format!("p.{c}")))
    )
});

fn comma_list<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    items.map(|s| s.as_ref().to_owned()).collect::<Vec<_>>().join(", ")
}

// ---- Server state, users, host keys ------------------------------------------------------

pub(crate) const INSERT_SAMPLE_USER: &str = "INSERT INTO sample_users (sample_id, server_name, \
     ts_ms, username, cpu, mem, rss_bytes, process_count, top_process, disk_bytes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// `$1` server, `$2` sample time (attempt and success), `$3` duration, `$4` sample id.
pub(crate) const UPSERT_STATE_SUCCESS: &str = "INSERT INTO server_state (server_name, ok, \
     last_attempt_ms, last_success_ms, reason, detail, duration_ms, last_sample_id) \
     VALUES ($1, TRUE, $2, $2, NULL, NULL, $3, $4) \
     ON CONFLICT (server_name) DO UPDATE SET ok = excluded.ok, \
     last_attempt_ms = excluded.last_attempt_ms, last_success_ms = excluded.last_success_ms, \
     reason = NULL, detail = NULL, duration_ms = excluded.duration_ms, \
     last_sample_id = excluded.last_sample_id";

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

/// `$1` server or NULL for all, `$2` limit.
pub(crate) const TOP_USERS: &str = "SELECT u.username, u.server_name, u.cpu, u.mem, \
     COALESCE(CAST(ud.bytes AS DOUBLE PRECISION), u.disk_bytes) AS disk_bytes, \
     u.process_count, u.top_process, u.ts_ms, u.rss_bytes \
     FROM server_state st JOIN sample_users u ON u.sample_id = st.last_sample_id \
     LEFT JOIN user_disk ud ON ud.server_name = u.server_name AND ud.username = u.username \
     WHERE (CAST($1 AS TEXT) IS NULL OR st.server_name = $1) \
     ORDER BY u.cpu DESC, u.server_name, u.username LIMIT $2";

pub(crate) const HOST_KEY: &str = "SELECT server_name, host, port, fingerprint, first_seen_ms \
     FROM host_keys WHERE server_name = $1";

pub(crate) const INSERT_HOST_KEY: &str = "INSERT INTO host_keys (server_name, host, port, \
     fingerprint, first_seen_ms) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (server_name) DO NOTHING";

/// One row per table, in a fixed order. "Oldest"/"newest" is the sample time for `samples` and
/// `sample_users`, the last attempt for `server_state`, first use for `host_keys`.
pub(crate) const TABLE_STATS: &str = "\
     SELECT 1 AS ord, 'samples' AS table_name, COUNT(*) AS row_count, \
            MIN(ts_ms) AS oldest_ms, MAX(ts_ms) AS newest_ms FROM samples \
     UNION ALL SELECT 2, 'sample_users', COUNT(*), MIN(ts_ms), MAX(ts_ms) FROM sample_users \
     UNION ALL SELECT 3, 'server_state', COUNT(*), MIN(last_attempt_ms), MAX(last_attempt_ms) \
               FROM server_state \
     UNION ALL SELECT 4, 'host_keys', COUNT(*), MIN(first_seen_ms), MAX(first_seen_ms) \
               FROM host_keys \
     ORDER BY ord";

pub(crate) const SQLITE_SIZE: &str = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";

pub(crate) const POSTGRES_SIZE: &str = "SELECT pg_database_size(current_database())";

/// `$1` first millisecond kept, `$2` batch size. Deletes one batch of the oldest samples, never
/// one that a server's state points to as its latest; their user rows go by `ON DELETE CASCADE`.
pub(crate) const CLEANUP_BATCH: &str = "DELETE FROM samples WHERE id IN (\
     SELECT id FROM samples WHERE ts_ms < $1 AND id NOT IN (\
     SELECT last_sample_id FROM server_state WHERE last_sample_id IS NOT NULL) \
     ORDER BY ts_ms LIMIT $2)";

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

// ---- Details of a cycle -------------------------------------------------------------------

/// `$1` sample id, `$2` server, `$3` time, `$4` JSON.
pub(crate) const INSERT_DETAILS: &str =
    "INSERT INTO sample_details (sample_id, server_name, ts_ms, details_json) VALUES ($1, $2, $3, $4)";

/// `$1` server: the details of its latest sample.
pub(crate) const LATEST_DETAILS: &str = "SELECT d.details_json FROM server_state st \
     JOIN sample_details d ON d.sample_id = st.last_sample_id WHERE st.server_name = $1";

/// `$1` server, `$2` time (ms): the last details at or before it.
pub(crate) const DETAILS_AT: &str = "SELECT details_json FROM sample_details \
     WHERE server_name = $1 AND ts_ms <= $2 ORDER BY ts_ms DESC LIMIT 1";

/// Prefix of the multi-row insert of series rows.
pub(crate) const INSERT_SERIES: &str = "INSERT INTO sample_series (sample_id, server_name, ts_ms, name, value) ";

/// `$1` server, `$2` name, `$3` from, `$4` to, `$5` bucket width (ms).
pub(crate) const SERIES: &str = "SELECT MIN(ts_ms) AS ts_ms, \
     CAST(AVG(value) AS DOUBLE PRECISION) AS value, COUNT(*) AS samples \
     FROM sample_series WHERE server_name = $1 AND name = $2 AND ts_ms >= $3 AND ts_ms <= $4 \
     GROUP BY (ts_ms - $3) / $5 ORDER BY 1";

/// `$1` server: the series names of its latest sample.
pub(crate) const SERIES_NAMES: &str = "SELECT se.name FROM server_state st \
     JOIN sample_series se ON se.sample_id = st.last_sample_id WHERE st.server_name = $1 ORDER BY se.name";

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's bind limits.
pub(crate) const INSERT_CHUNK: usize = 500;

// ---- Per-user disk usage ------------------------------------------------------------------

pub(crate) const DELETE_USER_DISK: &str = "DELETE FROM user_disk WHERE server_name = $1";
pub(crate) const INSERT_USER_DISK: &str =
    "INSERT INTO user_disk (server_name, username, bytes, ts_ms) VALUES ($1, $2, $3, $4)";
/// `$1` server or NULL.
pub(crate) const USER_DISK: &str = "SELECT server_name, username, bytes, ts_ms FROM user_disk \
     WHERE (CAST($1 AS TEXT) IS NULL OR server_name = $1) ORDER BY bytes DESC, server_name, username";
