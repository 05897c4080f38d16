//! The `[collector]`, `[collector.user_disk]` and `[ui]` tables, and what is derived from them.
//! Durations are kept in the keys' units (`*_secs`, `*_ms`); the methods hand out [`Duration`]s.

use std::time::Duration;

use serde::Deserialize;

use crate::duration;

/// `[collector]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CollectorSettings {
    /// Cron expression with a seconds field (6 fields) or seconds and year (7 fields).
    pub schedule: String,
    /// Servers collected at once. Default (unset): adapts to the fleet's size, see
    /// [`CollectorSettings::concurrency_for`].
    pub concurrency: Option<usize>,
    /// Spread each cycle's starts over this fraction of the schedule's interval (0 to 0.9;
    /// 0, the default, starts them all at once): every server gets a fixed offset from a hash
    /// of its name, so servers sharing a hypervisor or a link are not all hit in the same second.
    pub spread: f64,
    #[serde(deserialize_with = "duration::secs")]
    pub connect_timeout_secs: u64,
    #[serde(deserialize_with = "duration::secs")]
    pub command_timeout_secs: u64,
    /// Attempts per server per cycle (1 = no retry), with exponential backoff.
    pub retries: u32,
    /// First backoff delay; doubles at each further attempt.
    #[serde(deserialize_with = "duration::millis")]
    pub retry_backoff_ms: u64,
    /// A server whose last success is older than this is shown offline ("stale").
    /// Default: twice the schedule's interval plus the timeouts.
    #[serde(deserialize_with = "duration::opt_secs")]
    pub stale_after_secs: Option<u64>,
    /// Run a cycle immediately at start, before the first scheduled one.
    pub collect_on_start: bool,
    /// With several collector processes on one database: a member not heard from for this long
    /// is dead, and the others take its servers over.
    #[serde(deserialize_with = "duration::secs")]
    pub member_timeout_secs: u64,
    /// This collector's identity among the members (its leases are held under it). Default:
    /// the host name and a hash of the database's address and the config file's path, so a
    /// restarted collector takes its own leases back at once. Two live processes never share one.
    pub member_id: Option<String>,
    /// Where the collector keeps its lock file (one per member id).
    pub state_dir: std::path::PathBuf,
    /// Per-user disk usage (`du`), off by default: it is costly for the servers.
    pub user_disk: UserDiskSettings,
}

/// `[collector.user_disk]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserDiskSettings {
    pub enabled: bool,
    /// Absolute directories whose subdirectories are measured and attributed to their owners.
    pub paths: Vec<String>,
    /// Cron expression with seconds (UTC); daily at 03:00 by default.
    pub schedule: String,
    #[serde(deserialize_with = "duration::secs")]
    pub timeout_secs: u64,
}

/// `[ui]`: dashboard settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiSettings {
    /// Seconds between refreshes when the live stream is unavailable.
    #[serde(deserialize_with = "duration::secs")]
    pub refresh_secs: u64,
}

impl Default for UserDiskSettings {
    fn default() -> Self {
        Self { enabled: false, paths: vec!["/home".into()], schedule: "0 0 3 * * *".into(), timeout_secs: 900 }
    }
}

impl Default for CollectorSettings {
    fn default() -> Self {
        Self {
            schedule: "0 */15 * * * *".into(),
            concurrency: None,
            spread: 0.0,
            connect_timeout_secs: 10,
            command_timeout_secs: 30,
            retries: 3,
            retry_backoff_ms: 500,
            stale_after_secs: None,
            collect_on_start: true,
            member_timeout_secs: 30,
            member_id: None,
            state_dir: std::env::temp_dir().join("fleetwatch"),
            user_disk: UserDiskSettings::default(),
        }
    }
}

impl Default for UiSettings {
    fn default() -> Self {
        Self { refresh_secs: 30 }
    }
}

/// The adaptive concurrency's bounds: at least this many servers at once...
pub const MIN_AUTO_CONCURRENCY: usize = 64;
/// ...and at most this many (each in-flight server holds its output and parse buffers).
pub const MAX_AUTO_CONCURRENCY: usize = 512;

impl CollectorSettings {
    /// Servers collected at once in a cycle of `servers`: the configured `concurrency`, or a
    /// quarter of the fleet within [`MIN_AUTO_CONCURRENCY`]..=[`MAX_AUTO_CONCURRENCY`]
    /// (a server's collection mostly waits on the network and the server, so a large fleet
    /// needs more of them in flight to keep a cycle short); never more than the servers.
    pub fn concurrency_for(&self, servers: usize) -> usize {
        let n = self.concurrency.unwrap_or((servers / 4).clamp(MIN_AUTO_CONCURRENCY, MAX_AUTO_CONCURRENCY));
        n.min(servers).max(1)
    }

    /// The window a cycle's starts are spread over: `spread` × `interval`.
    pub fn spread_window(&self, interval: Option<Duration>) -> Duration {
        match interval {
            Some(i) if self.spread > 0.0 => i.mul_f64(self.spread.min(0.9)),
            _ => Duration::ZERO,
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
    pub fn command_timeout(&self) -> Duration {
        Duration::from_secs(self.command_timeout_secs)
    }
    pub fn member_timeout(&self) -> Duration {
        Duration::from_secs(self.member_timeout_secs)
    }
    pub fn retry_backoff(&self) -> Duration {
        Duration::from_millis(self.retry_backoff_ms)
    }

    /// The interval between two scheduled cycles (the shortest gap among the next few).
    pub fn schedule_interval(&self) -> Option<Duration> {
        cron_interval(&self.schedule)
    }

    /// How old a last success may be before the server counts as offline ("stale").
    pub fn stale_after(&self) -> Duration {
        if let Some(s) = self.stale_after_secs {
            return Duration::from_secs(s);
        }
        let interval = self.schedule_interval().unwrap_or(Duration::from_secs(900));
        let attempt = self.connect_timeout() + self.command_timeout();
        interval * 2 + attempt * self.retries.max(1)
    }
}

impl UserDiskSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// The interval between two times of the cron expression `expr` (the shortest gap among the
/// next few); `None` when it does not parse.
pub fn cron_interval(expr: &str) -> Option<Duration> {
    let cron = parse_cron(expr).ok()?;
    let now = chrono::Utc::now();
    let times: Vec<_> = cron.iter_after(now).take(4).collect();
    times.windows(2).filter_map(|w| (w[1] - w[0]).to_std().ok()).min()
}

/// Parses a cron expression with seconds (6 fields) or seconds and year (7 fields), as
/// tokio-cron-scheduler reads it. The error explains the expected shape.
pub(crate) fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "expected 6 fields (seconds first) or 7 (with year), got {fields}: e.g. \"0 */15 * * * *\""
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .year(croner::parser::Year::Optional)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| e.to_string())
}
