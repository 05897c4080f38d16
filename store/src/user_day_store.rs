//! User activity per user, per server, per UTC day in the database: summarised from raw
//! samples by the maintenance pass before they age out ([`SqlStore::roll_up_user_days`]), kept
//! as long as the 1-day rollup tier ([`SqlStore::expire_user_days`]), and read with the days
//! not yet summarised computed from raw samples ([`SqlStore::read_user_days`]). How each
//! figure is computed is in [`crate::user_days`].
//!
//! A server's days are complete up to its `user_day_progress.done_ms`, which also keeps the time
//! of its last sample before that: the next summary starts there, and the part of its first
//! interval before `done_ms` is added to the days already stored. Raw samples are never deleted
//! before every server's days are summarised past them (see `retention.rs`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use fleetwatch_common::UserDay;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use crate::backend::{Backend, SqlStore};
use crate::compact::block::Figures;
use crate::compact::frame;
use crate::compact::lists::unpack as unpack_lists;
use crate::error::{Error, Result};
use crate::rollup_sql;
use crate::sample_sql;
use crate::user_day_sql as sql;
use crate::user_days::{DAY_MS, DayKey, DayRow, MAX_INTERVAL_MS, Point, day_of, summarise};
use crate::values::{to_ms, to_ms_ceil};

/// A day is summarised this long after it ends, so that samples stored a little late are in it.
const LAG_MS: i64 = 120_000;

/// Days summarised per transaction.
const STEP_DAYS: i64 = 7;

/// Days deleted per statement.
const EXPIRE_BATCH: i64 = 100;

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
    /// Summarises every server's complete days up to `now_ms` (a day is complete two minutes
    /// after it ends); returns how many user days were written. Each step of up to a week is
    /// one short transaction.
    pub(crate) async fn roll_up_user_days(&self, now_ms: i64) -> Result<u64> {
        let limit = day_of(now_ms - LAG_MS);
        let servers: Vec<i64> = sqlx::query_scalar(rollup_sql::SERVER_IDS).fetch_all(&self.pool).await?;
        let mut written = 0;
        for id in servers {
            written += self.roll_up_user_server(id, limit).await?;
        }
        Ok(written)
    }

    async fn roll_up_user_server(&self, server_id: i64, limit: i64) -> Result<u64> {
        let progress: Option<(i64, Option<i64>)> =
            sqlx::query_as(sql::PROGRESS).bind(server_id).fetch_optional(&self.pool).await?;
        let (mut done, mut last) = match progress {
            Some(p) => p,
            None => {
                let oldest: Option<i64> =
                    sqlx::query_scalar(rollup_sql::OLDEST_RAW).bind(server_id).fetch_one(&self.pool).await?;
                let Some(oldest) = oldest else { return Ok(0) };
                sqlx::query(sql::INIT_PROGRESS).bind(server_id).bind(day_of(oldest)).execute(&self.pool).await?;
                let p: (i64, Option<i64>) = sqlx::query_as(sql::PROGRESS).bind(server_id).fetch_one(&self.pool).await?;
                p
            }
        };
        let mut written = 0;
        while done < limit {
            let next: Option<i64> =
                sqlx::query_scalar(rollup_sql::NEXT_RAW).bind(server_id).bind(done).fetch_one(&self.pool).await?;
            let (end, summary) = match next {
                // No sample up to the next one's day: nothing to summarise there.
                None => (limit, None),
                Some(n) if day_of(n) > done => (day_of(n).min(limit), None),
                Some(_) => {
                    let end = (done + STEP_DAYS * DAY_MS).min(limit);
                    let (before, points) = self.user_points(server_id, done, end - 1).await?;
                    (end, Some(summarise(&points, last.or(before), done, end)))
                }
            };
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let locked = format!("{}{}", sql::PROGRESS, DB::LOCK_ROWS);
            let now: Option<(i64, Option<i64>)> =
                sqlx::query_as(sqlx::AssertSqlSafe(locked)).bind(server_id).fetch_optional(&mut *tx).await?;
            if now != Some((done, last)) {
                // Another process summarised these days meanwhile.
                tx.rollback().await?;
                break;
            }
            if let Some(s) = &summary {
                for ((day, user), row) in &s.days {
                    write_day::<DB>(&mut tx, server_id, *day, user, row).await?;
                }
                for ((day, user), c) in &s.carried {
                    sqlx::query(sql::CARRY_DAY)
                        .bind(server_id)
                        .bind(*day)
                        .bind(user.as_str())
                        .bind(c.cpu_seconds)
                        .bind(c.session_seconds)
                        .execute(&mut *tx)
                        .await?;
                }
                written += s.days.len() as u64;
                last = s.last_ms.or(last);
            }
            sqlx::query(sql::SET_PROGRESS).bind(server_id).bind(end).bind(last).execute(&mut *tx).await?;
            tx.commit().await?;
            done = end;
        }
        Ok(written)
    }

    /// Deletes the user days before `cut` (a time); returns how many rows went.
    pub(crate) async fn expire_user_days(&self, cut: i64) -> Result<u64> {
        let mut deleted = 0u64;
        loop {
            let days: Vec<i64> =
                sqlx::query_scalar(sql::EXPIRED_DAYS).bind(cut).bind(EXPIRE_BATCH).fetch_all(&self.pool).await?;
            for day in &days {
                let r = sqlx::query(sql::DELETE_DAY).bind(*day).execute(&self.pool).await?;
                deleted += DB::rows_affected(&r);
            }
            if (days.len() as i64) < EXPIRE_BATCH {
                return Ok(deleted);
            }
        }
    }

    /// Where every server's days are summarised up to (raw samples before it may go).
    pub(crate) async fn user_days_done(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(sql::LEAST_DONE).fetch_one(&self.pool).await?)
    }

    /// The user days of the UTC days from `from`'s through `to`'s, of one user and one server
    /// or all, sorted by day, server and user: stored days, and those not summarised yet computed
    /// from raw samples.
    pub(crate) async fn read_user_days(
        &self,
        user: Option<&str>,
        server: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<UserDay>> {
        let lo = day_of(to_ms_ceil(from));
        let hi = day_of(to_ms(to)).saturating_add(DAY_MS);
        let servers: Vec<(i64, String)> = sqlx::query_as(sql::SERVERS).bind(server).fetch_all(&self.pool).await?;
        let progress: HashMap<i64, (i64, Option<i64>)> =
            sqlx::query_as::<_, (i64, i64, Option<i64>)>(sql::PROGRESS_ALL)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(id, done, last)| (id, (done, last)))
                .collect();
        let mut days: BTreeMap<(i64, DayKey), DayRow> = BTreeMap::new();
        let rows = sqlx::query(sql::DAYS).bind(lo).bind(hi - 1).bind(user).bind(server).fetch_all(&self.pool).await?;
        for r in &rows {
            let (id, day, name): (i64, i64, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            if progress.get(&id).is_some_and(|p| day < p.0) {
                days.insert((id, (day, name)), read_row(r)?);
            }
        }
        for (id, _) in &servers {
            let (start, prev) = match progress.get(id) {
                Some(&(done, last)) if done >= lo => (done, last),
                _ => (lo, None),
            };
            if start >= hi {
                continue;
            }
            // Through an interval past the range's end: its part before the end counts.
            let (before, points) = self.user_points(*id, start, hi - 1 + MAX_INTERVAL_MS).await?;
            let s = summarise(&points, prev.or(before), start, hi);
            let wanted = |name: &str| user.is_none_or(|u| u == name);
            for (key, row) in s.days {
                if wanted(&key.1) {
                    days.insert((*id, key), row);
                }
            }
            for (key, c) in s.carried {
                if key.0 >= lo && wanted(&key.1) {
                    days.entry((*id, key)).or_default().add_carried(&c);
                }
            }
        }
        let names: HashMap<i64, &str> = servers.iter().map(|(id, n)| (*id, n.as_str())).collect();
        let mut out = Vec::with_capacity(days.len());
        for ((id, (day, username)), row) in days {
            let Some(server_name) = names.get(&id) else { continue };
            out.push(user_day(server_name, day, username, &row)?);
        }
        out.sort_by(|a, b| (a.day, &a.server_name, &a.username).cmp(&(b.day, &b.server_name, &b.username)));
        Ok(out)
    }

    /// The time of a server's last raw sample before `from`, and the users (and sessions, where
    /// known) of its raw samples in `[from, to]`, oldest first.
    async fn user_points(&self, server_id: i64, from: i64, to: i64) -> Result<(Option<i64>, Vec<Point>)> {
        let mut conn = self.pool.acquire().await?;
        let mut before: Option<i64> =
            sqlx::query_scalar(sql::LAST_RAW_BEFORE).bind(server_id).bind(from).fetch_one(&mut *conn).await?;
        let mut points = Vec::new();
        let blocks: Vec<(Vec<u8>, Vec<u8>)> =
            sqlx::query_as(sql::BLOCK_LISTS_IN).bind(server_id).bind(from).bind(to).fetch_all(&mut *conn).await?;
        for (figures, lists) in &blocks {
            let fig = Figures::open(figures)?;
            let lists = unpack_lists(lists)?;
            for (row, &ts) in fig.ts.iter().enumerate() {
                if ts < from {
                    before = before.max(Some(ts));
                }
                if ts < from || ts > to {
                    continue;
                }
                let facts = self.stored_facts(&mut conn, fig.facts[row]).await?;
                let users = lists.get(row).map(|l| l.0.clone()).unwrap_or_default();
                points.push(Point { ts, users, sessions: facts.facts.details.as_ref().map(|d| d.sessions.clone()) });
            }
        }
        let rows = sqlx::query(sample_sql::FRAMES_IN).bind(server_id).bind(from).bind(to).fetch_all(&mut *conn).await?;
        for row in &rows {
            let (ts, facts_id): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
            let body: Vec<u8> = row.try_get(3)?;
            let facts = self.stored_facts(&mut conn, facts_id).await?;
            let users = frame::decode(&body, &facts.names)?.users;
            points.push(Point { ts, users, sessions: facts.facts.details.as_ref().map(|d| d.sessions.clone()) });
        }
        points.sort_by_key(|p| p.ts);
        Ok((before, points))
    }
}

async fn write_day<DB>(conn: &mut DB::Connection, server_id: i64, day: i64, user: &str, r: &DayRow) -> Result<()>
where
    DB: Backend,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
{
    sqlx::query(sql::UPSERT_DAY)
        .bind(server_id)
        .bind(day)
        .bind(user)
        .bind(r.samples)
        .bind(r.cpu_seconds)
        .bind(r.cpu_percent_max)
        .bind(r.mem_percent_sum)
        .bind(r.mem_percent_max)
        .bind(r.rss_bytes_sum)
        .bind(r.rss_bytes_max)
        .bind(r.processes_sum)
        .bind(r.processes_max)
        .bind(r.sessions)
        .bind(r.session_seconds)
        .bind(r.disk_bytes)
        .bind(r.disk_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn read_row<R: Row>(r: &R) -> Result<DayRow>
where
    usize: ColumnIndex<R>,
    for<'a> i64: Decode<'a, R::Database> + Type<R::Database>,
    for<'a> f64: Decode<'a, R::Database> + Type<R::Database>,
{
    Ok(DayRow {
        samples: r.try_get(3)?,
        cpu_seconds: r.try_get(4)?,
        cpu_percent_max: r.try_get(5)?,
        mem_percent_sum: r.try_get(6)?,
        mem_percent_max: r.try_get(7)?,
        rss_bytes_sum: r.try_get(8)?,
        rss_bytes_max: r.try_get(9)?,
        processes_sum: r.try_get(10)?,
        processes_max: r.try_get(11)?,
        sessions: r.try_get(12)?,
        session_seconds: r.try_get(13)?,
        disk_bytes: r.try_get(14)?,
        disk_ms: r.try_get(15)?,
    })
}

/// A day as served: averages from the sums.
fn user_day(server_name: &str, day: i64, username: String, r: &DayRow) -> Result<UserDay> {
    let date = DateTime::from_timestamp_millis(day)
        .ok_or_else(|| Error::Corrupt(format!("user day {day} ms is out of range")))?
        .date_naive();
    let avg = |sum: f64| (r.samples > 0).then(|| sum / r.samples as f64);
    Ok(UserDay {
        username,
        server_name: server_name.to_owned(),
        day: date,
        samples: r.samples,
        cpu_seconds: r.cpu_seconds,
        cpu_percent_max: r.cpu_percent_max,
        mem_percent_avg: avg(r.mem_percent_sum),
        mem_percent_max: r.mem_percent_max,
        rss_bytes_avg: avg(r.rss_bytes_sum as f64),
        rss_bytes_max: r.rss_bytes_max,
        processes_avg: avg(r.processes_sum as f64),
        processes_max: r.processes_max,
        sessions: r.sessions,
        session_seconds: r.session_seconds,
        disk_bytes: r.disk_bytes,
    })
}
