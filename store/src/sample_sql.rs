//! The SQL of compact samples (migration 0007): servers, facts, hot frames, blocks, and the
//! latest sample's headline in `server_state`. Same conventions as [`crate::sql`].

use std::sync::LazyLock;

use crate::columns::{Field, SAMPLE_COLUMNS};

/// `$1` name: the server's id, created on first use. An upsert, so that it is the transaction's
/// first write on SQLite as well.
pub(crate) const SERVER_ID: &str = "INSERT INTO servers (name) VALUES ($1) \
     ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id";

/// `$1` name.
pub(crate) const FIND_SERVER: &str = "SELECT id FROM servers WHERE name = $1";

/// Facts rows of some servers with some hashes, with their bases' bodies (migration 0012: a
/// row with a `base_id` holds a patch of that row's facts): `push_id_list` appends the
/// servers, then ` AND f.hash IN ` and the hashes (the caller pairs them, and compares facts
/// whole).
pub(crate) const FACTS_BY_HASH_IN: &str = "SELECT f.id, f.server_id, f.hash, f.body, f.base_id, b.body \
     FROM sample_facts f LEFT JOIN sample_facts b ON b.id = f.base_id WHERE f.server_id IN ";

/// Each server's latest whole facts (id, server id, body): `push_id_list` appends the servers,
/// then ` GROUP BY server_id)`.
pub(crate) const FACTS_BASES_IN: &str = "SELECT id, server_id, body FROM sample_facts WHERE id IN \
     (SELECT MAX(id) FROM sample_facts WHERE base_id IS NULL AND server_id IN ";

/// Rows of (server id, hash, since, base id, body): `push_values` appends them.
pub(crate) const INSERT_FACTS_VALUES: &str = "INSERT INTO sample_facts (server_id, hash, since_ms, base_id, body) ";

/// `$1` id: the body, and the base's id and body if it is a patch.
pub(crate) const FACTS: &str = "SELECT f.body, f.base_id, b.body \
     FROM sample_facts f LEFT JOIN sample_facts b ON b.id = f.base_id WHERE f.id = $1";

/// Prefix of the multi-row insert of frames: server id, time, facts id, has details, user
/// rows, body; `RETURNING id, server_id` follows.
pub(crate) const INSERT_FRAMES: &str =
    "INSERT INTO sample_frames (server_id, ts_ms, facts_id, has_details, user_rows, body) ";

/// Prefix of `… WHERE server_id IN (…) GROUP BY server_id`: hot frames per server.
pub(crate) const COUNT_FRAMES_IN: &str = "SELECT server_id, COUNT(*) FROM sample_frames WHERE server_id IN ";

/// `$1` server id.
pub(crate) const HAS_BLOCKS: &str = "SELECT COUNT(*) FROM sample_blocks WHERE server_id = $1";

/// `$1` server id, `$2` the frame kept hot, `$3` how many: the oldest frames of a window.
pub(crate) const WINDOW_FRAMES: &str = "SELECT id, ts_ms, facts_id, user_rows, body FROM sample_frames \
     WHERE server_id = $1 AND id <> $2 ORDER BY ts_ms, id LIMIT $3";

/// `$1` server id, `$2` first, `$3` last, `$4` frames, `$5` user rows, `$6` first and `$7` last
/// time with users, `$8`..`$9` facts ids, `$10` figures, `$11` lists.
pub(crate) const INSERT_BLOCK: &str = "INSERT INTO sample_blocks (server_id, first_ms, last_ms, frames, \
     user_rows, users_first_ms, users_last_ms, facts_lo, facts_hi, figures, lists) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// `$1` id, then as [`INSERT_BLOCK`] from `$2`.
pub(crate) const UPDATE_BLOCK: &str = "UPDATE sample_blocks SET first_ms = $2, last_ms = $3, frames = $4, \
     user_rows = $5, users_first_ms = $6, users_last_ms = $7, facts_lo = $8, facts_hi = $9, figures = $10, \
     lists = $11 WHERE id = $1";

/// Prefix of `DELETE FROM sample_frames WHERE id IN (…)`.
pub(crate) const DELETE_FRAMES_IN: &str = "DELETE FROM sample_frames WHERE id IN ";

/// `$1` server id, `$2` from, `$3` to (both included): hot frames in a range.
pub(crate) const FRAMES_IN: &str = "SELECT id, ts_ms, facts_id, body FROM sample_frames \
     WHERE server_id = $1 AND ts_ms >= $2 AND ts_ms <= $3 ORDER BY ts_ms, id";

/// `$1` server id, `$2` from, `$3` to: the blocks overlapping a range, oldest first.
pub(crate) const BLOCKS_IN: &str = "SELECT figures FROM sample_blocks \
     WHERE server_id = $1 AND first_ms <= $3 AND last_ms >= $2 ORDER BY first_ms, id";

/// `$1` server id, `$2` time: the last hot frame with details at or before it.
pub(crate) const FRAME_WITH_DETAILS_AT: &str = "SELECT id, ts_ms, facts_id, body FROM sample_frames \
     WHERE server_id = $1 AND ts_ms <= $2 AND has_details = TRUE ORDER BY ts_ms DESC, id DESC LIMIT 1";

/// `$1` server id, `$2` time, `$3` no earlier than: blocks that may hold a frame at or before
/// the time, latest first.
pub(crate) const BLOCKS_BEFORE: &str = "SELECT figures, lists FROM sample_blocks \
     WHERE server_id = $1 AND first_ms <= $2 AND last_ms >= $3 ORDER BY last_ms DESC, id DESC";

/// `$1` server or NULL: each server's latest frame.
pub(crate) const LATEST_FRAMES: &str = "SELECT st.server_name, f.ts_ms, f.facts_id, f.body \
     FROM server_state st JOIN sample_frames f ON f.id = st.last_frame_id \
     WHERE (CAST($1 AS TEXT) IS NULL OR st.server_name = $1)";

/// Prefix of the multi-row upsert of servers' states after a success: name, ok, last attempt,
/// last success, duration, frame id, time, then the headline's columns; then
/// [`UPSERT_STATES_CONFLICT`].
pub(crate) static UPSERT_STATES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO server_state (server_name, ok, last_attempt_ms, last_success_ms, duration_ms, \
         last_frame_id, ts_ms, {}) ",
        headline_columns().collect::<Vec<_>>().join(", ")
    )
});

/// PostgreSQL: the same upsert from one array per column (`$1`.. in [`UPSERT_STATES`]' order).
pub(crate) static UPSERT_STATES_UNNEST: LazyLock<String> = LazyLock::new(|| {
    let mut arrays = vec!["$1::TEXT[]".to_owned(), "$2::BOOLEAN[]".to_owned()];
    arrays.extend((3..=7).map(|n| format!("${n}::BIGINT[]")));
    let headline = SAMPLE_COLUMNS.iter().filter_map(|c| match c.field {
        Field::ServerName | Field::Timestamp => None,
        Field::Real(..) => Some("DOUBLE PRECISION"),
        Field::Integer(..) => Some("BIGINT"),
        Field::Text(..) => Some("TEXT"),
    });
    arrays.extend(headline.enumerate().map(|(i, t)| format!("${}::{t}[]", i + 8)));
    format!("{}SELECT * FROM UNNEST({}){}", UPSERT_STATES.as_str(), arrays.join(", "), UPSERT_STATES_CONFLICT.as_str())
});

/// The last call wins: a success clears the reason and detail of an earlier failure.
pub(crate) static UPSERT_STATES_CONFLICT: LazyLock<String> = LazyLock::new(|| {
    let updates: Vec<String> = headline_columns().map(|c| format!("{c} = excluded.{c}")).collect();
    format!(
        " ON CONFLICT (server_name) DO UPDATE SET ok = excluded.ok, \
         last_attempt_ms = excluded.last_attempt_ms, last_success_ms = excluded.last_success_ms, \
         reason = NULL, detail = NULL, duration_ms = excluded.duration_ms, \
         last_frame_id = excluded.last_frame_id, ts_ms = excluded.ts_ms, {}",
        updates.join(", ")
    )
});

/// The headline's columns besides the server's name and the time.
pub(crate) fn headline_columns() -> impl Iterator<Item = &'static str> {
    SAMPLE_COLUMNS.iter().map(|c| c.name).filter(|n| *n != "server_name" && *n != "ts_ms")
}

/// The latest sample of every server that has one, decoded by [`crate::columns::read_sample`].
pub(crate) static LATEST_SAMPLES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM server_state WHERE ts_ms IS NOT NULL",
        SAMPLE_COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
    )
});

/// What [`crate::Store::latest_generation`] answers: (servers with a sample, sum of their frame ids).
pub(crate) const LATEST_GENERATION: &str = "SELECT CAST(count(*) AS BIGINT), \
     CAST(coalesce(sum(last_frame_id), 0) AS BIGINT) FROM server_state WHERE ts_ms IS NOT NULL";

/// `$1` server: its latest sample.
pub(crate) static LATEST_SAMPLE: LazyLock<String> =
    LazyLock::new(|| format!("{} AND server_name = $1", LATEST_SAMPLES.as_str()));

/// One row per logical table: samples and their user rows, hot and packed.
pub(crate) const SAMPLE_STATS: &str = "\
     SELECT COUNT(*) AS frames, MIN(ts_ms) AS first_ms, MAX(ts_ms) AS last_ms, \
            CAST(COALESCE(SUM(user_rows), 0) AS BIGINT) AS user_rows, \
            MIN(CASE WHEN user_rows > 0 THEN ts_ms END) AS users_first_ms, \
            MAX(CASE WHEN user_rows > 0 THEN ts_ms END) AS users_last_ms FROM sample_frames \
     UNION ALL \
     SELECT CAST(COALESCE(SUM(frames), 0) AS BIGINT), MIN(first_ms), MAX(last_ms), \
            CAST(COALESCE(SUM(user_rows), 0) AS BIGINT), MIN(users_first_ms), MAX(users_last_ms) \
     FROM sample_blocks";

/// `$1` first millisecond kept, `$2` batch size: one batch of hot frames before it, never a
/// server's latest.
pub(crate) const CLEANUP_FRAMES: &str = "DELETE FROM sample_frames WHERE id IN (\
     SELECT id FROM sample_frames WHERE ts_ms < $1 AND id NOT IN (\
     SELECT last_frame_id FROM server_state WHERE last_frame_id IS NOT NULL) \
     ORDER BY ts_ms LIMIT $2)";

/// `$1` first millisecond kept, `$2` batch size: whole blocks before it; returns their frames.
pub(crate) const CLEANUP_BLOCKS: &str = "DELETE FROM sample_blocks WHERE id IN (\
     SELECT id FROM sample_blocks WHERE last_ms < $1 ORDER BY last_ms LIMIT $2) RETURNING frames";

/// `$1` first millisecond kept: blocks that straddle it.
pub(crate) const STRADDLING_BLOCKS: &str = "SELECT id, server_id, figures, lists FROM sample_blocks \
     WHERE first_ms < $1 AND last_ms >= $1";

/// `$1` id.
pub(crate) const DELETE_BLOCK: &str = "DELETE FROM sample_blocks WHERE id = $1";

/// Blocks of at most `$1` frames (as compaction writes them: sealed ones are larger) with their
/// server's latest block end, sorted by server and start: what raw sealing picks spans from.
pub(crate) const SEALABLE_BLOCKS: &str = "SELECT b.server_id, b.id, b.first_ms, m.done_ms FROM sample_blocks b \
     JOIN (SELECT server_id, MAX(last_ms) AS done_ms FROM sample_blocks GROUP BY server_id) m \
     ON m.server_id = b.server_id WHERE b.frames <= $1 ORDER BY b.server_id, b.first_ms";

/// `$1` id.
pub(crate) const BLOCK_BODIES: &str = "SELECT figures, lists FROM sample_blocks WHERE id = $1";

/// Blocks by id: `push_id_list` appends the list.
pub(crate) const DELETE_BLOCKS_IN: &str = "DELETE FROM sample_blocks WHERE id IN ";

/// Facts no frame, no block and no patch of them uses any more.
pub(crate) const CLEANUP_FACTS: &str = "DELETE FROM sample_facts WHERE \
     NOT EXISTS (SELECT 1 FROM sample_frames f WHERE f.facts_id = sample_facts.id) AND \
     NOT EXISTS (SELECT 1 FROM sample_facts p WHERE p.base_id = sample_facts.id) AND \
     NOT EXISTS (SELECT 1 FROM sample_blocks b WHERE b.server_id = sample_facts.server_id \
                 AND sample_facts.id BETWEEN b.facts_lo AND b.facts_hi)";
