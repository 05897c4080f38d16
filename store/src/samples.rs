//! Writing samples in the compact format: a server's id, its facts when they change, one hot
//! frame per sample, and the compaction of a closed window into a block.
//!
//! When compaction runs: inside `record_success`, in the same transaction, when the server has
//! more than [`WINDOW`] hot frames besides its latest; a server's first window closes earlier,
//! after a number of frames that depends on its id, so that a fleet started at once does not
//! compact all its servers in the same cycle. The latest frame always stays hot.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, QueryBuilder, Row, Type};

use crate::backend::{Backend, SqlStore};
use crate::cache::StoredFacts;
use crate::compact::block::{self, BlockFrame, Effort, Figures, value_at};
use crate::compact::bytes::{deflate, inflate};
use crate::compact::cycle::{Changing, CycleRef, Facts, Figure};
use crate::compact::frame;
use crate::compact::lists::unpack as unpack_lists;
use crate::error::{Error, Result};
use crate::packing::Pack;
use crate::sample_sql as sql;
use crate::values::to_ms;

/// Frames packed into one block.
pub(crate) const WINDOW: i64 = 64;

/// Rows per multi-row insert: well under both databases' bind limits.
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// Facts bodies never inflate beyond this.
const MAX_FACTS: u64 = 16 << 20;

/// A hot frame as read back.
pub(crate) struct HotFrame {
    pub(crate) ts_ms: i64,
    pub(crate) facts_id: i64,
    pub(crate) body: Vec<u8>,
}

impl<DB> SqlStore<DB>
where
    DB: Backend,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Vec<u8>: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    /// Stores samples in an open write transaction as their servers' latest frames, with
    /// multi-row inserts of frames and states. The windows they close are left to pack: the
    /// returned `(server id, frame id)` go to [`SqlStore::pack_later`] once it commits.
    pub(crate) async fn write_samples(
        &self,
        conn: &mut DB::Connection,
        cycles: &[(CycleRef<'_>, i64)],
    ) -> Result<Vec<(i64, i64)>> {
        self.write_frames(conn, cycles, true, Pack::Later).await
    }

    /// Stores `cycles` as frames, `latest`: as their servers' latest; returns `(server id, frame
    /// id)` of each, in order.
    pub(crate) async fn write_frames(
        &self,
        conn: &mut DB::Connection,
        cycles: &[(CycleRef<'_>, i64)],
        latest: bool,
        pack: Pack,
    ) -> Result<Vec<(i64, i64)>> {
        if cycles.is_empty() {
            return Ok(Vec::new());
        }
        // A server twice in one batch: one at a time, in order (the last one wins). Its windows
        // are packed as each is written: a later frame of the batch must not be packed.
        let mut names = std::collections::HashSet::new();
        if !cycles.iter().all(|(c, _)| names.insert(c.sample.server_name.as_str())) {
            let mut ids = Vec::with_capacity(cycles.len());
            for one in cycles.chunks(1) {
                ids.extend(Box::pin(self.write_frames(conn, one, latest, Pack::Now)).await?);
            }
            return Ok(ids);
        }
        let mut rows = Vec::with_capacity(cycles.len());
        // Facts the cache does not know, resolved together after the loop: (row, facts).
        let mut unknown: Vec<(usize, Facts)> = Vec::new();
        for (cycle, _) in cycles {
            let ts_ms = to_ms(cycle.sample.timestamp);
            let server_id = self.server_id(conn, &cycle.sample.server_name).await?;
            let (facts, values) = cycle.split_values();
            let facts_id = match self.cache.same_facts(server_id, &facts) {
                Some(id) => id,
                None => {
                    unknown.push((rows.len(), facts));
                    0
                }
            };
            let (by_cpu, by_memory) = cycle.processes();
            rows.push((
                server_id,
                ts_ms,
                facts_id,
                cycle.details.is_some(),
                cycle.users.len() as i64,
                frame::encode_parts(&values, cycle.users, by_cpu, by_memory),
            ));
        }
        let wanted: Vec<(i64, &Facts, i64)> = unknown.iter().map(|(row, f)| (rows[*row].0, f, rows[*row].1)).collect();
        let found = self.facts_ids(conn, &wanted).await?;
        for ((row, facts), (id, bytes)) in unknown.into_iter().zip(found) {
            rows[row].2 = id;
            self.cache.set_last(rows[row].0, facts, id, bytes);
        }
        let servers: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let mut ids: HashMap<i64, i64> = HashMap::with_capacity(rows.len());
        while !rows.is_empty() {
            // The rows are moved into the query: their bodies are bound, not copied.
            let chunk: Vec<_> = rows.drain(..rows.len().min(ROWS_PER_INSERT)).collect();
            let mut qb = QueryBuilder::<DB>::new(sql::INSERT_FRAMES);
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.0).push_bind(r.1).push_bind(r.2).push_bind(r.3).push_bind(r.4).push_bind(r.5);
            });
            qb.push(" RETURNING id, server_id");
            let returned: Vec<(i64, i64)> = qb.build_query_as().persistent(false).fetch_all(&mut *conn).await?;
            ids.extend(returned.into_iter().map(|(id, server)| (server, id)));
        }
        let frame_ids: Vec<i64> = servers.iter().map(|s| ids.get(s).copied().unwrap_or(0)).collect();
        if latest {
            let states = cycles.iter().zip(&frame_ids).map(|((c, duration), id)| (c.sample, *duration, *id)).collect();
            DB::upsert_states(conn, states).await?;
        }
        let written: Vec<(i64, i64)> = servers.into_iter().zip(frame_ids).collect();
        if pack == Pack::Now {
            self.pack_closed(conn, &written).await?;
        }
        Ok(written)
    }

    /// Packs the windows that closed among `written` (`(server id, frame id)`; that frame, the
    /// server's latest, stays hot).
    pub(crate) async fn pack_closed(&self, conn: &mut DB::Connection, written: &[(i64, i64)]) -> Result<()> {
        if written.is_empty() {
            return Ok(());
        }
        let servers: Vec<i64> = written.iter().map(|w| w.0).collect();
        let mut qb = QueryBuilder::<DB>::new(sql::COUNT_FRAMES_IN);
        push_id_list(&mut qb, &servers);
        qb.push(" GROUP BY server_id");
        let counts: HashMap<i64, i64> =
            qb.build_query_as::<(i64, i64)>().persistent(false).fetch_all(&mut *conn).await?.into_iter().collect();
        for &(server_id, keep) in written {
            let hot = counts.get(&server_id).copied().unwrap_or(1) - 1;
            self.maybe_compact(conn, server_id, keep, hot).await?;
        }
        Ok(())
    }

    pub(crate) async fn server_id(&self, conn: &mut DB::Connection, name: &str) -> Result<i64> {
        if let Some(id) = self.cache.server(name) {
            return Ok(id);
        }
        let id: i64 = sqlx::query_scalar(sql::SERVER_ID).bind(name).fetch_one(&mut *conn).await?;
        self.cache.set_server(name, id);
        Ok(id)
    }

    /// The ids of servers' facts, `(server id, facts, time)` with one server at most once,
    /// each stored first if it is new, and their encoded sizes: one query for those the cache
    /// does not know, one for the bases of the new ones and one insert for them, whatever their
    /// number. New facts are stored as a patch of the server's latest whole facts
    /// ([`crate::compact::patch`]) when that is less than half their size deflated.
    async fn facts_ids(&self, conn: &mut DB::Connection, wanted: &[(i64, &Facts, i64)]) -> Result<Vec<(i64, usize)>> {
        let encoded = wanted.iter().map(|(_, f, _)| f.encode()).collect::<Result<Vec<_>>>()?;
        let mut ids: Vec<Option<i64>> =
            wanted.iter().zip(&encoded).map(|((server, _, _), (_, hash))| self.cache.current(*server, *hash)).collect();
        let open: Vec<usize> = (0..wanted.len()).filter(|&i| ids[i].is_none()).collect();
        for chunk in open.chunks(ROWS_PER_INSERT) {
            let mut qb = QueryBuilder::<DB>::new(sql::FACTS_BY_HASH_IN);
            push_id_list(&mut qb, &chunk.iter().map(|&i| wanted[i].0).collect::<Vec<_>>());
            qb.push(" AND f.hash IN ");
            push_id_list(&mut qb, &chunk.iter().map(|&i| encoded[i].1).collect::<Vec<_>>());
            let rows: Vec<FactsRow> = qb.build_query_as().persistent(false).fetch_all(&mut *conn).await?;
            let at: HashMap<(i64, i64), usize> = chunk.iter().map(|&i| ((wanted[i].0, encoded[i].1), i)).collect();
            for (id, server, hash, body, base_id, base) in rows {
                let Some(&i) = at.get(&(server, hash)).filter(|&&i| ids[i].is_none()) else { continue };
                let same = match base_id {
                    None => inflate(&body, MAX_FACTS)? == encoded[i].0,
                    Some(_) => row_facts(id, &body, base_id, base.as_deref())?.0 == *wanted[i].1,
                };
                if same {
                    ids[i] = Some(id);
                }
            }
        }
        let new: Vec<usize> = (0..wanted.len()).filter(|&i| ids[i].is_none()).collect();
        let bases = self.facts_bases(conn, &new.iter().map(|&i| wanted[i].0).collect::<Vec<_>>()).await?;
        let mut bodies: HashMap<usize, (Option<i64>, Vec<u8>)> = HashMap::new();
        for &i in &new {
            let whole = deflate(&encoded[i].0);
            let patched = match bases.get(&wanted[i].0) {
                Some((base_id, base)) => {
                    let patch = deflate(&wanted[i].1.patch_of(&inflate(base, MAX_FACTS)?)?);
                    (patch.len() * 2 < whole.len()).then_some((Some(*base_id), patch))
                }
                None => None,
            };
            bodies.insert(i, patched.unwrap_or((None, whole)));
        }
        for chunk in new.chunks(ROWS_PER_INSERT) {
            let mut qb = QueryBuilder::<DB>::new(sql::INSERT_FACTS_VALUES);
            qb.push_values(chunk, |mut b, &i| {
                let (server, _, ts_ms) = wanted[i];
                let (base_id, body) = bodies.remove(&i).unwrap_or_default();
                b.push_bind(server).push_bind(encoded[i].1).push_bind(ts_ms).push_bind(base_id).push_bind(body);
            });
            qb.push(" RETURNING id, server_id");
            let returned: Vec<(i64, i64)> = qb.build_query_as().persistent(false).fetch_all(&mut *conn).await?;
            let by_server: HashMap<i64, i64> = returned.into_iter().map(|(id, server)| (server, id)).collect();
            for &i in chunk {
                ids[i] = by_server.get(&wanted[i].0).copied();
            }
        }
        let mut out = Vec::with_capacity(wanted.len());
        for (i, (server, _, _)) in wanted.iter().enumerate() {
            let id = ids[i].ok_or_else(|| Error::Corrupt(format!("facts of server {server} were not stored")))?;
            self.cache.set_current(*server, encoded[i].1, id);
            out.push((id, encoded[i].0.len()));
        }
        Ok(out)
    }

    /// Each server's latest whole facts row (id, deflated body), the base new facts are
    /// patched against; servers with none are left out.
    async fn facts_bases(&self, conn: &mut DB::Connection, servers: &[i64]) -> Result<HashMap<i64, (i64, Vec<u8>)>> {
        let mut out = HashMap::new();
        for chunk in servers.chunks(ROWS_PER_INSERT) {
            let mut qb = QueryBuilder::<DB>::new(sql::FACTS_BASES_IN);
            push_id_list(&mut qb, chunk);
            qb.push(" GROUP BY server_id)");
            let rows: Vec<(i64, i64, Vec<u8>)> = qb.build_query_as().persistent(false).fetch_all(&mut *conn).await?;
            out.extend(rows.into_iter().map(|(id, server, body)| (server, (id, body))));
        }
        Ok(out)
    }

    /// Facts by id, decoded (and remembered).
    pub(crate) async fn stored_facts(&self, conn: &mut DB::Connection, id: i64) -> Result<Arc<StoredFacts>> {
        if let Some(f) = self.cache.facts(id) {
            return Ok(f);
        }
        let row: Option<FactsBody> = sqlx::query_as(sql::FACTS).bind(id).fetch_optional(&mut *conn).await?;
        let (body, base_id, base) = row.ok_or_else(|| Error::Corrupt(format!("facts {id} are missing")))?;
        let (facts, bytes) = row_facts(id, &body, base_id, base.as_deref())?;
        let f = Arc::new(StoredFacts::new(facts));
        self.cache.set_facts(id, f.clone(), bytes);
        Ok(f)
    }

    /// Compacts a window of the server if it has `hot` frames besides `keep` and its window closed.
    async fn maybe_compact(&self, conn: &mut DB::Connection, server_id: i64, keep: i64, hot: i64) -> Result<()> {
        let first_window = 1 + server_id.rem_euclid(WINDOW);
        let due = hot >= WINDOW
            || (hot == first_window && {
                let blocks: i64 = sqlx::query_scalar(sql::HAS_BLOCKS).bind(server_id).fetch_one(&mut *conn).await?;
                blocks == 0
            });
        if due {
            self.compact_window(conn, server_id, keep).await?;
        }
        Ok(())
    }

    /// Packs a server's oldest hot frames (at most [`WINDOW`], never `keep`) into one block.
    /// Returns how many frames it packed.
    pub(crate) async fn compact_window(&self, conn: &mut DB::Connection, server_id: i64, keep: i64) -> Result<usize> {
        let rows =
            sqlx::query(sql::WINDOW_FRAMES).bind(server_id).bind(keep).bind(WINDOW).fetch_all(&mut *conn).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut frames = Vec::with_capacity(rows.len());
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let (id, ts_ms, facts_id): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let body: Vec<u8> = row.try_get(4)?;
            let facts = self.stored_facts(conn, facts_id).await?;
            frames.push(BlockFrame { ts_ms, facts_id, changing: frame::decode(&body, &facts.names)? });
            ids.push(id);
        }
        self.insert_block(conn, server_id, &frames, compaction_effort(&frames)).await?;
        let mut qb = QueryBuilder::<DB>::new(sql::DELETE_FRAMES_IN);
        push_id_list(&mut qb, &ids);
        qb.build().persistent(false).execute(&mut *conn).await?;
        Ok(ids.len())
    }

    pub(crate) async fn insert_block(
        &self,
        conn: &mut DB::Connection,
        server_id: i64,
        frames: &[BlockFrame],
        effort: Effort,
    ) -> Result<()> {
        let (meta, packed) = pack(frames, effort);
        sqlx::query(sql::INSERT_BLOCK)
            .bind(server_id)
            .bind(meta.first_ms)
            .bind(meta.last_ms)
            .bind(meta.frames)
            .bind(meta.user_rows)
            .bind(meta.users_first_ms)
            .bind(meta.users_last_ms)
            .bind(meta.facts_lo)
            .bind(meta.facts_hi)
            .bind(packed.figures)
            .bind(packed.lists)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Drops the frames before `before_ms` from the blocks that also hold later ones (re-packed,
    /// so their floats keep their significant digits); returns how many frames went. A sealed
    /// block (see `crate::sealing`) is cut into blocks of [`WINDOW`] frames as it is trimmed the
    /// first time, so that the passes after trim a window, not 6 hours of frames.
    pub(crate) async fn trim_blocks(&self, before_ms: i64) -> Result<u64> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let rows: Vec<(i64, i64, Vec<u8>, Vec<u8>)> =
            sqlx::query_as(sql::STRADDLING_BLOCKS).bind(before_ms).fetch_all(&mut *tx).await?;
        let mut deleted = 0u64;
        for (id, server_id, figures, lists) in rows {
            let mut frames = unpack_frames(&figures, &lists)?;
            let before = frames.len();
            frames.retain(|f| f.ts_ms >= before_ms);
            deleted += (before - frames.len()) as u64;
            if frames.is_empty() {
                sqlx::query(sql::DELETE_BLOCK).bind(id).execute(&mut *tx).await?;
                continue;
            }
            let window = usize::try_from(WINDOW).unwrap_or(64);
            let mut pieces = frames.chunks(window);
            let first = pieces.next().unwrap_or_default();
            for piece in pieces {
                self.insert_block(&mut tx, server_id, piece, Effort::Small).await?;
            }
            let (meta, packed) = pack(first, Effort::Small);
            sqlx::query(sql::UPDATE_BLOCK)
                .bind(id)
                .bind(meta.first_ms)
                .bind(meta.last_ms)
                .bind(meta.frames)
                .bind(meta.user_rows)
                .bind(meta.users_first_ms)
                .bind(meta.users_last_ms)
                .bind(meta.facts_lo)
                .bind(meta.facts_hi)
                .bind(packed.figures)
                .bind(packed.lists)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }
}

/// A block's frames as they went in: every figure of the block's names (missing where a frame
/// had none), and each frame's lists.
pub(crate) fn unpack_frames(figures: &[u8], lists: &[u8]) -> Result<Vec<BlockFrame>> {
    let fig = Figures::open(figures)?;
    let columns = fig.in_order()?;
    let mut lists = unpack_lists(lists)?.into_iter();
    Ok((0..fig.rows())
        .map(|row| {
            let figures =
                columns.iter().map(|(name, c)| Figure { name: name.clone(), value: value_at(c, row) }).collect();
            let (users, by_cpu, by_memory) = lists.next().unwrap_or_default();
            let changing = Changing { figures, users, by_cpu, by_memory };
            BlockFrame { ts_ms: fig.ts[row], facts_id: fig.facts[row], changing }
        })
        .collect())
}

/// How compaction packs a window: quickly (see [`Effort::Quick`]) if sealing will pack it
/// again, that is if its span is sure to hold other blocks: the window covers under a third of
/// a span, so that blocks start at least twice in every span (at a schedule of under 1.9
/// minutes; unless the server was down for hours). At longer schedules a span may hold this
/// block alone, and a span of one block is not sealed: packed small now.
fn compaction_effort(frames: &[BlockFrame]) -> Effort {
    let first = frames.first().map_or(0, |f| f.ts_ms);
    let last = frames.last().map_or(0, |f| f.ts_ms);
    if last.saturating_sub(first).saturating_mul(3) < crate::sealing::RAW_SPAN_MS {
        Effort::Quick
    } else {
        Effort::Small
    }
}

/// What a block row says besides its blobs.
pub(crate) struct BlockMeta {
    pub(crate) first_ms: i64,
    pub(crate) last_ms: i64,
    pub(crate) frames: i64,
    pub(crate) user_rows: i64,
    pub(crate) users_first_ms: Option<i64>,
    pub(crate) users_last_ms: Option<i64>,
    pub(crate) facts_lo: i64,
    pub(crate) facts_hi: i64,
}

/// Packs frames (sorted by time) into a block and its row's figures.
pub(crate) fn pack(frames: &[BlockFrame], effort: Effort) -> (BlockMeta, block::Packed) {
    let with_users = || frames.iter().filter(|f| !f.changing.users.is_empty()).map(|f| f.ts_ms);
    let meta = BlockMeta {
        first_ms: frames.iter().map(|f| f.ts_ms).min().unwrap_or(0),
        last_ms: frames.iter().map(|f| f.ts_ms).max().unwrap_or(0),
        frames: frames.len() as i64,
        user_rows: frames.iter().map(|f| f.changing.users.len() as i64).sum(),
        users_first_ms: with_users().min(),
        users_last_ms: with_users().max(),
        facts_lo: frames.iter().map(|f| f.facts_id).min().unwrap_or(0),
        facts_hi: frames.iter().map(|f| f.facts_id).max().unwrap_or(0),
    };
    (meta, block::pack(frames, effort))
}

/// A facts row as `FACTS_BY_HASH_IN` reads it: id, server id, hash, body, base id, the base's body.
type FactsRow = (i64, i64, i64, Vec<u8>, Option<i64>, Option<Vec<u8>>);

/// A facts row as `FACTS` reads it: body, base id, the base's body.
type FactsBody = (Vec<u8>, Option<i64>, Option<Vec<u8>>);

/// A facts row's facts (`id` for the error) and their stored form's size: its body whole, or a
/// patch of its base's body.
fn row_facts(id: i64, body: &[u8], base_id: Option<i64>, base: Option<&[u8]>) -> Result<(Facts, usize)> {
    let json = inflate(body, MAX_FACTS)?;
    match (base_id, base) {
        (None, _) => Ok((Facts::decode(&json)?, json.len())),
        (Some(_), Some(base)) => {
            let base = inflate(base, MAX_FACTS)?;
            Ok((Facts::decode_patch(&base, &json)?, base.len()))
        }
        (Some(base_id), None) => {
            Err(Error::Corrupt(format!("facts {id} are a patch of facts {base_id}, which are missing")))
        }
    }
}

/// Appends `(id, id, …)` to a query.
pub(crate) fn push_id_list<DB>(qb: &mut QueryBuilder<DB>, ids: &[i64])
where
    DB: sqlx::Database,
    for<'b> i64: Encode<'b, DB> + Type<DB>,
{
    qb.push("(");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}
