//! Sealing: once a span of a tier is complete (the tier's progress is past it), its chunks,
//! written a day (or 12 days, or 288 days) at a time while the span filled, are merged into one
//! chunk of [`SEALED_BUCKETS`] buckets. A column's header and tables are then paid once per
//! span instead of once per chunk: the 5-minute tier of a year is about a quarter smaller.
//!
//! The chunk being filled stays small, so the roll-up that adds a bucket every few minutes
//! rewrites a day of buckets, not four. Reads do not care where chunks start (they select by
//! first and last bucket), so a span read before or after its sealing gives the same buckets.
//! Each span is merged in one short transaction, at most [`SEAL_BATCH`] per pass, so that a
//! database that never sealed (an upgrade) catches up over a few passes without keeping the
//! cycle's writes waiting.

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use crate::backend::{Backend, SqlStore};
use crate::compact::rollup::{Rollup, TIERS};
use crate::error::Result;
use crate::rollup_sql as sql;
use crate::samples::push_id_list;

/// Buckets of a sealed chunk: 4 days of 5-minute buckets, 48 days of hours, 1,152 days of
/// days. A multiple of [`crate::compact::rollup::CHUNK_BUCKETS`], so that the chunks being
/// filled nest in the spans.
pub(crate) const SEALED_BUCKETS: i64 = 4 * crate::compact::rollup::CHUNK_BUCKETS;

/// Spans sealed per maintenance pass, over every server and tier.
const SEAL_BATCH: usize = 64;

/// The start of the sealed span holding a bucket that starts at `start` in tier `width`.
pub(crate) fn span_of(start: i64, width: i64) -> i64 {
    let span = width * SEALED_BUCKETS;
    start.div_euclid(span) * span
}

/// A span to seal: its server, its start, and its chunks' ids, oldest first.
#[derive(Debug, PartialEq)]
pub(crate) struct Span {
    pub(crate) server_id: i64,
    pub(crate) start: i64,
    pub(crate) chunks: Vec<i64>,
}

/// The spans to seal among a tier's chunks `(server id, chunk id, chunk start, progress)`, sorted
/// by server and start: complete (the server's progress is at or past the span's end) and held
/// in more than one chunk.
pub(crate) fn spans_to_seal(width: i64, chunks: &[(i64, i64, i64, i64)]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut current: Option<Span> = None;
    for &(server_id, id, first, done) in chunks {
        let start = span_of(first, width);
        if start + width * SEALED_BUCKETS > done {
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
    /// Seals up to [`SEAL_BATCH`] complete spans of every tier; returns how many.
    pub(crate) async fn seal_tiers(&self) -> Result<u64> {
        let mut sealed = 0u64;
        for &width in &TIERS {
            let chunks: Vec<(i64, i64, i64, i64)> =
                sqlx::query_as(sql::SEALABLE_CHUNKS).bind(width).fetch_all(&self.pool).await?;
            for span in spans_to_seal(width, &chunks) {
                if sealed as usize >= SEAL_BATCH {
                    return Ok(sealed);
                }
                self.seal(width, &span).await?;
                sealed += 1;
            }
        }
        Ok(sealed)
    }

    /// Merges a span's chunks into one, in one transaction.
    async fn seal(&self, width: i64, span: &Span) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let mut merged = Rollup::default();
        for &id in &span.chunks {
            let body: Option<Vec<u8>> = sqlx::query_scalar(sql::CHUNK_BY_ID).bind(id).fetch_optional(&mut *tx).await?;
            // A chunk gone meanwhile (retention) is simply not in the merge.
            let Some(body) = body else { continue };
            let chunk = Rollup::decode(&body, None)?;
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
    fn only_complete_spans_of_several_chunks_are_sealed() {
        let span = FIVE * SEALED_BUCKETS;
        assert_eq!(span, 4 * DAY);
        // Server 1: days 0-3 in four chunks (complete), days 4-5 in two (the span is not done).
        // Server 2: one chunk for days 0-3 (already sealed), two for days 4-7, done.
        let chunks = [
            (1, 10, 0, 6 * DAY),
            (1, 11, DAY, 6 * DAY),
            (1, 12, 2 * DAY, 6 * DAY),
            (1, 13, 3 * DAY, 6 * DAY),
            (1, 14, 4 * DAY, 6 * DAY),
            (1, 15, 5 * DAY, 6 * DAY),
            (2, 20, 0, 8 * DAY),
            (2, 21, 4 * DAY, 8 * DAY),
            (2, 22, 6 * DAY, 8 * DAY),
        ];
        assert_eq!(
            spans_to_seal(FIVE, &chunks),
            vec![
                Span { server_id: 1, start: 0, chunks: vec![10, 11, 12, 13] },
                Span { server_id: 2, start: span, chunks: vec![21, 22] },
            ]
        );
    }
}
