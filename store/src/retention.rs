//! Retention per tier: the maintenance pass that summarises what aged into the rollup tiers,
//! then deletes what is past each tier's age, in small batches and short transactions so that
//! a cycle's writes are never kept waiting for long.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use crate::backend::{Backend, SqlStore};
use crate::compact::rollup::{Rollup, TIERS, chunk_of};
use crate::error::Result;
use crate::rollup_sql as sql;
use crate::rollups::five_minute_horizon;
use crate::sample_sql;
use crate::samples::push_id_list;
use crate::types::{Maintenance, Retention};
use crate::values::to_ms;

/// Chunks deleted per statement.
const CHUNK_BATCH: i64 = 100;

/// Blocks deleted per statement.
const BLOCK_BATCH: i64 = 200;

fn cutoff(now_ms: i64, age: Option<std::time::Duration>) -> Option<i64> {
    age.map(|a| now_ms.saturating_sub(i64::try_from(a.as_millis()).unwrap_or(i64::MAX)))
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
    /// Rolls up, then deletes raw samples and buckets past their tier's age. Data is never
    /// deleted before the next tier has summarised it: each tier's cutoff is at most the next
    /// tier's progress.
    pub(crate) async fn maintain_tiers(&self, retention: &Retention, now: DateTime<Utc>) -> Result<Maintenance> {
        let now_ms = to_ms(now);
        let raw_until = five_minute_horizon(now_ms, retention.raw);
        let mut report =
            Maintenance { rolled_up: self.roll_up_all(now_ms, raw_until).await?, ..Maintenance::default() };
        let ages = [retention.raw, retention.five_min, retention.hour, retention.day];
        // Spans that retention is about to trim are not sealed (it would cut them up again).
        let cuts = ages.map(|age| cutoff(now_ms, age).unwrap_or(i64::MIN));
        report.sealed = self.seal_tiers(&cuts[1..]).await?;
        report.blocks_sealed = self.seal_blocks(cuts[0]).await?;
        // Index 0 is raw, 1.. the tiers; what a level may lose is bounded by the next one's progress.
        for level in 0..ages.len() {
            let Some(mut cut) = cutoff(now_ms, ages[level]) else { continue };
            if let Some(&next) = TIERS.get(level) {
                let done: Option<i64> = sqlx::query_scalar(sql::LEAST_DONE).bind(next).fetch_one(&self.pool).await?;
                cut = cut.min(done.unwrap_or(i64::MIN));
            }
            if level == 0 {
                // Nor before every server's user days are summarised past it.
                cut = cut.min(self.user_days_done().await?.unwrap_or(i64::MIN));
                if cut > i64::MIN {
                    report.raw_deleted = self.cleanup_raw(cut).await?;
                }
            } else {
                report.buckets_deleted[level - 1] = self.expire_tier(TIERS[level - 1], cut).await?;
            }
        }
        Ok(report)
    }

    /// Deletes raw samples before `before_ms` (see [`crate::Store::cleanup`]); returns how many.
    pub(crate) async fn cleanup_raw(&self, before_ms: i64) -> Result<u64> {
        let batch = crate::sql::CLEANUP_BATCH_SIZE;
        let mut deleted: u64 = 0;
        loop {
            let result =
                sqlx::query(sample_sql::CLEANUP_FRAMES).bind(before_ms).bind(batch).execute(&self.pool).await?;
            let n = DB::rows_affected(&result);
            deleted = deleted.saturating_add(n);
            if n < batch.unsigned_abs() {
                break;
            }
        }
        loop {
            let frames: Vec<i64> = sqlx::query_scalar(sample_sql::CLEANUP_BLOCKS)
                .bind(before_ms)
                .bind(BLOCK_BATCH)
                .fetch_all(&self.pool)
                .await?;
            deleted = deleted.saturating_add(frames.iter().map(|&n| n.unsigned_abs()).sum());
            if (frames.len() as i64) < BLOCK_BATCH {
                break;
            }
        }
        deleted = deleted.saturating_add(self.trim_blocks(before_ms).await?);
        sqlx::query(sample_sql::CLEANUP_FACTS).execute(&self.pool).await?;
        self.cache.forget_facts();
        Ok(deleted)
    }

    /// Deletes a tier's buckets starting before `cut` (but each server's last one); returns how
    /// many went.
    async fn expire_tier(&self, tier: i64, cut: i64) -> Result<u64> {
        let mut deleted = 0u64;
        loop {
            let buckets: Vec<i64> = sqlx::query_scalar(sql::EXPIRED_CHUNKS)
                .bind(tier)
                .bind(cut)
                .bind(CHUNK_BATCH)
                .fetch_all(&self.pool)
                .await?;
            deleted += buckets.iter().map(|b| b.unsigned_abs()).sum::<u64>();
            if (buckets.len() as i64) < CHUNK_BATCH {
                break;
            }
        }
        let straddling: Vec<i64> =
            sqlx::query_scalar(sql::STRADDLING_CHUNKS).bind(tier).bind(cut).fetch_all(&self.pool).await?;
        for id in straddling {
            // Read and rewritten in one transaction: a roll-up may be adding to the same chunk.
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let row: Option<(i64, i64, Vec<u8>)> =
                sqlx::query_as(sql::CHUNK_BY_ID).bind(id).fetch_optional(&mut *tx).await?;
            let Some((server_id, shown_from, body)) = row else { continue };
            // The buckets' times alone: no figure is decoded unless the chunk is cut up.
            let starts = Rollup::decode_shown(&body, Some(&[]), shown_from)?.starts;
            let last = starts.last().copied().unwrap_or(i64::MIN);
            // What is kept is a suffix: the buckets from `cut` on, or the server's last one.
            let kept = starts.iter().filter(|&&s| s >= cut || s == last).count();
            deleted += (starts.len() - kept) as u64;
            let Some(&first) = starts.get(starts.len() - kept) else { continue };
            if kept == starts.len() {
                continue;
            }
            if chunk_of(first, tier) == chunk_of(last, tier) {
                // Hidden, not re-encoded: the buckets go with the chunk, a day (or 12, or 288)
                // later, or when a roll-up next writes it.
                sqlx::query(sql::HIDE_BEFORE).bind(id).bind(first).bind(kept as i64).execute(&mut *tx).await?;
                tx.commit().await?;
                continue;
            }
            let mut chunk = Rollup::decode(&body, None)?;
            chunk.retain(|s| s >= first);
            // A sealed chunk trimmed the first time goes back to chunks of a day (or 12 days, or
            // 288), so that the passes after only hide buckets.
            let mut qb = sqlx::QueryBuilder::<DB>::new(sql::DELETE_CHUNKS_IN);
            push_id_list(&mut qb, &[id]);
            qb.build().persistent(false).execute(&mut *tx).await?;
            for (key, piece) in &chunk.split_by_chunk(tier) {
                self.upsert_chunk(&mut tx, server_id, tier, *key, piece).await?;
            }
            tx.commit().await?;
        }
        Ok(deleted)
    }
}
