//! Samples written before migration 0007 (`samples` with its `sample_users`, `sample_details`,
//! `sample_processes` and `sample_series` rows) converted to the compact format on first start,
//! by [`crate::Store::migrate`], oldest first, in batches of one transaction each: a batch's
//! samples become frames (compacted into blocks as windows close) and its old rows are deleted.
//! An interrupted conversion resumes where it stopped; two processes converting at once never
//! take the same rows (SQLite serialises writers, PostgreSQL skips locked rows).

use std::collections::HashMap;

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, QueryBuilder, Row, Type};

use crate::backend::{Backend, SqlStore};
use crate::columns::{SAMPLE_COLUMNS, read_sample};
use crate::compact::cycle::Cycle;
use crate::error::Result;
use crate::packing::Pack;
use crate::rows::details_from_json;
use crate::samples::push_id_list;
use crate::types::UserUsage;

/// Old samples converted per transaction.
const BATCH: i64 = 200;

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
    /// Converts every old sample; returns how many.
    pub(crate) async fn convert_legacy(&self) -> Result<u64> {
        let mut total = 0u64;
        loop {
            let n = self.convert_batch().await?;
            total += n;
            if n == 0 {
                if total > 0 {
                    tracing::info!(samples = total, "converted samples to the compact format");
                }
                return Ok(total);
            }
        }
    }

    async fn convert_batch(&self) -> Result<u64> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let select = format!(
            "SELECT {}, id FROM samples ORDER BY id LIMIT $1{}",
            SAMPLE_COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>().join(", "),
            DB::LOCK_ROWS
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(select)).bind(BATCH).fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        let id_at = SAMPLE_COLUMNS.len();
        let ids: Vec<i64> = rows.iter().map(|r| r.try_get(id_at)).collect::<std::result::Result<_, _>>()?;
        let in_list = |prefix: &str| {
            let mut qb = QueryBuilder::<DB>::new(prefix);
            push_id_list(&mut qb, &ids);
            qb
        };
        let mut users: HashMap<i64, Vec<UserUsage>> = HashMap::new();
        let user_rows = in_list(
            "SELECT sample_id, username, cpu, mem, rss_bytes, process_count, top_process, disk_bytes \
             FROM sample_users WHERE sample_id IN ",
        )
        .build()
        .persistent(false)
        .fetch_all(&mut *tx)
        .await?;
        for r in &user_rows {
            users.entry(r.try_get(0)?).or_default().push(UserUsage {
                username: r.try_get(1)?,
                cpu: r.try_get(2)?,
                mem: r.try_get(3)?,
                rss_bytes: r.try_get(4)?,
                process_count: r.try_get(5)?,
                top_process: r.try_get(6)?,
                disk_bytes: r.try_get(7)?,
            });
        }
        let mut details: HashMap<i64, String> = HashMap::new();
        for r in in_list("SELECT sample_id, details_json FROM sample_details WHERE sample_id IN ")
            .build()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?
        {
            details.insert(r.try_get(0)?, r.try_get(1)?);
        }
        let latest: HashMap<i64, String> = sqlx::query_as::<_, (i64, String)>(
            "SELECT last_sample_id, server_name FROM server_state WHERE last_sample_id IS NOT NULL",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let mut cycles = Vec::with_capacity(rows.len());
        for (row, id) in rows.iter().zip(&ids) {
            let sample = read_sample(row)?;
            let details = details.get(id).map(|j| details_from_json(j)).transpose()?;
            cycles.push((Cycle { details, users: users.remove(id).unwrap_or_default(), sample }, 0));
        }
        // One sample at a time: a batch may hold many of one server's.
        for ((cycle, _), id) in cycles.iter().zip(&ids) {
            let written = self.write_frames(&mut tx, &[(cycle.borrowed(), 0)], false, Pack::Now).await?;
            if let (Some(server), Some((_, frame_id))) = (latest.get(id), written.first()) {
                sqlx::query("UPDATE server_state SET last_frame_id = $1 WHERE server_name = $2")
                    .bind(*frame_id)
                    .bind(server.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        in_list("DELETE FROM samples WHERE id IN ").build().persistent(false).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(ids.len() as u64)
    }
}
