//! The one implementation of [`crate::Store`], expanded for each backend's pool type.
//!
//! The bodies below are written once; `impl_store!` compiles them against `SqlitePool` and
//! `PgPool`, so each query's binds and decodes are type-checked for both databases. The SQL is in
//! [`crate::sql`], the row conversions in [`crate::rows`].

/// Implements [`crate::Store`] for `$store`, a struct with a `pool: sqlx::Pool<_>` field.
///
/// - `backend`: the name [`crate::Store::stats`] reports.
/// - `migrator`: the `sqlx::migrate::Migrator` holding this backend's migrations.
/// - `size_sql`: a query returning the database size in bytes as one `BIGINT`.
macro_rules! impl_store {
    ($store:ty, backend: $backend:literal, migrator: $migrator:expr, size_sql: $size_sql:expr $(,)?) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            async fn migrate(&self) -> $crate::Result<()> {
                $migrator.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> $crate::Result<()> {
                sqlx::query($crate::sql::PING).execute(&self.pool).await?;
                Ok(())
            }

            async fn record_success(
                &self,
                sample: &fleetwatch_common::Sample,
                users: &[$crate::UserUsage],
                details: Option<&fleetwatch_common::Details>,
                duration_ms: i64,
            ) -> $crate::Result<()> {
                use $crate::rows::{finite, finite_or_zero, to_ms};

                let server = sample.server_name.as_str();
                let ts_ms = to_ms(sample.timestamp);
                let mut tx = self.pool.begin().await?;
                let sample_id: i64 = sqlx::query_scalar($crate::sql::INSERT_SAMPLE)
                    .bind(server)
                    .bind(ts_ms)
                    .bind(finite(sample.cpu_percent))
                    .bind(finite(sample.cpu_load_1min))
                    .bind(finite(sample.cpu_load_5min))
                    .bind(finite(sample.cpu_load_15min))
                    .bind(finite(sample.ram_percentage))
                    .bind(finite(sample.swap_percentage))
                    .bind(finite(sample.disk_percentage))
                    .bind(sample.logged_users)
                    .bind(sample.tcp_connections)
                    .bind(sample.uptime_seconds)
                    .bind(sample.cpu_cores)
                    .bind(sample.ram_total_bytes)
                    .bind(sample.ram_used_bytes)
                    .bind(sample.disk_total_bytes)
                    .bind(sample.disk_used_bytes)
                    .bind(sample.disk_mount.as_deref())
                    .bind(sample.hostname.as_deref())
                    .fetch_one(&mut *tx)
                    .await?;
                for u in users {
                    let user = u.username.as_str();
                    sqlx::query($crate::sql::INSERT_SAMPLE_USER)
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
                    let json = serde_json::to_string(d)
                        .map_err(|e| $crate::Error::Corrupt(format!("details cannot be encoded: {e}")))?;
                    sqlx::query($crate::sql::INSERT_DETAILS)
                        .bind(sample_id)
                        .bind(server)
                        .bind(ts_ms)
                        .bind(json)
                        .execute(&mut *tx)
                        .await?;
                    let ranked = [("cpu", &d.processes_by_cpu), ("memory", &d.processes_by_memory)];
                    let processes: Vec<(&str, i64, &fleetwatch_common::ProcessInfo)> = ranked
                        .into_iter()
                        .flat_map(|(kind, list)| list.iter().enumerate().map(move |(i, p)| (kind, i as i64 + 1, p)))
                        .collect();
                    for chunk in processes.chunks($crate::sql::INSERT_CHUNK) {
                        let mut qb = sqlx::QueryBuilder::new($crate::sql::INSERT_PROCESSES);
                        qb.push_values(chunk, |mut b, (kind, rank, p)| {
                            b.push_bind(sample_id)
                                .push_bind(server)
                                .push_bind(ts_ms)
                                .push_bind(*kind)
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
                    for chunk in series.chunks($crate::sql::INSERT_CHUNK) {
                        let mut qb = sqlx::QueryBuilder::new($crate::sql::INSERT_SERIES);
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
                sqlx::query($crate::sql::UPSERT_STATE_SUCCESS)
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
                at: chrono::DateTime<chrono::Utc>,
                reason: fleetwatch_common::OfflineReason,
                detail: &str,
                duration_ms: i64,
            ) -> $crate::Result<()> {
                sqlx::query($crate::sql::UPSERT_STATE_FAILURE)
                    .bind(server_name)
                    .bind($crate::rows::to_ms(at))
                    .bind(reason.as_str())
                    .bind(detail)
                    .bind(duration_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn server_states(&self) -> $crate::Result<Vec<$crate::ServerState>> {
                let rows = sqlx::query_as::<_, $crate::rows::StateRow>($crate::sql::SERVER_STATES)
                    .fetch_all(&self.pool)
                    .await?;
                let mut states: Vec<$crate::ServerState> = $crate::rows::convert(rows)?;
                // Sorted here, not in SQL: the backends' collations disagree.
                states.sort_by(|a, b| a.server_name.cmp(&b.server_name));
                Ok(states)
            }

            async fn latest_samples(&self) -> $crate::Result<Vec<fleetwatch_common::Sample>> {
                let rows = sqlx::query_as::<_, $crate::rows::SampleRow>($crate::sql::LATEST_SAMPLES)
                    .fetch_all(&self.pool)
                    .await?;
                let mut samples: Vec<fleetwatch_common::Sample> = $crate::rows::convert(rows)?;
                samples.sort_by(|a, b| a.server_name.cmp(&b.server_name));
                Ok(samples)
            }

            async fn latest_sample(&self, server_name: &str) -> $crate::Result<Option<fleetwatch_common::Sample>> {
                sqlx::query_as::<_, $crate::rows::SampleRow>($crate::sql::LATEST_SAMPLE)
                    .bind(server_name)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(fleetwatch_common::Sample::try_from)
                    .transpose()
            }

            async fn history(
                &self,
                server_name: &str,
                range: $crate::TimeRange,
            ) -> $crate::Result<Vec<fleetwatch_common::HistoryPoint>> {
                let from = $crate::rows::to_ms_ceil(range.from);
                let to = $crate::rows::to_ms(range.to);
                let width = $crate::rows::bucket_width(from, to, range.max_points);
                let rows = sqlx::query_as::<_, $crate::rows::HistoryRow>($crate::sql::HISTORY)
                    .bind(server_name)
                    .bind(from)
                    .bind(to)
                    .bind(width)
                    .fetch_all(&self.pool)
                    .await?;
                $crate::rows::convert(rows)
            }

            async fn top_users(
                &self,
                server_name: Option<&str>,
                limit: i64,
            ) -> $crate::Result<Vec<fleetwatch_common::TopUser>> {
                let rows = sqlx::query_as::<_, $crate::rows::TopUserRow>($crate::sql::TOP_USERS)
                    .bind(server_name)
                    .bind(limit.max(0))
                    .fetch_all(&self.pool)
                    .await?;
                $crate::rows::convert(rows)
            }

            async fn host_key(&self, server_name: &str) -> $crate::Result<Option<$crate::HostKeyRecord>> {
                sqlx::query_as::<_, $crate::rows::HostKeyRow>($crate::sql::HOST_KEY)
                    .bind(server_name)
                    .fetch_optional(&self.pool)
                    .await?
                    .map($crate::HostKeyRecord::try_from)
                    .transpose()
            }

            async fn save_host_key(&self, record: &$crate::HostKeyRecord) -> $crate::Result<()> {
                let inserted = sqlx::query($crate::sql::INSERT_HOST_KEY)
                    .bind(record.server_name.as_str())
                    .bind(record.host.as_str())
                    .bind(i32::from(record.port))
                    .bind(record.fingerprint.as_str())
                    .bind($crate::rows::to_ms(record.first_seen))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                if inserted > 0 {
                    return Ok(());
                }
                // A row exists (rows are never updated or deleted): the same key is no news.
                match <Self as $crate::Store>::host_key(self, &record.server_name).await? {
                    Some(existing) if existing.fingerprint == record.fingerprint => Ok(()),
                    Some(existing) => Err($crate::Error::Conflict(format!(
                        "host key of {} is recorded as {}, refusing {}",
                        record.server_name, existing.fingerprint, record.fingerprint
                    ))),
                    None => Err($crate::Error::Conflict(format!(
                        "host key of {} vanished while being recorded",
                        record.server_name
                    ))),
                }
            }

            async fn details(
                &self,
                server_name: &str,
                at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::Result<Option<fleetwatch_common::Details>> {
                let json: Option<String> = match at {
                    None => {
                        sqlx::query_scalar($crate::sql::LATEST_DETAILS)
                            .bind(server_name)
                            .fetch_optional(&self.pool)
                            .await?
                    }
                    Some(t) => {
                        sqlx::query_scalar($crate::sql::DETAILS_AT)
                            .bind(server_name)
                            .bind($crate::rows::to_ms(t))
                            .fetch_optional(&self.pool)
                            .await?
                    }
                };
                json.as_deref().map($crate::rows::details_from_json).transpose()
            }

            async fn series(
                &self,
                server_name: &str,
                name: &str,
                range: $crate::TimeRange,
            ) -> $crate::Result<Vec<fleetwatch_common::SeriesPoint>> {
                let from = $crate::rows::to_ms_ceil(range.from);
                let to = $crate::rows::to_ms(range.to);
                let rows = sqlx::query_as::<_, $crate::rows::SeriesRow>($crate::sql::SERIES)
                    .bind(server_name)
                    .bind(name)
                    .bind(from)
                    .bind(to)
                    .bind($crate::rows::bucket_width(from, to, range.max_points))
                    .fetch_all(&self.pool)
                    .await?;
                $crate::rows::convert(rows)
            }

            async fn series_names(&self, server_name: &str) -> $crate::Result<Vec<String>> {
                Ok(sqlx::query_scalar($crate::sql::SERIES_NAMES).bind(server_name).fetch_all(&self.pool).await?)
            }

            async fn latest_processes(
                &self,
                server_name: Option<&str>,
                ranking: &str,
            ) -> $crate::Result<Vec<$crate::ProcessRecord>> {
                let rows = sqlx::query_as::<_, $crate::rows::ProcessRow>($crate::sql::LATEST_PROCESSES)
                    .bind(server_name)
                    .bind(ranking)
                    .fetch_all(&self.pool)
                    .await?;
                $crate::rows::convert(rows)
            }

            async fn record_user_disk(
                &self,
                server_name: &str,
                at: chrono::DateTime<chrono::Utc>,
                usage: &[(String, i64)],
            ) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($crate::sql::DELETE_USER_DISK).bind(server_name).execute(&mut *tx).await?;
                for (user, bytes) in usage {
                    sqlx::query($crate::sql::INSERT_USER_DISK)
                        .bind(server_name)
                        .bind(user.as_str())
                        .bind(*bytes)
                        .bind($crate::rows::to_ms(at))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn user_disk(&self, server_name: Option<&str>) -> $crate::Result<Vec<$crate::UserDisk>> {
                let rows = sqlx::query_as::<_, $crate::rows::UserDiskRow>($crate::sql::USER_DISK)
                    .bind(server_name)
                    .fetch_all(&self.pool)
                    .await?;
                $crate::rows::convert(rows)
            }

            async fn heartbeat(&self, member_id: &str, now: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                sqlx::query($crate::sql::HEARTBEAT)
                    .bind(member_id)
                    .bind($crate::rows::to_ms(now))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn live_members(&self, since: chrono::DateTime<chrono::Utc>) -> $crate::Result<Vec<String>> {
                Ok(sqlx::query_scalar($crate::sql::LIVE_MEMBERS)
                    .bind($crate::rows::to_ms(since))
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn acquire_lease(
                &self,
                server_name: &str,
                member_id: &str,
                now: chrono::DateTime<chrono::Utc>,
                alive_since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let holder: Option<String> = sqlx::query_scalar($crate::sql::ACQUIRE_LEASE)
                    .bind(server_name)
                    .bind(member_id)
                    .bind($crate::rows::to_ms(now))
                    .bind($crate::rows::to_ms(alive_since))
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(holder.as_deref() == Some(member_id))
            }

            async fn release_lease(&self, server_name: &str, member_id: &str) -> $crate::Result<()> {
                sqlx::query($crate::sql::RELEASE_LEASE).bind(server_name).bind(member_id).execute(&self.pool).await?;
                Ok(())
            }

            async fn leave(&self, member_id: &str) -> $crate::Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query($crate::sql::RELEASE_ALL_LEASES).bind(member_id).execute(&mut *tx).await?;
                sqlx::query($crate::sql::DELETE_MEMBER).bind(member_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn leases(&self) -> $crate::Result<Vec<(String, String)>> {
                Ok(sqlx::query_as::<_, (String, String)>($crate::sql::LEASES).fetch_all(&self.pool).await?)
            }

            async fn stats(&self) -> $crate::Result<$crate::DbStats> {
                let rows = sqlx::query_as::<_, $crate::rows::TableStatsRow>($crate::sql::TABLE_STATS)
                    .fetch_all(&self.pool)
                    .await?;
                let size_bytes: i64 = sqlx::query_scalar($size_sql).fetch_one(&self.pool).await?;
                Ok($crate::DbStats {
                    backend: $backend.to_string(),
                    tables: $crate::rows::convert(rows)?,
                    size_bytes: Some(size_bytes),
                })
            }

            async fn cleanup(&self, before: chrono::DateTime<chrono::Utc>) -> $crate::Result<u64> {
                let before_ms = $crate::rows::to_ms_ceil(before);
                let batch = $crate::sql::CLEANUP_BATCH_SIZE;
                let mut deleted: u64 = 0;
                loop {
                    let n = sqlx::query($crate::sql::CLEANUP_BATCH)
                        .bind(before_ms)
                        .bind(batch)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                    deleted = deleted.saturating_add(n);
                    if n < batch.unsigned_abs() {
                        return Ok(deleted);
                    }
                }
            }
        }
    };
}

pub(crate) use impl_store;
