//! Sealing: once a span is complete, what was written piecemeal while it filled is merged into
//! one row, so that a column's header and tables are paid once per span instead of once per
//! piece.
//!
//! - **Tiers**: a tier's chunks, written a day (or 12 days, or 288 days) at a time, are merged
//!   into one chunk of [`SEALED_BUCKETS`] buckets once the tier's progress is past the span: the
//!   5-minute tier of a year is about a third smaller. The chunk being filled stays small, so
//!   the roll-up that adds a bucket every few minutes rewrites a day of buckets, not eight.
//! - **Raw blocks**: compaction packs a server's frames [`crate::samples::WINDOW`] at a time
//!   (an hour at a 1-minute schedule), so that few frames wait hot. Once a server's blocks are
//!   past a span of [`RAW_SPAN_MS`], the blocks that start in it are merged into one (about 360
//!   frames at a 1-minute schedule): the raw week is about an eighth smaller.
//!
//! Reads do not care where chunks or blocks start (they select by first and last time), so a
//! span read before or after its sealing gives the same values. Each span is merged in one
//! short transaction, a bounded number per pass, so that a database that never sealed (an
//! upgrade) catches up over a few passes without keeping the cycle's writes waiting.

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use crate::backend::{Backend, SqlStore};
use crate::compact::block::Effort;
use crate::compact::rollup::{Rollup, TIERS};
use crate::error::Result;
use crate::rollup_sql as sql;
use crate::sample_sql;
use crate::samples::{WINDOW, push_id_list, unpack_frames};

/// Buckets of a sealed chunk: 8 days of 5-minute buckets, 96 days of hours, 2,304 days of
/// days. A multiple of [`crate::compact::rollup::CHUNK_BUCKETS`], so that the chunks being
/// filled nest in the spans. A 5-minute bucket costs ~244 B in a day chunk, ~192 B in a chunk
/// of 4 days and ~175 B in one of 8 (`--profile`: a column's header and `pco`'s tables are paid
/// once per chunk); 16 days would gain a few percent more for twice the work per span.
pub(crate) const SEALED_BUCKETS: i64 = 8 * crate::compact::rollup::CHUNK_BUCKETS;

/// Spans of tiers sealed per maintenance pass, over every server and tier.
const SEAL_BATCH: usize = 64;

/// Raw blocks are sealed in spans of 6 hours (aligned on the epoch): blocks of 384 frames are
/// 13 % smaller than blocks of 64 (and blocks of a day 15 %), while a read of one moment or
/// a retention trim decodes at most 6 hours.
pub(crate) const RAW_SPAN_MS: i64 = 6 * 3_600_000;

/// Spans of raw blocks sealed per maintenance pass: a fleet of 1,000 servers at a 1-minute
/// schedule completes about 14 a minute.
const RAW_SEAL_BATCH: usize = 2048;

/// The start of the span of `span` ms holding `start`.
pub(crate) fn span_of(start: i64, span: i64) -> i64 {
    start.div_euclid(span) * span
}

/// A span to seal: its server, its start, and its chunks' ids, oldest first.
#[derive(Debug, PartialEq)]
pub(crate) struct Span {
    pub(crate) server_id: i64,
    pub(crate) start: i64,
    pub(crate) chunks: Vec<i64>,
}

/// The spans of `span` ms to seal among rows `(server id, row id, row start, progress)` (a
/// tier's chunks, or raw blocks), sorted by server and start: complete (the server's progress
/// is at or past the span's end) and held in more than one row.
pub(crate) fn spans_to_seal(span: i64, chunks: &[(i64, i64, i64, i64)]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut current: Option<Span> = None;
    for &(server_id, id, first, done) in chunks {
        let start = span_of(first, span);
        if start.saturating_add(span) > done {
            continue;
        }
        match &mut current {
            Some(s) if s.server_id == server_id && s.start == start => s.chunks.push(id),
            _ => {
                out.extend(current.take().filter(|s| s.chunks.len() > 1));
                current = Some(Span { server_id, start, chunks: vec![id] });
            }
        }
    }
    out.extend(current.filter(|s| s.chunks.len() > 1));
    out
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
    /// Seals up to [`SEAL_BATCH`] complete spans of every tier that start at or after the
    /// tier's retention cut (`cuts`, finest first); returns how many.
    pub(crate) async fn seal_tiers(&self, cuts: &[i64]) -> Result<u64> {
        let mut sealed = 0u64;
        for (&width, &cut) in TIERS.iter().zip(cuts) {
            let chunks: Vec<(i64, i64, i64, i64)> =
                sqlx::query_as(sql::SEALABLE_CHUNKS).bind(width).fetch_all(&self.pool).await?;
            for span in spans_to_seal(width * SEALED_BUCKETS, &chunks).into_iter().filter(|s| s.start >= cut) {
                if sealed as usize >= SEAL_BATCH {
                    return Ok(sealed);
                }
                self.seal(width, &span).await?;
                sealed += 1;
            }
        }
        Ok(sealed)
    }

    /// Seals up to [`RAW_SEAL_BATCH`] complete spans of raw blocks that start at or after the
    /// raw retention cut; returns how many.
    pub(crate) async fn seal_blocks(&self, cut: i64) -> Result<u64> {
        let blocks: Vec<(i64, i64, i64, i64)> =
            sqlx::query_as(sample_sql::SEALABLE_BLOCKS).bind(WINDOW).fetch_all(&self.pool).await?;
        let mut sealed = 0u64;
        for span in spans_to_seal(RAW_SPAN_MS, &blocks).iter().filter(|s| s.start >= cut).take(RAW_SEAL_BATCH) {
            self.seal_raw(span).await?;
            sealed += 1;
        }
        Ok(sealed)
    }

    /// Merges a span's blocks into one, in one transaction.
    async fn seal_raw(&self, span: &Span) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let mut frames = Vec::new();
        for &id in &span.chunks {
            let bodies: Option<(Vec<u8>, Vec<u8>)> =
                sqlx::query_as(sample_sql::BLOCK_BODIES).bind(id).fetch_optional(&mut *tx).await?;
            // A block gone meanwhile (retention) is simply not in the merge.
            let Some((figures, lists)) = bodies else { continue };
            frames.extend(unpack_frames(&figures, &lists)?);
        }
        frames.sort_by_key(|f| f.ts_ms);
        let mut qb = sqlx::QueryBuilder::<DB>::new(sample_sql::DELETE_BLOCKS_IN);
        push_id_list(&mut qb, &span.chunks);
        qb.build().persistent(false).execute(&mut *tx).await?;
        if !frames.is_empty() {
            self.insert_block(&mut tx, span.server_id, &frames, Effort::Small).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Merges a span's chunks into one, in one transaction.
    async fn seal(&self, width: i64, span: &Span) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let mut merged = Rollup::default();
        for &id in &span.chunks {
            let row: Option<(i64, i64, Vec<u8>)> =
                sqlx::query_as(sql::CHUNK_BY_ID).bind(id).fetch_optional(&mut *tx).await?;
            // A chunk gone meanwhile (retention) is simply not in the merge.
            let Some((_, shown_from, body)) = row else { continue };
            let chunk = Rollup::decode_shown(&body, None, shown_from)?;
            merged = if merged.is_empty() { chunk } else { merged.with(&chunk) };
        }
        let mut qb = sqlx::QueryBuilder::<DB>::new(sql::DELETE_CHUNKS_IN);
        push_id_list(&mut qb, &span.chunks);
        qb.build().persistent(false).execute(&mut *tx).await?;
        if !merged.is_empty() {
            self.upsert_chunk(&mut tx, span.server_id, width, span.start, &merged).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: i64 = 300_000;
    const DAY: i64 = 86_400_000;

    #[test]
    fn raw_blocks_are_sealed_by_the_span_they_start_in() {
        const MIN: i64 = 60_000;
        // Twelve blocks of 64 one-minute frames; the server's blocks end at 13:30.
        let done = 13 * 60 * MIN + 30 * MIN;
        let blocks: Vec<(i64, i64, i64, i64)> = (0..12).map(|i| (7, 100 + i, i * 64 * MIN, done)).collect();
        // Starts 00:00, 01:04, … 05:20 in the first span, 06:24 … 11:44 in the second; the
        // third (12:00-18:00) is not complete.
        let spans = spans_to_seal(RAW_SPAN_MS, &blocks);
        assert_eq!(
            spans,
            vec![
                Span { server_id: 7, start: 0, chunks: vec![100, 101, 102, 103, 104, 105] },
                Span { server_id: 7, start: RAW_SPAN_MS, chunks: vec![106, 107, 108, 109, 110, 111] },
            ]
        );
    }

    #[test]
    fn only_complete_spans_of_several_chunks_are_sealed() {
        let span = FIVE * SEALED_BUCKETS;
        assert_eq!(span, 8 * DAY);
        // Server 1: days 0-7 in eight chunks (complete), days 8-9 in two (the span is not done).
        // Server 2: one chunk for days 0-7 (already sealed), two for days 8-15, done.
        let mut chunks: Vec<(i64, i64, i64, i64)> = (0..10).map(|d| (1, 10 + d, d * DAY, 10 * DAY)).collect();
        chunks.extend([(2, 20, 0, 16 * DAY), (2, 21, 8 * DAY, 16 * DAY), (2, 22, 12 * DAY, 16 * DAY)]);
        assert_eq!(
            spans_to_seal(span, &chunks),
            vec![
                Span { server_id: 1, start: 0, chunks: (10..18).collect() },
                Span { server_id: 2, start: span, chunks: vec![21, 22] },
            ]
        );
    }
}
