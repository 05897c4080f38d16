//! Rollup tiers in the database: making them as data ages ([`SqlStore::roll_up_all`], run by
//! the maintenance pass) and reading a range from the tier that suits it ([`SqlStore::tiered`]).
//!
//! A server's tier is complete up to its `rollup_progress`; a read takes the tier's buckets
//! before that and summarises what came after from the finer data (raw samples), so a chart is
//! never missing its last minutes and works before the first maintenance pass.

use std::collections::HashMap;

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use crate::backend::{Backend, SqlStore};
use crate::compact::block::{Figures, value_at};
use crate::compact::column::Column;
use crate::compact::cycle::{Name, Value};
use crate::compact::frame;
use crate::compact::rollup::{Builder, Rollup, TIERS, chunk_of, tier_name};
use crate::error::Result;
use crate::rollup_sql as sql;
use crate::sample_sql;
use crate::sealing::RAW_SPAN_MS;
use crate::types::{ServerBytes, TierStats};
use crate::values::from_ms_opt;

/// A bucket is summarised this long after it ends, so that samples stored a little late (a
/// slow cycle, a batch) are in it.
pub(crate) const LAG_MS: i64 = 120_000;

/// Buckets written per transaction.
const STEP_BUCKETS: i64 = crate::compact::rollup::CHUNK_BUCKETS;

/// Samples of a range, figures named through a table: (time, order, (name index, int, value)).
type RawSamples = (Vec<(String, bool)>, Vec<(i64, usize, Vec<(usize, bool, f64)>)>);

fn floor(t: i64, width: i64) -> i64 {
    t.div_euclid(width) * width
}

/// The earlier of two times, either of which may be missing.
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Up to when the 5-minute tier is written at `now_ms`, raw samples being kept for `raw_age`:
/// at least an hour before they expire, so that retention finds them summarised, and never after
/// `now_ms` (at once, as the other tiers, when raw samples are kept forever). The horizon moves
/// by whole spans of sealed raw blocks (6 hours), so that each sealed block is read once for the
/// tier rather than at every maintenance pass. Until then the raw samples are the tier's data
/// (reads summarise them, as after any tier's progress): a week of buckets that would say what
/// raw samples say is not stored.
pub(crate) fn five_minute_horizon(now_ms: i64, raw_age: Option<std::time::Duration>) -> i64 {
    const MARGIN_MS: i64 = RAW_SPAN_MS + 3_600_000;
    match raw_age {
        Some(age) => {
            let expiry = now_ms.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
            floor(expiry.saturating_add(MARGIN_MS), RAW_SPAN_MS).min(now_ms)
        }
        None => now_ms,
    }
}

fn number(v: Value) -> Option<(bool, f64)> {
    match v {
        Value::I(i) => i.map(|i| (true, i as f64)),
        Value::F(f) => f.map(|f| (false, f)),
    }
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
    for<'a> Option<i64>: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Vec<u8>: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    /// Summarises every server's complete buckets of every tier up to `now_ms`; returns how
    /// many buckets were written. The 5-minute tier is written only up to `raw_until`: raw
    /// samples are its data until they are about to expire (see [`five_minute_horizon`]), and
    /// the hourly tier is made from 5-minute buckets where there are some and from raw samples
    /// after. Reads outside transactions; each write is one short transaction of at most a
    /// chunk's buckets.
    pub(crate) async fn roll_up_all(&self, now_ms: i64, raw_until: i64) -> Result<u64> {
        let servers: Vec<i64> = sqlx::query_scalar(sql::SERVER_IDS).fetch_all(&self.pool).await?;
        let mut written = 0;
        for id in servers {
            written += self.roll_up_server(id, now_ms, raw_until).await?;
        }
        Ok(written)
    }

    async fn roll_up_server(&self, server_id: i64, now_ms: i64, raw_until: i64) -> Result<u64> {
        let progress: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(sql::PROGRESS)
            .bind(server_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .collect();
        let mut written = 0;
        let mut finer_done: Option<i64> = None;
        for (i, &width) in TIERS.iter().enumerate() {
            let limit = match (i, finer_done) {
                (0, _) => floor((now_ms - LAG_MS).min(raw_until), width),
                // The hour reads 5-minute buckets, then raw samples: both end at `now - LAG`.
                (1, Some(_)) => floor(now_ms - LAG_MS, width),
                (_, Some(d)) => floor(d, width),
                (_, None) => break,
            };
            let first = match progress.get(&width) {
                Some(&d) => Some(d),
                None => {
                    let mut oldest = self.oldest(server_id, (i > 0).then(|| TIERS[i - 1])).await?;
                    if i == 1 {
                        oldest = earliest(oldest, self.oldest(server_id, None).await?);
                    }
                    oldest.map(|t| floor(t, width))
                }
            };
            let Some(mut done) = first else { break };
            while done < limit {
                let end = (done + STEP_BUCKETS * width).min(limit);
                let rollup = match (i, finer_done) {
                    (0, _) => build(self.raw_samples(server_id, done, end - 1, None).await?, width, 0, false),
                    (1, Some(five)) if end > five => {
                        // 5-minute buckets up to the tier's progress, raw samples after it.
                        let stored = if done < five {
                            self.tier_range(server_id, TIERS[0], done, five, None).await?
                        } else {
                            Rollup::default()
                        };
                        let raw = build(
                            self.raw_samples(server_id, done.max(five), end - 1, None).await?,
                            TIERS[0],
                            0,
                            false,
                        );
                        stored.with(&raw).coarsen(width, 0)
                    }
                    _ => self.tier_range(server_id, TIERS[i - 1], done, end, None).await?.coarsen(width, 0),
                };
                let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
                written += self.store_buckets(&mut tx, server_id, width, &rollup).await?;
                sqlx::query(sql::SET_PROGRESS).bind(server_id).bind(width).bind(end).execute(&mut *tx).await?;
                tx.commit().await?;
                done = end;
                if rollup.is_empty() && done < limit {
                    // Skip a gap (a server offline for a while) in one step.
                    let mut next = self.next_data(server_id, (i > 0).then(|| TIERS[i - 1]), done).await?;
                    if i == 1 {
                        next = earliest(next, self.next_data(server_id, None, done).await?);
                    }
                    done = next.map_or(limit, |n| floor(n, width).max(done)).min(limit);
                }
            }
            finer_done = Some(done);
        }
        Ok(written)
    }

    /// The oldest time with raw samples (`tier = None`) or buckets of a tier.
    async fn oldest(&self, server_id: i64, tier: Option<i64>) -> Result<Option<i64>> {
        Ok(match tier {
            None => sqlx::query_scalar(sql::OLDEST_RAW).bind(server_id).fetch_one(&self.pool).await?,
            Some(t) => sqlx::query_scalar(sql::OLDEST_ROLLUP).bind(server_id).bind(t).fetch_one(&self.pool).await?,
        })
    }

    /// The first time at or after `from` with data of the source.
    async fn next_data(&self, server_id: i64, tier: Option<i64>, from: i64) -> Result<Option<i64>> {
        Ok(match tier {
            None => sqlx::query_scalar(sql::NEXT_RAW).bind(server_id).bind(from).fetch_one(&self.pool).await?,
            Some(t) => {
                sqlx::query_scalar(sql::NEXT_ROLLUP).bind(server_id).bind(t).bind(from).fetch_one(&self.pool).await?
            }
        })
    }

    /// Writes buckets into their chunks (merged with what the chunks hold); returns how many.
    async fn store_buckets(&self, conn: &mut DB::Connection, server_id: i64, width: i64, r: &Rollup) -> Result<u64> {
        let mut chunks: Vec<i64> = r.starts.iter().map(|&s| chunk_of(s, width)).collect();
        chunks.dedup();
        for chunk in chunks {
            let mut part = r.clone();
            part.retain(|s| chunk_of(s, width) == chunk);
            let old: Option<(i64, Vec<u8>)> =
                sqlx::query_as(sql::CHUNK).bind(server_id).bind(width).bind(chunk).fetch_optional(&mut *conn).await?;
            let merged = match old {
                Some((shown_from, body)) => Rollup::decode_shown(&body, None, shown_from)?.with(&part),
                None => part,
            };
            self.upsert_chunk(conn, server_id, width, chunk, &merged).await?;
        }
        Ok(r.len() as u64)
    }

    /// Writes a chunk keyed by `key` (its span's start), replacing the one with that key.
    pub(crate) async fn upsert_chunk(
        &self,
        conn: &mut DB::Connection,
        server_id: i64,
        width: i64,
        key: i64,
        chunk: &Rollup,
    ) -> Result<()> {
        sqlx::query(sql::UPSERT_CHUNK)
            .bind(server_id)
            .bind(width)
            .bind(key)
            .bind(chunk.starts.first().copied().unwrap_or(key))
            .bind(chunk.starts.last().copied().unwrap_or(key))
            .bind(chunk.len() as i64)
            .bind(chunk.encode())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// A tier's buckets starting within `[from, to)`, with every figure or only those named.
    pub(crate) async fn tier_range(
        &self,
        server_id: i64,
        width: i64,
        from: i64,
        to: i64,
        only: Option<&[&str]>,
    ) -> Result<Rollup> {
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(sql::CHUNKS_IN)
            .bind(server_id)
            .bind(width)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Rollup::default();
        for (shown_from, body) in rows {
            let mut chunk = Rollup::decode_shown(&body, only, shown_from)?;
            chunk.retain(|s| s >= from && s < to);
            out = if out.is_empty() { chunk } else { out.with(&chunk) };
        }
        Ok(out)
    }

    /// The raw samples of a server within `[from, to]` (both included), oldest first, with
    /// every figure or only those named.
    pub(crate) async fn raw_samples(
        &self,
        server_id: i64,
        from: i64,
        to: i64,
        only: Option<&[&str]>,
    ) -> Result<RawSamples> {
        let mut conn = self.pool.acquire().await?;
        let mut names: Vec<(String, bool)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut name_id = |name: &str, int: bool| -> usize {
            if let Some(&i) = index.get(name) {
                return i;
            }
            index.insert(name.to_owned(), names.len());
            names.push((name.to_owned(), int));
            names.len() - 1
        };
        let mut samples = Vec::new();
        let blocks: Vec<Vec<u8>> =
            sqlx::query_scalar(sample_sql::BLOCKS_IN).bind(server_id).bind(from).bind(to).fetch_all(&mut *conn).await?;
        for blob in &blocks {
            let fig = Figures::open(blob)?;
            let columns: Vec<(Name, Column)> = match only {
                None => fig.all()?.into_iter().collect(),
                Some(names) => names
                    .iter()
                    .map(|n| Ok(fig.column(n)?.map(|c| (Name::from(*n), c))))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .flatten()
                    .collect(),
            };
            let ids: Vec<usize> = columns.iter().map(|(n, c)| name_id(n, matches!(c, Column::Int(_)))).collect();
            for (row, &ts) in fig.ts.iter().enumerate() {
                if ts < from || ts > to {
                    continue;
                }
                let values = columns
                    .iter()
                    .zip(&ids)
                    .filter_map(|((_, c), &id)| number(value_at(c, row)).map(|(int, v)| (id, int, v)))
                    .collect();
                samples.push((ts, samples.len(), values));
            }
        }
        let rows = sqlx::query(sample_sql::FRAMES_IN).bind(server_id).bind(from).bind(to).fetch_all(&mut *conn).await?;
        for row in &rows {
            let (ts, facts_id): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
            let body: Vec<u8> = row.try_get(3)?;
            let facts = self.stored_facts(&mut conn, facts_id).await?;
            let ch = frame::decode(&body, &facts.names)?;
            let values = ch
                .figures
                .iter()
                .filter(|f| only.is_none_or(|o| o.contains(&&*f.name)))
                .filter_map(|f| number(f.value).map(|(int, v)| (name_id(&f.name, int), int, v)))
                .collect();
            samples.push((ts, samples.len(), values));
        }
        samples.sort_by_key(|s| (s.0, s.1));
        Ok((names, samples))
    }

    /// The named figures of a server over `[from, to]` (both included) in buckets of `width`
    /// ms aligned on `from`, each stamped with its first sample's or bucket's time: from raw
    /// samples when `width` is under the finest tier, else from the coarsest tier not wider
    /// than `width` that holds data from `from` (or, if none does, the one that goes furthest
    /// back), completed from raw samples after the tier's progress.
    pub(crate) async fn tiered(&self, server: &str, names: &[&str], from: i64, to: i64, width: i64) -> Result<Rollup> {
        let mut conn = self.pool.acquire().await?;
        let server_id: Option<i64> =
            sqlx::query_scalar(sample_sql::FIND_SERVER).bind(server).fetch_optional(&mut *conn).await?;
        drop(conn);
        let Some(server_id) = server_id else { return Ok(Rollup::default()) };
        // Candidates, finest first: raw (if the width asks for it), then the tiers that fit.
        let finest = TIERS.iter().rposition(|&t| t <= width);
        let mut candidates: Vec<Option<i64>> = Vec::new();
        if finest.is_none() {
            candidates.push(None);
        }
        candidates.extend(TIERS[finest.unwrap_or(0)..].iter().map(|&t| Some(t)));
        let mut chosen: Option<(Option<i64>, i64)> = None;
        for c in candidates {
            let oldest = self.oldest(server_id, c).await?;
            // Else the source that goes furthest back; a tier's data from the end of its
            // oldest bucket, so that raw samples win over buckets of the same start.
            let mut since = oldest.map_or(i64::MAX, |o| o.saturating_add(c.unwrap_or(0)));
            let mut oldest = oldest;
            if c == Some(TIERS[0]) {
                // Raw samples are the 5-minute tier's data until they are about to expire (from
                // their own time, not a bucket's end: a coarser tier must not win over them).
                let raw = self.oldest(server_id, None).await?;
                oldest = earliest(oldest, raw);
                since = since.min(raw.unwrap_or(i64::MAX));
            }
            if oldest.is_some_and(|o| o <= from) {
                chosen = Some((c, i64::MIN));
                break;
            }
            if chosen.is_none_or(|(_, s)| since < s) {
                chosen = Some((c, since));
            }
        }
        let tier = chosen.and_then(|(c, _)| c);
        let Some(tier) = tier else {
            return Ok(build(self.raw_samples(server_id, from, to, Some(names)).await?, width, from, true));
        };
        let done: Option<i64> =
            sqlx::query_scalar(sql::DONE).bind(server_id).bind(tier).fetch_optional(&self.pool).await?;
        let done = done.unwrap_or(i64::MIN).max(from);
        let stored = self.tier_range(server_id, tier, from, done.min(to.saturating_add(1)), Some(names)).await?;
        let mut b = Builder::new(width, from, true);
        // The tier's buckets start at or after `from`: what comes before the first of them is
        // read from raw samples, where they are still kept.
        let edge = floor(from.saturating_add(tier - 1), tier).min(done).min(to.saturating_add(1));
        if from < edge {
            let (names, samples) = self.raw_samples(server_id, from, edge - 1, Some(names)).await?;
            for (ts, _, values) in &samples {
                b.add_sample(*ts, values.iter().map(|&(id, int, v)| (names[id].0.as_str(), int, v)));
            }
        }
        for i in 0..stored.len() {
            b.add_bucket(&stored, i);
        }
        if done <= to {
            let (names, samples) = self.raw_samples(server_id, done, to, Some(names)).await?;
            for (ts, _, values) in &samples {
                b.add_sample(*ts, values.iter().map(|&(id, int, v)| (names[id].0.as_str(), int, v)));
            }
        }
        Ok(b.finish())
    }

    /// Benchmark support, not part of the store's API: writes buckets of tier `tier_ms` (300000,
    /// 3600000 or 86400000) made from `samples` (each with its details; several per bucket make
    /// its average, minimum, maximum and last differ as real ones do) for `server`, and moves
    /// the tier's progress past them. Lets the storage bench build a year of tiers at their
    /// real density without writing a year of raw samples first.
    #[doc(hidden)]
    pub async fn bench_write_tier(
        &self,
        tier_ms: i64,
        samples: &[(fleetwatch_common::Sample, fleetwatch_common::Details)],
    ) -> Result<u64> {
        let Some((first, _)) = samples.first() else { return Ok(0) };
        let mut b = Builder::new(tier_ms, 0, false);
        for (sample, details) in samples {
            let cycle = crate::compact::cycle::Cycle {
                sample: sample.clone(),
                users: Vec::new(),
                details: Some(details.clone()),
            };
            let (_, changing) = cycle.split();
            let t = crate::values::to_ms(sample.timestamp);
            b.add_sample(t, changing.figures.iter().filter_map(|f| number(f.value).map(|(int, v)| (&*f.name, int, v))));
        }
        let rollup = b.finish();
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let server_id = self.server_id(&mut tx, &first.server_name).await?;
        let written = self.store_buckets(&mut tx, server_id, tier_ms, &rollup).await?;
        let end = rollup.starts.last().map_or(0, |s| s + tier_ms);
        sqlx::query(sql::SET_PROGRESS).bind(server_id).bind(tier_ms).bind(end).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// `db-stats`' tiers: raw samples, then each rollup tier.
    pub(crate) async fn tier_stats(&self) -> Result<Vec<TierStats>> {
        type Raw = (i64, i64, i64, Option<i64>, Option<i64>);
        let raw: Vec<Raw> = sqlx::query_as(sql::RAW_STATS).fetch_all(&self.pool).await?;
        let mut out = vec![TierStats {
            tier: "raw".into(),
            rows: raw.iter().map(|r| r.0).sum(),
            points: raw.iter().map(|r| r.1).sum(),
            bytes: raw.iter().map(|r| r.2).sum(),
            oldest: from_ms_opt(raw.iter().filter_map(|r| r.3).min())?,
            newest: from_ms_opt(raw.iter().filter_map(|r| r.4).max())?,
        }];
        type Tier = (i64, i64, i64, i64, Option<i64>, Option<i64>);
        let tiers: Vec<Tier> = sqlx::query_as(sql::TIER_STATS).fetch_all(&self.pool).await?;
        for &width in &TIERS {
            let t = tiers.iter().find(|t| t.0 == width);
            out.push(TierStats {
                tier: tier_name(width).into(),
                rows: t.map_or(0, |t| t.1),
                points: t.map_or(0, |t| t.2),
                bytes: t.map_or(0, |t| t.3),
                oldest: from_ms_opt(t.and_then(|t| t.4))?,
                newest: from_ms_opt(t.and_then(|t| t.5))?,
            });
        }
        Ok(out)
    }

    /// `db-stats`' bytes per server.
    pub(crate) async fn server_bytes(&self) -> Result<Vec<ServerBytes>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(sql::SERVER_BYTES).fetch_all(&self.pool).await?;
        let mut out: Vec<ServerBytes> = rows
            .into_iter()
            .map(|(server_name, raw_bytes, rollup_bytes)| ServerBytes { server_name, raw_bytes, rollup_bytes })
            .collect();
        out.sort_by(|a, b| a.server_name.cmp(&b.server_name));
        Ok(out)
    }
}

/// Raw samples into buckets.
fn build((names, samples): RawSamples, width: i64, origin: i64, stamp_first: bool) -> Rollup {
    let mut b = Builder::new(width, origin, stamp_first);
    for (ts, _, values) in &samples {
        b.add_sample(*ts, values.iter().map(|&(id, int, v)| (names[id].0.as_str(), int, v)));
    }
    b.finish()
}
