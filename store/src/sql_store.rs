//! The one implementation of [`Store`], generic in the [`Backend`]: each method's SQL, binds
//! and decoding are written once and compiled for SQLite and PostgreSQL alike.
//!
//! The `where` clause below is what the store asks of a sqlx database; both drivers meet it.
//! The SQL is in [`crate::sql`], the columns of `samples` in [`crate::columns`], the other rows
//! in [`crate::rows`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::HashMap;

use fleetwatch_common::{Details, HistoryPoint, OfflineReason, Sample, SeriesPoint, TopUser, UserDay};
use sqlx::migrate::Migrate;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use crate::backend::{Backend, SqlStore};
use crate::columns::{HISTORY_FIGURES, read_sample};
use crate::compact::cycle::CycleRef;
use crate::compact::rollup::Stat;
use crate::error::{Error, Result};
use crate::rows::{self, convert};
use crate::types::{
    DbStats, FigureSummary, HostKeyRecord, Maintenance, ProcessRecord, Ranking, Retention, ServerState, Success,
    TableStats, TimeRange, UserDisk, UserUsage,
};
use crate::values::{bucket_width, finite, finite_or_zero, from_ms, from_ms_opt, to_ms, to_ms_ceil};
use crate::{Store, sample_sql, sql};

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
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> i32: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Vec<u8>: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    async fn migrate(&self) -> Result<()> {
        let _locked = match &self.migration_lock {
            Some(path) => Some(lock_file(path.clone()).await?),
            None => None,
        };
        DB::migrator().run(&self.pool).await?;
        self.convert_legacy().await?;
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
        self.record_successes(&[Success { sample, users, details, duration_ms }]).await
    }

    async fn record_successes(&self, batch: &[Success<'_>]) -> Result<()> {
        let users = batch.iter().map(stored_users).collect::<Result<Vec<_>>>()?;
        let cycles: Vec<(CycleRef<'_>, i64)> = batch
            .iter()
            .zip(&users)
            .map(|(s, users)| (CycleRef { sample: s.sample, users, details: s.details }, s.duration_ms))
            .collect();
        self.settle().await;
        let result = async {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let written = self.write_samples(&mut tx, &cycles).await?;
            if let Some(notify) = DB::NOTIFY_LATEST {
                sqlx::query(notify).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            if let Some(signal) = &self.latest {
                signal.bump();
            }
            Ok(written)
        }
        .await;
        match result {
            Ok(written) => {
                if let Some(analyze) = DB::ANALYZE_SERVERS
                    && self.cache.fleet_grew()
                    && let Err(e) = sqlx::query(analyze).execute(&self.pool).await
                {
                    tracing::warn!(error = %e, "counting the servers for the query planner failed");
                }
                self.pack_later(written).await;
                Ok(())
            }
            Err(e) => {
                for s in batch {
                    self.cache.forget(&s.sample.server_name);
                }
                Err(e)
            }
        }
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
        let rows = sqlx::query(sqlx::AssertSqlSafe(sample_sql::LATEST_SAMPLES.as_str())).fetch_all(&self.pool).await?;
        let mut samples = rows.iter().map(read_sample).collect::<Result<Vec<_>>>()?;
        samples.sort_by(|a, b| a.server_name.cmp(&b.server_name));
        Ok(samples)
    }

    async fn latest_generation(&self) -> Result<(i64, i64)> {
        // Each stored sample is a new frame, with an id above every earlier one, made the
        // server's `last_frame_id`: the sum only grows, and a new server adds to the count.
        Ok(sqlx::query_as(sample_sql::LATEST_GENERATION).fetch_one(&self.pool).await?)
    }

    fn latest_signal(&self) -> Option<std::sync::Arc<crate::LatestSignal>> {
        let signal = self.latest.as_ref()?;
        self.listening.get_or_init(|| DB::listen_latest(&self.pool, std::sync::Arc::downgrade(signal)));
        Some(signal.clone())
    }

    async fn latest_sample(&self, server_name: &str) -> Result<Option<Sample>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(sample_sql::LATEST_SAMPLE.as_str()))
            .bind(server_name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(read_sample).transpose()
    }

    async fn history(&self, server_name: &str, range: TimeRange) -> Result<Vec<HistoryPoint>> {
        let from = to_ms_ceil(range.from);
        let to = to_ms(range.to);
        let names: Vec<String> = HISTORY_FIGURES.iter().map(|f| format!("~{}", f.name)).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let r = self.tiered(server_name, &names, from, to, bucket_width(from, to, range.max_points)).await?;
        let figures: Vec<Option<&[Option<Stat>]>> = names.iter().map(|n| r.figure(n)).collect();
        (0..r.len())
            .map(|i| {
                let values: Vec<Option<f64>> = figures.iter().map(|f| f.and_then(|f| f[i]).map(|s| s.avg())).collect();
                history_point(r.starts[i], &values, r.samples[i])
            })
            .collect()
    }

    async fn top_users(&self, server_name: Option<&str>, limit: i64) -> Result<Vec<TopUser>> {
        let disk: HashMap<(String, String), i64> =
            self.user_disk(server_name).await?.into_iter().map(|d| ((d.server_name, d.username), d.bytes)).collect();
        let mut out: Vec<TopUser> = Vec::new();
        for c in self.latest_cycles(server_name).await? {
            let server = c.sample.server_name.clone();
            for u in c.users {
                let measured = disk.get(&(server.clone(), u.username.clone())).map(|&b| b as f64);
                out.push(TopUser { disk: measured.or(u.disk_bytes), ..top_user(u, &server, c.sample.timestamp) });
            }
        }
        out.sort_by(|a, b| {
            b.cpu
                .total_cmp(&a.cpu)
                .then_with(|| a.server_name.cmp(&b.server_name))
                .then_with(|| a.username.cmp(&b.username))
        });
        out.truncate(usize::try_from(limit.max(0)).unwrap_or(usize::MAX));
        Ok(out)
    }

    async fn users_at(&self, server_name: &str, at: DateTime<Utc>) -> Result<Vec<TopUser>> {
        let Some(c) = self.cycle_at(server_name, to_ms(at)).await? else { return Ok(Vec::new()) };
        let mut out: Vec<TopUser> =
            c.users.into_iter().map(|u| top_user(u, &c.sample.server_name, c.sample.timestamp)).collect();
        out.sort_by(|a, b| b.cpu.total_cmp(&a.cpu).then_with(|| a.username.cmp(&b.username)));
        Ok(out)
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
        match at {
            None => Ok(self.latest_cycles(Some(server_name)).await?.into_iter().next().and_then(|c| c.details)),
            Some(t) => Ok(self.cycle_at(server_name, to_ms(t)).await?.and_then(|c| c.details)),
        }
    }

    async fn series(&self, server_name: &str, name: &str, range: TimeRange) -> Result<Vec<SeriesPoint>> {
        let from = to_ms_ceil(range.from);
        let to = to_ms(range.to);
        if name.starts_with('~') {
            // The store's own figures (the headline's, the details' other numbers) are no series.
            return Ok(Vec::new());
        }
        let r = self.tiered(server_name, &[name], from, to, bucket_width(from, to, range.max_points)).await?;
        let Some(stats) = r.figure(name) else { return Ok(Vec::new()) };
        r.starts
            .iter()
            .zip(stats)
            .filter_map(|(&ts, s)| s.map(|s| (ts, s)))
            .map(|(ts, s)| {
                Ok(SeriesPoint {
                    timestamp: from_ms(ts)?,
                    value: s.avg(),
                    samples: s.n,
                    min: Some(s.min),
                    max: Some(s.max),
                })
            })
            .collect()
    }

    async fn summary(&self, server_name: &str, series: &[&str], range: TimeRange) -> Result<Vec<FigureSummary>> {
        let from = to_ms_ceil(range.from);
        let to = to_ms(range.to);
        let mut names: Vec<String> = HISTORY_FIGURES.iter().map(|f| format!("~{}", f.name)).collect();
        names.extend(series.iter().filter(|n| !n.starts_with('~')).map(|n| (*n).to_owned()));
        let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
        let width = bucket_width(from, to, Some(range.max_points.unwrap_or(SUMMARY_POINTS)));
        let r = self.tiered(server_name, &wanted, from, to, width).await?;
        Ok(wanted
            .iter()
            .map(|n| {
                let total = r.figure(n).and_then(|stats| {
                    let mut it = stats.iter().flatten();
                    let mut acc = *it.next()?;
                    it.for_each(|s| acc.merge(s));
                    Some(acc)
                });
                FigureSummary {
                    figure: n.trim_start_matches('~').to_owned(),
                    avg: total.map(|t| t.avg()),
                    min: total.map(|t| t.min),
                    max: total.map(|t| t.max),
                    last: total.map(|t| t.last),
                    samples: total.map_or(0, |t| t.n),
                }
            })
            .collect())
    }

    async fn maintain(&self, retention: &Retention, now: DateTime<Utc>) -> Result<Maintenance> {
        self.settle().await;
        let user_days = self.roll_up_user_days(to_ms(now)).await?;
        let mut m = self.maintain_tiers(retention, now).await?;
        m.user_days = user_days;
        if let Some(age) = retention.day {
            let cut = to_ms(now).saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
            m.user_days_deleted = self.expire_user_days(cut).await?;
        }
        Ok(m)
    }

    async fn user_days(
        &self,
        user: Option<&str>,
        server: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<UserDay>> {
        self.read_user_days(user, server, from, to).await
    }

    async fn series_names(&self, server_name: &str) -> Result<Vec<String>> {
        let latest = self.latest_cycles(Some(server_name)).await?;
        let mut names: Vec<String> = latest
            .into_iter()
            .flat_map(|c| c.details.map(|d| d.series()).unwrap_or_default())
            .map(|(n, _)| n)
            .collect();
        names.sort();
        Ok(names)
    }

    async fn latest_processes(&self, server_name: Option<&str>, ranking: Ranking) -> Result<Vec<ProcessRecord>> {
        let mut out = Vec::new();
        for c in self.latest_cycles(server_name).await? {
            let Some(d) = c.details else { continue };
            let list = match ranking {
                Ranking::Cpu => d.processes_by_cpu,
                Ranking::Memory => d.processes_by_memory,
            };
            out.extend(list.into_iter().enumerate().map(|(i, process)| ProcessRecord {
                server_name: c.sample.server_name.clone(),
                timestamp: c.sample.timestamp,
                ranking,
                rank: i as i64 + 1,
                process,
            }));
        }
        Ok(out)
    }

    async fn record_user_disk(&self, server_name: &str, at: DateTime<Utc>, usage: &[(String, i64)]) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
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
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        sqlx::query(sql::RELEASE_ALL_LEASES).bind(member_id).execute(&mut *tx).await?;
        sqlx::query(sql::DELETE_MEMBER).bind(member_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn leases(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as::<_, (String, String)>(sql::LEASES).fetch_all(&self.pool).await?)
    }

    async fn stats(&self) -> Result<DbStats> {
        self.settle().await;
        let rows = sqlx::query_as::<_, rows::TableStatsRow>(sql::TABLE_STATS).fetch_all(&self.pool).await?;
        let mut tables: Vec<TableStats> = convert(rows)?;
        let parts: Vec<(i64, Option<i64>, Option<i64>, i64, Option<i64>, Option<i64>)> =
            sqlx::query_as(sample_sql::SAMPLE_STATS).fetch_all(&self.pool).await?;
        let sum =
            |f: fn(&(i64, Option<i64>, Option<i64>, i64, Option<i64>, Option<i64>)) -> i64| parts.iter().map(f).sum();
        let min = |v: Vec<Option<i64>>| v.into_iter().flatten().min();
        let max = |v: Vec<Option<i64>>| v.into_iter().flatten().max();
        let samples = TableStats {
            table: "samples".into(),
            rows: sum(|p| p.0),
            oldest: from_ms_opt(min(parts.iter().map(|p| p.1).collect()))?,
            newest: from_ms_opt(max(parts.iter().map(|p| p.2).collect()))?,
        };
        let users = TableStats {
            table: "sample_users".into(),
            rows: sum(|p| p.3),
            oldest: from_ms_opt(min(parts.iter().map(|p| p.4).collect()))?,
            newest: from_ms_opt(max(parts.iter().map(|p| p.5).collect()))?,
        };
        tables.splice(0..0, [samples, users]);
        let size_bytes: i64 = sqlx::query_scalar(DB::SIZE_SQL).fetch_one(&self.pool).await?;
        Ok(DbStats {
            backend: DB::LABEL.to_string(),
            tables,
            size_bytes: Some(size_bytes),
            tiers: self.tier_stats().await?,
            servers: self.server_bytes().await?,
        })
    }

    async fn cleanup(&self, before: DateTime<Utc>) -> Result<u64> {
        self.settle().await;
        let before_ms = to_ms_ceil(before);
        // The 5-minute tier waits for raw samples to age (see `five_minute_horizon`): what is
        // deleted here is summarised first, as a maintenance pass at `before` would have, up to
        // the end of the 5-minute bucket holding `before` (later samples of that bucket are read
        // from the tier too, not twice: reads take raw samples after its progress). Buckets not
        // complete yet (the last two minutes before now) are not: a sample stored later would
        // be hidden behind the tier's progress, so those raw samples go unsummarised.
        let until = before_ms.saturating_add(crate::compact::rollup::TIERS[0] - 1);
        let at_ms = to_ms(Utc::now()).min(until.saturating_add(crate::rollups::LAG_MS));
        self.roll_up_all(at_ms, until).await?;
        self.cleanup_raw(before_ms).await
    }

    async fn flush(&self) -> Result<()> {
        self.settle().await;
        Ok(())
    }
}

/// One stored user of `server`'s cycle at `at`, as the top-users answers show it (its disk as
/// the cycle measured it).
fn top_user(u: UserUsage, server: &str, at: DateTime<Utc>) -> TopUser {
    TopUser {
        disk: u.disk_bytes,
        username: u.username,
        server_name: server.to_owned(),
        cpu: u.cpu,
        mem: u.mem,
        process_count: u.process_count,
        top_process: u.top_process,
        timestamp: at,
        rss_bytes: u.rss_bytes,
    }
}

/// A collection's users as stored: their non-finite readings as 0 (with a warning), copied
/// only if there is one; duplicate user names refused.
fn stored_users<'a>(s: &Success<'a>) -> Result<Cow<'a, [UserUsage]>> {
    let server = s.sample.server_name.as_str();
    let mut seen = std::collections::HashSet::with_capacity(s.users.len());
    if let Some(u) = s.users.iter().find(|u| !seen.insert(u.username.as_str())) {
        return Err(Error::Database(sqlx::Error::Protocol(format!(
            "user {:?} appears twice in one sample of {server}",
            u.username
        ))));
    }
    let readable = |u: &UserUsage| u.cpu.is_finite() && u.mem.is_finite() && u.disk_bytes.is_none_or(f64::is_finite);
    if s.users.iter().all(readable) {
        return Ok(Cow::Borrowed(s.users));
    }
    Ok(Cow::Owned(
        s.users
            .iter()
            .map(|u| UserUsage {
                cpu: finite_or_zero(u.cpu, "cpu", server, &u.username),
                mem: finite_or_zero(u.mem, "mem", server, &u.username),
                disk_bytes: finite(u.disk_bytes),
                ..u.clone()
            })
            .collect(),
    ))
}

/// Points a summary is read with when the range does not say: as fine as a chart's.
const SUMMARY_POINTS: u32 = 1_000;

fn history_point(ts: i64, values: &[Option<f64>], samples: i64) -> Result<HistoryPoint> {
    let mut p = HistoryPoint { timestamp: from_ms(ts)?, samples, ..HistoryPoint::default() };
    for (figure, v) in HISTORY_FIGURES.iter().zip(values) {
        *(figure.field)(&mut p) = *v;
    }
    Ok(p)
}

/// Opens `path` and waits for an exclusive `flock` on it, held until the file is dropped.
/// `flock` is apart from the POSIX record locks SQLite takes, so it never blocks SQLite's own.
async fn lock_file(path: std::path::PathBuf) -> Result<std::fs::File> {
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()));
    locked.and_then(|r| r).map_err(|e| sqlx::Error::Io(e).into())
}
