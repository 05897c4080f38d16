//! Records the store reads and writes besides the wire types of `fleetwatch-common`.

use chrono::{DateTime, Utc};
use fleetwatch_common::OfflineReason;

/// One user's usage on one server in one sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserUsage {
    pub username: String,
    /// Percent of one core over the interval.
    pub cpu: f64,
    /// Percent of the server's memory.
    pub mem: f64,
    pub rss_bytes: i64,
    pub process_count: i64,
    /// The user's process using the most CPU (command name).
    pub top_process: String,
    /// Bytes under the configured paths; `None` unless per-user disk usage is enabled.
    pub disk_bytes: Option<f64>,
}

/// One successful collection, as [`crate::Store::record_success`] takes it, for
/// [`crate::Store::record_successes`].
#[derive(Debug, Clone, Copy)]
pub struct Success<'a> {
    pub sample: &'a fleetwatch_common::Sample,
    pub users: &'a [UserUsage],
    pub details: Option<&'a fleetwatch_common::Details>,
    pub duration_ms: i64,
}

/// The collection state of one server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerState {
    pub server_name: String,
    pub ok: bool,
    pub last_attempt: DateTime<Utc>,
    pub last_success: Option<DateTime<Utc>>,
    /// Set when the last attempt failed.
    pub reason: Option<OfflineReason>,
    pub detail: Option<String>,
    pub duration_ms: i64,
}

/// A host key trusted on first use.
#[derive(Debug, Clone, PartialEq)]
pub struct HostKeyRecord {
    pub server_name: String,
    pub host: String,
    pub port: u16,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub first_seen: DateTime<Utc>,
}

/// What `fleetwatch db-stats` prints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DbStats {
    pub backend: String,
    pub tables: Vec<TableStats>,
    /// Database size in bytes, where the backend can tell.
    pub size_bytes: Option<i64>,
    /// Raw samples and each rollup tier, finest first.
    pub tiers: Vec<TierStats>,
    /// Bytes per server, by name.
    pub servers: Vec<ServerBytes>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableStats {
    pub table: String,
    pub rows: i64,
    pub oldest: Option<DateTime<Utc>>,
    pub newest: Option<DateTime<Utc>>,
}

/// A window of history and how many points at most to return for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Samples are averaged into at most this many buckets (at least 1); `None` returns every
    /// sample as its own point.
    pub max_points: Option<u32>,
}

impl TimeRange {
    /// From `from` up to now, one point per sample.
    pub fn since(from: DateTime<Utc>) -> Self {
        Self { from, to: Utc::now(), max_points: None }
    }
}

/// Which list of a sample's top processes: by CPU or by memory. Stored as `cpu` / `memory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ranking {
    Cpu,
    Memory,
}

impl Ranking {
    pub const ALL: [Ranking; 2] = [Ranking::Cpu, Ranking::Memory];

    /// The text stored in `sample_processes.ranking`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
        }
    }

    /// The inverse of [`Ranking::as_str`], for values read back from the database.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Ranking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stored top process of a server's latest sample.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessRecord {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    pub ranking: Ranking,
    /// 1 = highest.
    pub rank: i64,
    pub process: fleetwatch_common::ProcessInfo,
}

/// The latest per-user disk usage measurement of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDisk {
    pub server_name: String,
    pub username: String,
    pub bytes: i64,
    pub timestamp: DateTime<Utc>,
}

/// How long each tier of samples is kept (`None`: forever). A server's latest sample and
/// each tier's newest chunk per server are kept however old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw: Option<std::time::Duration>,
    pub five_min: Option<std::time::Duration>,
    pub hour: Option<std::time::Duration>,
    pub day: Option<std::time::Duration>,
}

const DAY: u64 = 86_400;

impl Default for Retention {
    /// Raw 7 days, 5 minutes 90 days, 1 hour 2 years, 1 day forever.
    fn default() -> Self {
        let days = |n: u64| Some(std::time::Duration::from_secs(n * DAY));
        Self { raw: days(7), five_min: days(90), hour: days(730), day: None }
    }
}

/// What one maintenance pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Maintenance {
    /// Buckets summarised into the tiers.
    pub rolled_up: u64,
    /// Raw samples deleted.
    pub raw_deleted: u64,
    /// Buckets deleted per tier (5 min, 1 h, 1 day).
    pub buckets_deleted: [u64; 3],
    /// Complete spans of a tier merged into one chunk each (see the store's `sealing`).
    pub sealed: u64,
    /// Complete spans of raw blocks merged into one block each (see the store's `sealing`).
    pub blocks_sealed: u64,
    /// User days (one user on one server on one day) summarised from raw samples.
    pub user_days: u64,
    /// User days deleted with the 1-day tier's age.
    pub user_days_deleted: u64,
}

/// One figure over a range: average and maximum (and minimum) of its values.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureSummary {
    pub figure: String,
    pub avg: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The latest value within the range.
    pub last: Option<f64>,
    /// How many values they summarise.
    pub samples: i64,
}

/// One tier in `db-stats`: `raw`, `5m`, `1h`, `1d`.
#[derive(Debug, Clone, PartialEq)]
pub struct TierStats {
    pub tier: String,
    /// Stored rows (hot frames and blocks for raw, chunks for a tier).
    pub rows: i64,
    /// Samples (raw) or buckets (tiers) they hold.
    pub points: i64,
    /// Bytes of the stored bodies, without the rows' and indexes' overhead.
    pub bytes: i64,
    pub oldest: Option<DateTime<Utc>>,
    pub newest: Option<DateTime<Utc>>,
}

/// One server's share in `db-stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerBytes {
    pub server_name: String,
    pub raw_bytes: i64,
    pub rollup_bytes: i64,
}
