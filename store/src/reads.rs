//! Reading compact samples back: the latest cycle of each server and "the details at 03:12"
//! (figures over a range are read by `rollups.rs`).

use std::collections::HashMap;

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use crate::backend::{Backend, SqlStore};
use crate::compact::block::{Figures, value_at};
use crate::compact::column::Column;
use crate::compact::cycle::Cycle;
use crate::compact::frame;
use crate::compact::lists::unpack as unpack_lists;
use crate::error::Result;
use crate::sample_sql as sql;
use crate::samples::HotFrame;

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

    /// The last sample with details at or before `at_ms`, whole (details, users and headline).
    pub(crate) async fn cycle_at(&self, server: &str, at_ms: i64) -> Result<Option<Cycle>> {
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
        Ok(best.map(|(_, c)| c))
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
    let columns: HashMap<crate::compact::cycle::Name, Column> = fig.all()?;
    let lists = unpack_lists(lists)?.into_iter().nth(row).unwrap_or_default();
    Cycle::join(server, fig.ts[row], facts, true, |name, _| columns.get(name).map(|c| value_at(c, row)), lists)
}
