//! The SQL of rollup tiers (migration 0008). Same conventions as [`crate::sql`].

/// Every server id.
pub(crate) const SERVER_IDS: &str = "SELECT id FROM servers ORDER BY id";

/// `$1` server id: the time of its oldest raw sample, hot or packed.
pub(crate) const OLDEST_RAW: &str = "SELECT MIN(m) FROM (\
     SELECT MIN(first_ms) AS m FROM sample_blocks WHERE server_id = $1 \
     UNION ALL SELECT MIN(ts_ms) AS m FROM sample_frames WHERE server_id = $1) AS t";

/// `$1` server id, `$2` tier: where its oldest bucket is.
pub(crate) const OLDEST_ROLLUP: &str = "SELECT MIN(start_ms) FROM sample_rollups WHERE server_id = $1 AND tier_ms = $2";

/// `$1` server id, `$2` from: the first raw sample at or after it.
pub(crate) const NEXT_RAW: &str = "SELECT MIN(m) FROM (\
     SELECT MIN(first_ms) AS m FROM sample_blocks WHERE server_id = $1 AND last_ms >= $2 \
     UNION ALL SELECT MIN(ts_ms) AS m FROM sample_frames WHERE server_id = $1 AND ts_ms >= $2) AS t";

/// `$1` server id, `$2` tier, `$3` from: the first chunk that may hold a bucket at or after it.
pub(crate) const NEXT_ROLLUP: &str =
    "SELECT MIN(start_ms) FROM sample_rollups WHERE server_id = $1 AND tier_ms = $2 AND last_ms >= $3";

/// `$1` server id, `$2` tier: up to when the tier is complete.
pub(crate) const DONE: &str = "SELECT done_ms FROM rollup_progress WHERE server_id = $1 AND tier_ms = $2";

/// `$1` server id: up to when each tier is complete.
pub(crate) const PROGRESS: &str = "SELECT tier_ms, done_ms FROM rollup_progress WHERE server_id = $1";

/// `$1` server id, `$2` tier, `$3` done.
pub(crate) const SET_PROGRESS: &str = "INSERT INTO rollup_progress (server_id, tier_ms, done_ms) \
     VALUES ($1, $2, $3) ON CONFLICT (server_id, tier_ms) DO UPDATE SET done_ms = excluded.done_ms";

/// `$1` server id, `$2` tier, `$3` from, `$4` to (excluded): the chunks that may hold buckets
/// starting in the range, oldest first. A chunk starting at `first_ms` holds buckets up to
/// `last_ms`.
pub(crate) const CHUNKS_IN: &str = "SELECT start_ms, body FROM sample_rollups \
     WHERE server_id = $1 AND tier_ms = $2 AND last_ms >= $3 AND first_ms < $4 ORDER BY first_ms";

/// `$1` server id, `$2` tier, `$3` chunk start.
pub(crate) const CHUNK: &str =
    "SELECT start_ms, body FROM sample_rollups WHERE server_id = $1 AND tier_ms = $2 AND first_ms = $3";

/// `$1` server id, `$2` tier, `$3` chunk start, `$4` first and `$5` last bucket, `$6` buckets,
/// `$7` body.
pub(crate) const UPSERT_CHUNK: &str = "INSERT INTO sample_rollups \
     (server_id, tier_ms, first_ms, start_ms, last_ms, buckets, body) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (server_id, tier_ms, first_ms) DO UPDATE SET start_ms = excluded.start_ms, \
     last_ms = excluded.last_ms, buckets = excluded.buckets, body = excluded.body";

/// `$1` tier, `$2` first millisecond kept, `$3` batch: whole chunks before it, never a server's
/// newest chunk of the tier.
pub(crate) const EXPIRED_CHUNKS: &str = "DELETE FROM sample_rollups WHERE id IN (\
     SELECT r.id FROM sample_rollups r WHERE r.tier_ms = $1 AND r.last_ms < $2 \
     AND r.first_ms < (SELECT MAX(n.first_ms) FROM sample_rollups n \
                       WHERE n.server_id = r.server_id AND n.tier_ms = r.tier_ms) \
     ORDER BY r.last_ms LIMIT $3) RETURNING buckets";

/// `$1` tier: the least progress of any server (what every server has summarised).
pub(crate) const LEAST_DONE: &str = "SELECT MIN(done_ms) FROM rollup_progress WHERE tier_ms = $1";

/// `$1` id: the chunk's server, first bucket shown and body.
pub(crate) const CHUNK_BY_ID: &str = "SELECT server_id, start_ms, body FROM sample_rollups WHERE id = $1";

/// `$1` tier, `$2` first millisecond kept: chunks that hold buckets before it and are kept (they
/// straddle it, or are a server's newest chunk of the tier): trimmed to the rest, or to their
/// last bucket.
pub(crate) const STRADDLING_CHUNKS: &str = "SELECT id FROM sample_rollups \
     WHERE tier_ms = $1 AND start_ms < $2 AND (last_ms >= $2 OR buckets > 1)";

/// `$1` id, `$2` first bucket shown, `$3` buckets shown: retention hides a chunk's buckets
/// before `$2` without re-encoding it (readers drop a chunk's buckets before its `start_ms`);
/// they go with the whole chunk, or when the chunk is next written.
pub(crate) const HIDE_BEFORE: &str = "UPDATE sample_rollups SET start_ms = $2, buckets = $3 WHERE id = $1";

/// Per tier: chunks, buckets, bytes, first and last bucket.
pub(crate) const TIER_STATS: &str = "SELECT tier_ms, COUNT(*), CAST(SUM(buckets) AS BIGINT), \
     CAST(SUM(LENGTH(body)) AS BIGINT), MIN(start_ms), MAX(last_ms) FROM sample_rollups GROUP BY tier_ms";

/// Raw samples: hot frames, then packed blocks: rows, samples, bytes, first and last.
pub(crate) const RAW_STATS: &str = "\
     SELECT COUNT(*), COUNT(*), CAST(COALESCE(SUM(LENGTH(body)), 0) AS BIGINT), MIN(ts_ms), MAX(ts_ms) \
     FROM sample_frames \
     UNION ALL \
     SELECT COUNT(*), CAST(COALESCE(SUM(frames), 0) AS BIGINT), \
            CAST(COALESCE(SUM(LENGTH(figures) + LENGTH(lists)), 0) AS BIGINT), MIN(first_ms), MAX(last_ms) \
     FROM sample_blocks";

/// Per server: bytes of raw samples and of rollups (payload, without the rows' overhead).
pub(crate) const SERVER_BYTES: &str = "SELECT s.name, \
     CAST(COALESCE((SELECT SUM(LENGTH(f.body)) FROM sample_frames f WHERE f.server_id = s.id), 0) \
        + COALESCE((SELECT SUM(LENGTH(b.figures) + LENGTH(b.lists)) FROM sample_blocks b \
                    WHERE b.server_id = s.id), 0) AS BIGINT), \
     CAST(COALESCE((SELECT SUM(LENGTH(r.body)) FROM sample_rollups r WHERE r.server_id = s.id), 0) AS BIGINT) \
     FROM servers s ORDER BY s.name";

/// `$1` tier: every server's chunks of the tier that end before its progress, as (server id,
/// id, chunk start, progress), by server and start: what sealing may merge.
pub(crate) const SEALABLE_CHUNKS: &str = "SELECT r.server_id, r.id, r.first_ms, p.done_ms \
     FROM sample_rollups r JOIN rollup_progress p ON p.server_id = r.server_id AND p.tier_ms = r.tier_ms \
     WHERE r.tier_ms = $1 AND r.last_ms < p.done_ms ORDER BY r.server_id, r.first_ms";

/// Chunks by id: `push_id_list` appends the list.
pub(crate) const DELETE_CHUNKS_IN: &str = "DELETE FROM sample_rollups WHERE id IN ";
