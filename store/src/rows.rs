//! Rows as both backends return them, and their conversion to the crate's types.
//!
//! The `FromRow` derives are generic over the database, so each row type serves SQLite and
//! PostgreSQL alike; each struct's fields are the columns its query selects. Timestamps travel
//! as unix epoch milliseconds. (`samples` rows are decoded from [`crate::columns`] instead.)

use fleetwatch_common::{OfflineReason, ProcessInfo, SeriesPoint, TopUser};

use crate::error::{Error, Result};
use crate::types::{HostKeyRecord, ProcessRecord, Ranking, ServerState, TableStats, UserDisk};
use crate::values::{from_ms, from_ms_opt};

#[derive(sqlx::FromRow)]
pub(crate) struct StateRow {
    server_name: String,
    ok: bool,
    last_attempt_ms: i64,
    last_success_ms: Option<i64>,
    reason: Option<String>,
    detail: Option<String>,
    duration_ms: i64,
}

impl TryFrom<StateRow> for ServerState {
    type Error = Error;

    fn try_from(r: StateRow) -> Result<Self> {
        let reason = match r.reason.as_deref() {
            None => None,
            Some(s) => Some(
                OfflineReason::parse(s)
                    .ok_or_else(|| Error::Corrupt(format!("unknown offline reason {s:?} for {}", r.server_name)))?,
            ),
        };
        Ok(ServerState {
            last_attempt: from_ms(r.last_attempt_ms)?,
            last_success: from_ms_opt(r.last_success_ms)?,
            server_name: r.server_name,
            ok: r.ok,
            reason,
            detail: r.detail,
            duration_ms: r.duration_ms,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TopUserRow {
    username: String,
    server_name: String,
    cpu: f64,
    mem: f64,
    disk_bytes: Option<f64>,
    process_count: i64,
    top_process: String,
    ts_ms: i64,
    rss_bytes: i64,
}

impl TryFrom<TopUserRow> for TopUser {
    type Error = Error;

    fn try_from(r: TopUserRow) -> Result<Self> {
        Ok(TopUser {
            username: r.username,
            server_name: r.server_name,
            cpu: r.cpu,
            mem: r.mem,
            disk: r.disk_bytes,
            process_count: r.process_count,
            top_process: r.top_process,
            timestamp: from_ms(r.ts_ms)?,
            rss_bytes: r.rss_bytes,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HostKeyRow {
    server_name: String,
    host: String,
    port: i32,
    fingerprint: String,
    first_seen_ms: i64,
}

impl TryFrom<HostKeyRow> for HostKeyRecord {
    type Error = Error;

    fn try_from(r: HostKeyRow) -> Result<Self> {
        let port = u16::try_from(r.port)
            .map_err(|_| Error::Corrupt(format!("port {} of host key for {}", r.port, r.server_name)))?;
        Ok(HostKeyRecord {
            first_seen: from_ms(r.first_seen_ms)?,
            server_name: r.server_name,
            host: r.host,
            port,
            fingerprint: r.fingerprint,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TableStatsRow {
    table_name: String,
    row_count: i64,
    oldest_ms: Option<i64>,
    newest_ms: Option<i64>,
}

impl TryFrom<TableStatsRow> for TableStats {
    type Error = Error;

    fn try_from(r: TableStatsRow) -> Result<Self> {
        Ok(TableStats {
            table: r.table_name,
            rows: r.row_count,
            oldest: from_ms_opt(r.oldest_ms)?,
            newest: from_ms_opt(r.newest_ms)?,
        })
    }
}

/// Converts every row, failing on the first that does not convert.
pub(crate) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>>
where
    T: TryFrom<R, Error = Error>,
{
    rows.into_iter().map(T::try_from).collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct SeriesRow {
    ts_ms: i64,
    value: Option<f64>,
    samples: i64,
}

impl TryFrom<SeriesRow> for SeriesPoint {
    type Error = Error;

    fn try_from(r: SeriesRow) -> Result<Self> {
        Ok(SeriesPoint {
            timestamp: from_ms(r.ts_ms)?,
            value: r.value.unwrap_or(f64::NAN),
            samples: r.samples,
            min: None,
            max: None,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProcessRow {
    server_name: String,
    ts_ms: i64,
    ranking: String,
    rank: i64,
    pid: i64,
    username: String,
    command: String,
    cpu_percent: f64,
    rss_bytes: i64,
    mem_percent: f64,
    threads: i64,
    open_fds: Option<i64>,
}

impl TryFrom<ProcessRow> for ProcessRecord {
    type Error = Error;

    fn try_from(r: ProcessRow) -> Result<Self> {
        let ranking = Ranking::parse(&r.ranking)
            .ok_or_else(|| Error::Corrupt(format!("unknown process ranking {:?} for {}", r.ranking, r.server_name)))?;
        Ok(ProcessRecord {
            server_name: r.server_name,
            timestamp: from_ms(r.ts_ms)?,
            ranking,
            rank: r.rank,
            process: ProcessInfo {
                pid: r.pid,
                user: r.username,
                command: r.command,
                cpu_percent: r.cpu_percent,
                rss_bytes: r.rss_bytes,
                mem_percent: r.mem_percent,
                threads: r.threads,
                open_fds: r.open_fds,
            },
        })
    }
}

pub(crate) fn details_from_json(json: &str) -> Result<fleetwatch_common::Details> {
    serde_json::from_str(json).map_err(|e| Error::Corrupt(format!("stored details are not valid: {e}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserDiskRow {
    server_name: String,
    username: String,
    bytes: i64,
    ts_ms: i64,
}

impl TryFrom<UserDiskRow> for UserDisk {
    type Error = Error;

    fn try_from(r: UserDiskRow) -> Result<Self> {
        Ok(UserDisk { server_name: r.server_name, username: r.username, bytes: r.bytes, timestamp: from_ms(r.ts_ms)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_stored_ranking_is_corrupt_not_a_panic() {
        let row = ProcessRow {
            server_name: "web-1".into(),
            ts_ms: 0,
            ranking: "io".into(),
            rank: 1,
            pid: 1,
            username: "root".into(),
            command: "init".into(),
            cpu_percent: 0.0,
            rss_bytes: 0,
            mem_percent: 0.0,
            threads: 1,
            open_fds: None,
        };
        assert!(matches!(ProcessRecord::try_from(row), Err(Error::Corrupt(_))));
    }

    #[test]
    fn an_unknown_stored_reason_is_corrupt_not_a_panic() {
        let row = StateRow {
            server_name: "web-1".into(),
            ok: false,
            last_attempt_ms: 0,
            last_success_ms: None,
            reason: Some("gremlins".into()),
            detail: None,
            duration_ms: 0,
        };
        assert!(matches!(ServerState::try_from(row), Err(Error::Corrupt(_))));
    }
}
