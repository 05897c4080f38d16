//! The SQL of user activity per day (migration 0010). Same conventions as [`crate::sql`].

/// `$1` server name or NULL: servers by id.
pub(crate) const SERVERS: &str =
    "SELECT id, name FROM servers WHERE (CAST($1 AS TEXT) IS NULL OR name = $1) ORDER BY id";

/// Every server's progress.
pub(crate) const PROGRESS_ALL: &str = "SELECT server_id, done_ms, last_ms FROM user_day_progress";

/// `$1` server id: its progress (the backend's row lock is appended when writing).
pub(crate) const PROGRESS: &str = "SELECT done_ms, last_ms FROM user_day_progress WHERE server_id = $1";

/// `$1` server id, `$2` the first day to summarise.
pub(crate) const INIT_PROGRESS: &str = "INSERT INTO user_day_progress (server_id, done_ms, last_ms) \
     VALUES ($1, $2, NULL) ON CONFLICT (server_id) DO NOTHING";

/// `$1` server id, `$2` done, `$3` last sample before it.
pub(crate) const SET_PROGRESS: &str = "UPDATE user_day_progress SET done_ms = $2, last_ms = $3 WHERE server_id = $1";

/// The least progress of any server: raw samples before it are summarised everywhere.
pub(crate) const LEAST_DONE: &str = "SELECT MIN(done_ms) FROM user_day_progress";

/// `$1` server id, `$2` day, `$3` user, `$4`.. the figures: a summarised day.
pub(crate) const UPSERT_DAY: &str = "INSERT INTO user_days (server_id, day_ms, username, samples, \
     cpu_seconds, cpu_percent_max, mem_percent_sum, mem_percent_max, rss_bytes_sum, rss_bytes_max, \
     processes_sum, processes_max, sessions, session_seconds, disk_bytes, disk_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
     ON CONFLICT (server_id, day_ms, username) DO UPDATE SET samples = excluded.samples, \
     cpu_seconds = excluded.cpu_seconds, cpu_percent_max = excluded.cpu_percent_max, \
     mem_percent_sum = excluded.mem_percent_sum, mem_percent_max = excluded.mem_percent_max, \
     rss_bytes_sum = excluded.rss_bytes_sum, rss_bytes_max = excluded.rss_bytes_max, \
     processes_sum = excluded.processes_sum, processes_max = excluded.processes_max, \
     sessions = excluded.sessions, session_seconds = excluded.session_seconds, \
     disk_bytes = excluded.disk_bytes, disk_ms = excluded.disk_ms";

/// `$1` server id, `$2` day, `$3` user, `$4` CPU seconds, `$5` session seconds or NULL: time
/// carried back into a day already summarised, added to it.
pub(crate) const CARRY_DAY: &str = "INSERT INTO user_days (server_id, day_ms, username, samples, \
     cpu_seconds, mem_percent_sum, rss_bytes_sum, processes_sum, session_seconds) \
     VALUES ($1, $2, $3, 0, $4, 0, 0, 0, $5) \
     ON CONFLICT (server_id, day_ms, username) DO UPDATE SET \
     cpu_seconds = user_days.cpu_seconds + excluded.cpu_seconds, \
     session_seconds = CASE WHEN excluded.session_seconds IS NULL THEN user_days.session_seconds \
     ELSE COALESCE(user_days.session_seconds, 0) + excluded.session_seconds END";

/// `$1` first day, `$2` last day, `$3` user or NULL, `$4` server or NULL: stored days.
pub(crate) const DAYS: &str = "SELECT d.server_id, d.day_ms, d.username, d.samples, d.cpu_seconds, \
     d.cpu_percent_max, d.mem_percent_sum, d.mem_percent_max, d.rss_bytes_sum, d.rss_bytes_max, \
     d.processes_sum, d.processes_max, d.sessions, d.session_seconds, d.disk_bytes, d.disk_ms \
     FROM user_days d JOIN servers s ON s.id = d.server_id \
     WHERE d.day_ms >= $1 AND d.day_ms <= $2 AND (CAST($3 AS TEXT) IS NULL OR d.username = $3) \
     AND (CAST($4 AS TEXT) IS NULL OR s.name = $4)";

/// `$1` first day kept, `$2` batch: days to delete.
pub(crate) const EXPIRED_DAYS: &str =
    "SELECT DISTINCT day_ms FROM user_days WHERE day_ms < $1 ORDER BY day_ms LIMIT $2";

/// `$1` day.
pub(crate) const DELETE_DAY: &str = "DELETE FROM user_days WHERE day_ms = $1";

/// `$1` server id, `$2` time: the last raw sample before it, hot or in a block wholly before
/// it (a block that straddles it is read whole by the caller).
pub(crate) const LAST_RAW_BEFORE: &str = "SELECT MAX(m) FROM (\
     SELECT MAX(last_ms) AS m FROM sample_blocks WHERE server_id = $1 AND last_ms < $2 \
     UNION ALL SELECT MAX(ts_ms) AS m FROM sample_frames WHERE server_id = $1 AND ts_ms < $2) AS t";

/// `$1` server id, `$2` from, `$3` to: the blocks overlapping a range with their lists, oldest
/// first.
pub(crate) const BLOCK_LISTS_IN: &str = "SELECT figures, lists FROM sample_blocks \
     WHERE server_id = $1 AND first_ms <= $3 AND last_ms >= $2 ORDER BY first_ms, id";
