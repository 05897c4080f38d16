//! Reading compact samples back: the latest cycle of each server, figures over a time range
//! (hot frames and blocks merged, then averaged into buckets as the SQL of earlier versions
//! did), and "the details at 03:12".

use std::collections::HashMap;

use fleetwatch_common::Details;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use crate::backend::{Backend, SqlStore};
use crate::compact::block::{Figures, unpack_lists, value_at};
use crate::compact::column::Column;
use crate::compact::cycle::{Cycle, Value};
use crate::compact::frame;
use crate::error::Result;
use crate::sample_sql as sql;
use crate::samples::HotFrame;

/// Which figures a range read wants: the headline's (by their `~` names) or one series.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wanted<'a> {
    Headline(&'a [&'a str]),
    Series(&'a str),
}

/// One sample's wanted figures.
pub(crate) type Point = (i64, Vec<Option<f64>>);

fn as_f64(v: Value) -> Option<f64> {
    match v {
        Value::I(i) => i.map(|i| i as f64),
        Value::F(f) => f,
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
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Vec<u8>: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    /// The latest cycle of every server (or one), by name.
    pub(crate) async fn latest_cycles(&self, server: Option<&str>) -> Result<Vec<Cycle>> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<(String, i64, i64, Vec<u8>)> =
            sqlx::query_as(sql::LATEST_FRAMES).bind(server).fetch_all(&mut *conn).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (name, ts_ms, facts_id, body) in rows {
            out.push(self.hot_cycle(&mut conn, &name, &HotFrame { ts_ms, facts_id, body }).await?);
        }
        out.sort_by(|a, b| a.sample.server_name.cmp(&b.sample.server_name));
        Ok(out)
    }

    async fn hot_cycle(&self, conn: &mut DB::Connection, server: &str, f: &HotFrame) -> Result<Cycle> {
        let facts = self.stored_facts(conn, f.facts_id).await?;
        let ch = frame::decode(&f.body, &facts.names)?;
        Cycle::join(
            server,
            f.ts_ms,
            &facts.facts,
            false,
            |_, i| ch.figures.get(i).map(|x| x.value),
            (ch.users, ch.by_cpu, ch.by_memory),
        )
    }

    async fn find_server(&self, conn: &mut DB::Connection, name: &str) -> Result<Option<i64>> {
        if let Some(id) = self.cache.server(name) {
            return Ok(Some(id));
        }
        Ok(sqlx::query_scalar(sql::FIND_SERVER).bind(name).fetch_optional(&mut *conn).await?)
    }

    /// Every sample of `server` within `[from, to]` with the wanted figures, oldest first.
    pub(crate) async fn points(&self, server: &str, from: i64, to: i64, wanted: Wanted<'_>) -> Result<Vec<Point>> {
        let mut conn = self.pool.acquire().await?;
        let Some(server_id) = self.find_server(&mut conn, server).await? else { return Ok(Vec::new()) };
        let names: Vec<&str> = match wanted {
            Wanted::Headline(n) => n.to_vec(),
            Wanted::Series(n) => vec![n],
        };
        // (time, order within the time, values): blocks first, then hot frames (newer writes).
        let mut points: Vec<(i64, usize, Vec<Option<f64>>)> = Vec::new();
        let blocks: Vec<Vec<u8>> =
            sqlx::query_scalar(sql::BLOCKS_IN).bind(server_id).bind(from).bind(to).fetch_all(&mut *conn).await?;
        for blob in &blocks {
            let fig = Figures::open(blob)?;
            let columns: Vec<Option<Column>> = names.iter().map(|n| fig.column(n)).collect::<Result<_>>()?;
            for (row, &ts) in fig.ts.iter().enumerate() {
                if ts < from || ts > to {
                    continue;
                }
                let values = columns.iter().map(|c| c.as_ref().and_then(|c| as_f64(value_at(c, row)))).collect();
                points.push((ts, points.len(), values));
            }
        }
        let rows = sqlx::query(sql::FRAMES_IN).bind(server_id).bind(from).bind(to).fetch_all(&mut *conn).await?;
        for row in &rows {
            let (ts_ms, facts_id): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
            let body: Vec<u8> = row.try_get(3)?;
            let facts = self.stored_facts(&mut conn, facts_id).await?;
            let index: Vec<Option<usize>> = names
                .iter()
                .map(|n| match wanted {
                    Wanted::Headline(_) => facts.names.iter().position(|(m, _, _)| m == n),
                    Wanted::Series(_) => facts.series_index(n),
                })
                .collect();
            if index.iter().all(Option::is_none) && matches!(wanted, Wanted::Series(_)) {
                continue;
            }
            let ch = frame::decode(&body, &facts.names)?;
            let values =
                index.iter().map(|i| i.and_then(|i| ch.figures.get(i)).and_then(|f| as_f64(f.value))).collect();
            points.push((ts_ms, points.len(), values));
        }
        points.sort_by_key(|p| (p.0, p.1));
        Ok(points.into_iter().map(|(ts, _, v)| (ts, v)).collect())
    }

    /// The details of the last sample with details at or before `at_ms`.
    pub(crate) async fn details_at(&self, server: &str, at_ms: i64) -> Result<Option<Details>> {
        let mut conn = self.pool.acquire().await?;
        let Some(server_id) = self.find_server(&mut conn, server).await? else { return Ok(None) };
        let hot =
            sqlx::query(sql::FRAME_WITH_DETAILS_AT).bind(server_id).bind(at_ms).fetch_optional(&mut *conn).await?;
        let mut best: Option<(i64, Cycle)> = None;
        if let Some(row) = hot {
            let f = HotFrame { ts_ms: row.try_get(1)?, facts_id: row.try_get(2)?, body: row.try_get(3)? };
            best = Some((f.ts_ms, self.hot_cycle(&mut conn, server, &f).await?));
        }
        let floor = best.as_ref().map_or(i64::MIN, |b| b.0.saturating_add(1));
        let blocks: Vec<(Vec<u8>, Vec<u8>)> =
            sqlx::query_as(sql::BLOCKS_BEFORE).bind(server_id).bind(at_ms).bind(floor).fetch_all(&mut *conn).await?;
        for (figures, lists) in &blocks {
            let fig = Figures::open(figures)?;
            let mut candidate: Option<usize> = None;
            for (row, &ts) in fig.ts.iter().enumerate() {
                let better = candidate.is_none_or(|c| ts >= fig.ts[c]);
                if ts <= at_ms && best.as_ref().is_none_or(|b| ts > b.0) && better {
                    let facts = self.stored_facts(&mut conn, fig.facts[row]).await?;
                    if facts.facts.details.is_some() {
                        candidate = Some(row);
                    }
                }
            }
            if let Some(row) = candidate {
                let cycle =
                    block_cycle(&fig, lists, row, server, &self.stored_facts(&mut conn, fig.facts[row]).await?.facts)?;
                best = Some((fig.ts[row], cycle));
            }
        }
        Ok(best.and_then(|(_, c)| c.details))
    }
}

/// Row `row` of a block as a cycle.
pub(crate) fn block_cycle(
    fig: &Figures<'_>,
    lists: &[u8],
    row: usize,
    server: &str,
    facts: &crate::compact::cycle::Facts,
) -> Result<Cycle> {
    let columns: HashMap<String, Column> = fig.all()?;
    let lists = unpack_lists(lists)?.into_iter().nth(row).unwrap_or_default();
    Cycle::join(server, fig.ts[row], facts, true, |name, _| columns.get(name).map(|c| value_at(c, row)), lists)
}

/// A bucket being summed: its key, first time, (sum, count) per figure, and its samples.
struct Bucket {
    key: i64,
    first: i64,
    sums: Vec<(f64, i64)>,
    samples: i64,
}

impl Bucket {
    fn close(self) -> (i64, Vec<Option<f64>>, i64) {
        let avgs = self.sums.iter().map(|(sum, n)| (*n > 0).then(|| sum / *n as f64)).collect();
        (self.first, avgs, self.samples)
    }
}

/// Averages points into buckets of `width` ms from `from`, as `GROUP BY (ts - from) / width`:
/// each bucket is stamped with its first sample's time, averages each figure over the samples
/// that have it, and counts its samples.
pub(crate) fn buckets(points: &[Point], from: i64, width: i64) -> Vec<(i64, Vec<Option<f64>>, i64)> {
    let mut out = Vec::new();
    let mut current: Option<Bucket> = None;
    let width = width.max(1);
    for (ts, values) in points {
        let key = (ts - from).div_euclid(width);
        if current.as_ref().is_some_and(|c| c.key != key)
            && let Some(c) = current.take()
        {
            out.push(c.close());
        }
        let c =
            current.get_or_insert_with(|| Bucket { key, first: *ts, sums: vec![(0.0, 0); values.len()], samples: 0 });
        c.samples += 1;
        for (acc, v) in c.sums.iter_mut().zip(values) {
            if let Some(v) = v {
                acc.0 += v;
                acc.1 += 1;
            }
        }
    }
    out.extend(current.map(Bucket::close));
    out
}
