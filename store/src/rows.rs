//! Rows as both backends return them, and their conversion to the crate's types.
//!
//! The `FromRow` derives are generic over the database, so each row type serves SQLite and
//! PostgreSQL alike. Timestamps travel as unix epoch milliseconds.

use chrono::{DateTime, Utc};
use fleetwatch_common::{HistoryPoint, OfflineReason, Sample, TopUser};

use crate::error::{Error, Result};
use crate::types::{HostKeyRecord, ServerState, TableStats};

/// The millisecond a stored timestamp is rounded to (down: sub-millisecond digits are dropped).
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The first whole millisecond at or after `t`: the bound to compare stored timestamps with, so
/// that `ts_ms >= bound` means "at or after `t`" and `ts_ms < bound` means "before `t`".
pub(crate) fn to_ms_ceil(t: DateTime<Utc>) -> i64 {
    let floor = t.timestamp_millis();
    if t.timestamp_subsec_nanos().is_multiple_of(1_000_000) { floor } else { floor.saturating_add(1) }
}

/// The bucket width (ms, at least 1) that splits `[from, to]` into at most `max_points` buckets;
/// 1 ms (one point per sample) without a limit.
pub(crate) fn bucket_width(from: i64, to: i64, max_points: Option<u32>) -> i64 {
    let Some(max_points) = max_points else { return 1 };
    let span = to.saturating_sub(from).saturating_add(1).max(1);
    let n = i64::from(max_points.max(1));
    (span + n - 1) / n
}

pub(crate) fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Error::Corrupt(format!("timestamp {ms} ms is out of range")))
}

fn from_ms_opt(ms: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}

/// `None` for NaN and infinities, which the backends would store differently (SQLite turns
/// NaN into NULL): "not available" is what such a reading means.
pub(crate) fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// A required measurement that is NaN or infinite is stored as 0, with a warning.
pub(crate) fn finite_or_zero(v: f64, field: &str, server: &str, username: &str) -> f64 {
    if v.is_finite() {
        v
    } else {
        tracing::warn!(server = %server, user = %username, field, value = %v,
            "non-finite user measurement stored as 0");
        0.0
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SampleRow {
    server_name: String,
    ts_ms: i64,
    cpu_percent: Option<f64>,
    cpu_load_1min: Option<f64>,
    cpu_load_5min: Option<f64>,
    cpu_load_15min: Option<f64>,
    ram_percentage: Option<f64>,
    swap_percentage: Option<f64>,
    disk_percentage: Option<f64>,
    logged_users: Option<i64>,
    tcp_connections: Option<i64>,
    uptime_seconds: Option<i64>,
    cpu_cores: Option<i64>,
    ram_total_bytes: Option<i64>,
    ram_used_bytes: Option<i64>,
    disk_total_bytes: Option<i64>,
    disk_used_bytes: Option<i64>,
    disk_mount: Option<String>,
    hostname: Option<String>,
}

impl TryFrom<SampleRow> for Sample {
    type Error = Error;

    fn try_from(r: SampleRow) -> Result<Self> {
        Ok(Sample {
            server_name: r.server_name,
            cpu_percent: r.cpu_percent,
            cpu_load_1min: r.cpu_load_1min,
            cpu_load_5min: r.cpu_load_5min,
            cpu_load_15min: r.cpu_load_15min,
            ram_percentage: r.ram_percentage,
            swap_percentage: r.swap_percentage,
            disk_percentage: r.disk_percentage,
            logged_users: r.logged_users,
            tcp_connections: r.tcp_connections,
            uptime_seconds: r.uptime_seconds,
            timestamp: from_ms(r.ts_ms)?,
            cpu_cores: r.cpu_cores,
            ram_total_bytes: r.ram_total_bytes,
            ram_used_bytes: r.ram_used_bytes,
            disk_total_bytes: r.disk_total_bytes,
            disk_used_bytes: r.disk_used_bytes,
            disk_mount: r.disk_mount,
            hostname: r.hostname,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HistoryRow {
    ts_ms: i64,
    cpu_percent: Option<f64>,
    cpu_load_5min: Option<f64>,
    ram_percentage: Option<f64>,
    disk_percentage: Option<f64>,
    cpu_load_1min: Option<f64>,
    cpu_load_15min: Option<f64>,
    swap_percentage: Option<f64>,
    tcp_connections: Option<f64>,
    logged_users: Option<f64>,
    samples: i64,
}

impl TryFrom<HistoryRow> for HistoryPoint {
    type Error = Error;

    fn try_from(r: HistoryRow) -> Result<Self> {
        Ok(HistoryPoint {
            timestamp: from_ms(r.ts_ms)?,
            cpu_percent: r.cpu_percent,
            cpu_load_5min: r.cpu_load_5min,
            ram_percentage: r.ram_percentage,
            disk_percentage: r.disk_percentage,
            cpu_load_1min: r.cpu_load_1min,
            cpu_load_15min: r.cpu_load_15min,
            swap_percentage: r.swap_percentage,
            tcp_connections: r.tcp_connections,
            logged_users: r.logged_users,
            samples: r.samples,
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_round_up_to_the_next_whole_millisecond() {
        let whole = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap_or_default();
        assert_eq!(to_ms(whole), 1_700_000_000_123);
        assert_eq!(to_ms_ceil(whole), 1_700_000_000_123);
        let later = whole + chrono::Duration::nanoseconds(1);
        assert_eq!(to_ms(later), 1_700_000_000_123);
        assert_eq!(to_ms_ceil(later), 1_700_000_000_124);
        let before_epoch =
            DateTime::from_timestamp_millis(-5).unwrap_or_default() + chrono::Duration::nanoseconds(500_000);
        assert_eq!(to_ms(before_epoch), -5);
        assert_eq!(to_ms_ceil(before_epoch), -4);
    }

    #[test]
    fn non_finite_readings_are_not_available() {
        assert_eq!(finite(Some(f64::NAN)), None);
        assert_eq!(finite(Some(f64::INFINITY)), None);
        assert_eq!(finite(Some(1.5)), Some(1.5));
        assert_eq!(finite_or_zero(f64::NAN, "cpu", "s", "u"), 0.0);
        assert_eq!(finite_or_zero(2.5, "cpu", "s", "u"), 2.5);
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

#[derive(sqlx::FromRow)]
pub(crate) struct SeriesRow {
    ts_ms: i64,
    value: Option<f64>,
    samples: i64,
}

impl TryFrom<SeriesRow> for fleetwatch_common::SeriesPoint {
    type Error = Error;

    fn try_from(r: SeriesRow) -> Result<Self> {
        Ok(fleetwatch_common::SeriesPoint {
            timestamp: from_ms(r.ts_ms)?,
            value: r.value.unwrap_or(f64::NAN),
            samples: r.samples,
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

impl TryFrom<ProcessRow> for crate::types::ProcessRecord {
    type Error = Error;

    fn try_from(r: ProcessRow) -> Result<Self> {
        Ok(crate::types::ProcessRecord {
            server_name: r.server_name,
            timestamp: from_ms(r.ts_ms)?,
            ranking: r.ranking,
            rank: r.rank,
            process: fleetwatch_common::ProcessInfo {
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

impl TryFrom<UserDiskRow> for crate::types::UserDisk {
    type Error = Error;

    fn try_from(r: UserDiskRow) -> Result<Self> {
        Ok(crate::types::UserDisk {
            server_name: r.server_name,
            username: r.username,
            bytes: r.bytes,
            timestamp: from_ms(r.ts_ms)?,
        })
    }
}
