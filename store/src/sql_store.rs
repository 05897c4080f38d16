//! The one implementation of [`Store`], generic in the [`Backend`]: each method's SQL, binds
//! and decoding are written once and compiled for SQLite and PostgreSQL alike.
//!
//! The `where` clause below is what the store asks of a sqlx database; both drivers meet it.
//! The SQL is in [`crate::sql`], the columns of `samples` in [`crate::columns`], the other rows
//! in [`crate::rows`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fleetwatch_common::{Details, HistoryPoint, OfflineReason, ProcessInfo, Sample, SeriesPoint, TopUser};
use sqlx::migrate::Migrate;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, QueryBuilder, Type};

use crate::backend::{Backend, SqlStore};
use crate::columns::{push_sample, read_history_point, read_sample};
use crate::error::{Error, Result};
use crate::rows::{self, convert};
use crate::types::{DbStats, HostKeyRecord, ProcessRecord, Ranking, ServerState, TimeRange, UserDisk, UserUsage};
use crate::values::{bucket_width, finite, finite_or_zero, to_ms, to_ms_ceil};
use crate::{Store, sql};

#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Backend,
    SqlStore<DB>: crate::AlertStore,
    DB::Connection: Migrate,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> &'a str: ColumnIndex<DB::Row> + Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB>,
    for<'a> i32: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB>,
    for<'a> bool: Decode<'a, DB> + Type<DB>,
{
    async fn migrate(&self) -> Result<()> {
        DB::migrator().run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query(sql::PING).execute(&self.pool).await?;
        Ok(())
    }

    async fn record_success(
        &self,
        sample: &Sample,
        users: &[UserUsage],
        details: Option<&Details>,
        duration_ms: i64,
    ) -> Result<()> {
        let server = sample.server_name.as_str();
        let ts_ms = to_ms(sample.timestamp);
        let mut tx = self.pool.begin().await?;
        let mut insert = QueryBuilder::new(sql::INSERT_SAMPLE.as_str());
        insert.push_values([sample], |mut b, s| push_sample(&mut b, s)).push(" RETURNING id");
        let sample_id: i64 = insert.build_query_scalar().fetch_one(&mut *tx).await?;
        for u in users {
            let user = u.username.as_str();
            sqlx::query(sql::INSERT_SAMPLE_USER)
                .bind(sample_id)
                .bind(server)
                .bind(ts_ms)
                .bind(user)
                .bind(finite_or_zero(u.cpu, "cpu", server, user))
                .bind(finite_or_zero(u.mem, "mem", server, user))
                .bind(u.rss_bytes)
                .bind(u.process_count)
                .bind(u.top_process.as_str())
                .bind(finite(u.disk_bytes))
                .execute(&mut *tx)
                .await?;
        }
        if let Some(d) = details {
            let json =
                serde_json::to_string(d).map_err(|e| Error::Corrupt(format!("details cannot be encoded: {e}")))?;
            sqlx::query(sql::INSERT_DETAILS)
                .bind(sample_id)
                .bind(server)
                .bind(ts_ms)
                .bind(json)
                .execute(&mut *tx)
                .await?;
            let ranked = [(Ranking::Cpu, &d.processes_by_cpu), (Ranking::Memory, &d.processes_by_memory)];
            let processes: Vec<(Ranking, i64, &ProcessInfo)> = ranked
                .into_iter()
                .flat_map(|(ranking, list)| list.iter().enumerate().map(move |(i, p)| (ranking, i as i64 + 1, p)))
                .collect();
            for chunk in processes.chunks(sql::INSERT_CHUNK) {
                let mut qb = QueryBuilder::new(sql::INSERT_PROCESSES.as_str());
                qb.push_values(chunk, |mut b, (ranking, rank, p)| {
                    b.push_bind(sample_id)
                        .push_bind(server)
                        .push_bind(ts_ms)
                        .push_bind(ranking.as_str())
                        .push_bind(*rank)
                        .push_bind(p.pid)
                        .push_bind(p.user.as_str())
                        .push_bind(p.command.as_str())
                        .push_bind(if p.cpu_percent.is_finite() { p.cpu_percent } else { 0.0 })
                        .push_bind(p.rss_bytes)
                        .push_bind(if p.mem_percent.is_finite() { p.mem_percent } else { 0.0 })
                        .push_bind(p.threads)
                        .push_bind(p.open_fds);
                });
                qb.build().execute(&mut *tx).await?;
            }
            let series = d.series();
            for chunk in series.chunks(sql::INSERT_CHUNK) {
                let mut qb = QueryBuilder::new(sql::INSERT_SERIES);
                qb.push_values(chunk, |mut b, (name, value)| {
                    b.push_bind(sample_id)
                        .push_bind(server)
                        .push_bind(ts_ms)
                        .push_bind(name.as_str())
                        .push_bind(*value);
                });
                qb.build().execute(&mut *tx).await?;
            }
        }
        sqlx::query(sql::UPSERT_STATE_SUCCESS)
            .bind(server)
            .bind(ts_ms)
            .bind(duration_ms)
            .bind(sample_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_failure(
        &self,
        server_name: &str,
        at: DateTime<Utc>,
        reason: OfflineReason,
        detail: &str,
        duration_ms: i64,
    ) -> Result<()> {
        sqlx::query(sql::UPSERT_STATE_FAILURE)
            .bind(server_name)
            .bind(to_ms(at))
            .bind(reason.as_str())
            .bind(detail)
            .bind(duration_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn server_states(&self) -> Result<Vec<ServerState>> {
        let rows = sqlx::query_as::<_, rows::StateRow>(sql::SERVER_STATES).fetch_all(&self.pool).await?;
        let mut states: Vec<ServerState> = convert(rows)?;
        // Sorted here, not in SQL: the backends' collations disagree.
        states.sort_by(|a, b| a.server_name.cmp(&b.server_name));
        Ok(states)
    }

    async fn latest_samples(&self) -> Result<Vec<Sample>> {
        let rows = sqlx::query(sql::LATEST_SAMPLES.as_str()).fetch_all(&self.pool).await?;
        let mut samples = rows.iter().map(read_sample).collect::<Result<Vec<_>>>()?;
        samples.sort_by(|a, b| a.server_name.cmp(&b.server_name));
        Ok(samples)
    }

    async fn latest_sample(&self, server_name: &str) -> Result<Option<Sample>> {
        let row = sqlx::query(sql::LATEST_SAMPLE.as_str()).bind(server_name).fetch_optional(&self.pool).await?;
        row.as_ref().map(read_sample).transpose()
    }

    async fn history(&self, server_name: &str, range: TimeRange) -> Result<Vec<HistoryPoint>> {
        let from = to_ms_ceil(range.from);
        let to = to_ms(range.to);
        let rows = sqlx::query(sql::HISTORY.as_str())
            .bind(server_name)
            .bind(from)
            .bind(to)
            .bind(bucket_width(from, to, range.max_points))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(read_history_point).collect()
    }

    async fn top_users(&self, server_name: Option<&str>, limit: i64) -> Result<Vec<TopUser>> {
        let rows = sqlx::query_as::<_, rows::TopUserRow>(sql::TOP_USERS)
            .bind(server_name)
            .bind(limit.max(0))
            .fetch_all(&self.pool)
            .await?;
        convert(rows)
    }

    async fn host_key(&self, server_name: &str) -> Result<Option<HostKeyRecord>> {
        sqlx::query_as::<_, rows::HostKeyRow>(sql::HOST_KEY)
            .bind(server_name)
            .fetch_optional(&self.pool)
            .await?
            .map(HostKeyRecord::try_from)
            .transpose()
    }

    async fn save_host_key(&self, record: &HostKeyRecord) -> Result<()> {
        let inserted = sqlx::query(sql::INSERT_HOST_KEY)
            .bind(record.server_name.as_str())
            .bind(record.host.as_str())
            .bind(i32::from(record.port))
            .bind(record.fingerprint.as_str())
            .bind(to_ms(record.first_seen))
            .execute(&self.pool)
            .await?;
        if DB::rows_affected(&inserted) > 0 {
            return Ok(());
        }
        // A row exists (rows are never updated or deleted): the same key is no news.
        match self.host_key(&record.server_name).await? {
            Some(existing) if existing.fingerprint == record.fingerprint => Ok(()),
            Some(existing) => Err(Error::Conflict(format!(
                "host key of {} is recorded as {}, refusing {}",
                record.server_name, existing.fingerprint, record.fingerprint
            ))),
            None => Err(Error::Conflict(format!("host key of {} vanished while being recorded", record.server_name))),
        }
    }

    async fn details(&self, server_name: &str, at: Option<DateTime<Utc>>) -> Result<Option<Details>> {
        let json: Option<String> = match at {
            None => sqlx::query_scalar(sql::LATEST_DETAILS).bind(server_name).fetch_optional(&self.pool).await?,
            Some(t) => {
                sqlx::query_scalar(sql::DETAILS_AT).bind(server_name).bind(to_ms(t)).fetch_optional(&self.pool).await?
            }
        };
        json.as_deref().map(rows::details_from_json).transpose()
    }

    async fn series(&self, server_name: &str, name: &str, range: TimeRange) -> Result<Vec<SeriesPoint>> {
        let from = to_ms_ceil(range.from);
        let to = to_ms(range.to);
        let rows = sqlx::query_as::<_, rows::SeriesRow>(sql::SERIES)
            .bind(server_name)
            .bind(name)
            .bind(from)
            .bind(to)
            .bind(bucket_width(from, to, range.max_points))
            .fetch_all(&self.pool)
            .await?;
        convert(rows)
    }

    async fn series_names(&self, server_name: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(sql::SERIES_NAMES).bind(server_name).fetch_all(&self.pool).await?)
    }

    async fn latest_processes(&self, server_name: Option<&str>, ranking: Ranking) -> Result<Vec<ProcessRecord>> {
        let rows = sqlx::query_as::<_, rows::ProcessRow>(sql::LATEST_PROCESSES.as_str())
            .bind(server_name)
            .bind(ranking.as_str())
            .fetch_all(&self.pool)
            .await?;
        convert(rows)
    }

    async fn record_user_disk(&self, server_name: &str, at: DateTime<Utc>, usage: &[(String, i64)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::DELETE_USER_DISK).bind(server_name).execute(&mut *tx).await?;
        for (user, bytes) in usage {
            sqlx::query(sql::INSERT_USER_DISK)
                .bind(server_name)
                .bind(user.as_str())
                .bind(*bytes)
                .bind(to_ms(at))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn user_disk(&self, server_name: Option<&str>) -> Result<Vec<UserDisk>> {
        let rows =
            sqlx::query_as::<_, rows::UserDiskRow>(sql::USER_DISK).bind(server_name).fetch_all(&self.pool).await?;
        convert(rows)
    }

    async fn heartbeat(&self, member_id: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(sql::HEARTBEAT).bind(member_id).bind(to_ms(now)).execute(&self.pool).await?;
        Ok(())
    }

    async fn live_members(&self, since: DateTime<Utc>) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(sql::LIVE_MEMBERS).bind(to_ms(since)).fetch_all(&self.pool).await?)
    }

    async fn acquire_lease(
        &self,
        server_name: &str,
        member_id: &str,
        now: DateTime<Utc>,
        alive_since: DateTime<Utc>,
    ) -> Result<bool> {
        let holder: Option<String> = sqlx::query_scalar(sql::ACQUIRE_LEASE)
            .bind(server_name)
            .bind(member_id)
            .bind(to_ms(now))
            .bind(to_ms(alive_since))
            .fetch_optional(&self.pool)
            .await?;
        Ok(holder.as_deref() == Some(member_id))
    }

    async fn release_lease(&self, server_name: &str, member_id: &str) -> Result<()> {
        sqlx::query(sql::RELEASE_LEASE).bind(server_name).bind(member_id).execute(&self.pool).await?;
        Ok(())
    }

    async fn leave(&self, member_id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::RELEASE_ALL_LEASES).bind(member_id).execute(&mut *tx).await?;
        sqlx::query(sql::DELETE_MEMBER).bind(member_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn leases(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as::<_, (String, String)>(sql::LEASES).fetch_all(&self.pool).await?)
    }

    async fn stats(&self) -> Result<DbStats> {
        let rows = sqlx::query_as::<_, rows::TableStatsRow>(sql::TABLE_STATS).fetch_all(&self.pool).await?;
        let size_bytes: i64 = sqlx::query_scalar(DB::SIZE_SQL).fetch_one(&self.pool).await?;
        Ok(DbStats { backend: DB::LABEL.to_string(), tables: convert(rows)?, size_bytes: Some(size_bytes) })
    }

    async fn cleanup(&self, before: DateTime<Utc>) -> Result<u64> {
        let before_ms = to_ms_ceil(before);
        let batch = sql::CLEANUP_BATCH_SIZE;
        let mut deleted: u64 = 0;
        loop {
            let result = sqlx::query(sql::CLEANUP_BATCH).bind(before_ms).bind(batch).execute(&self.pool).await?;
            let n = DB::rows_affected(&result);
            deleted = deleted.saturating_add(n);
            if n < batch.unsigned_abs() {
                return Ok(deleted);
            }
        }
    }
}
