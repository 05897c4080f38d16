//! JSON bodies of the HTTP API. Field names follow the seed system's API exactly; extra fields
//! are additions, never renames. Timestamps are RFC 3339 in UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::status::{Level, Status};

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub timestamp: DateTime<Utc>,
}

/// Why a server could not be read. Serialised as the words a sysadmin reads on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OfflineReason {
    #[serde(rename = "dns")]
    Dns,
    #[serde(rename = "connection refused")]
    ConnectionRefused,
    #[serde(rename = "timeout")]
    Timeout,
    #[serde(rename = "authentication failed")]
    AuthenticationFailed,
    #[serde(rename = "host key mismatch")]
    HostKeyMismatch,
    #[serde(rename = "script failed")]
    ScriptFailed,
    #[serde(rename = "parse error")]
    ParseError,
    #[serde(rename = "stale")]
    Stale,
    #[serde(rename = "connection failed")]
    ConnectionFailed,
    #[serde(rename = "never collected")]
    NeverCollected,
}

impl OfflineReason {
    pub const ALL: [OfflineReason; 10] = [
        Self::Dns,
        Self::ConnectionRefused,
        Self::Timeout,
        Self::AuthenticationFailed,
        Self::HostKeyMismatch,
        Self::ScriptFailed,
        Self::ParseError,
        Self::Stale,
        Self::ConnectionFailed,
        Self::NeverCollected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::ConnectionRefused => "connection refused",
            Self::Timeout => "timeout",
            Self::AuthenticationFailed => "authentication failed",
            Self::HostKeyMismatch => "host key mismatch",
            Self::ScriptFailed => "script failed",
            Self::ParseError => "parse error",
            Self::Stale => "stale",
            Self::ConnectionFailed => "connection failed",
            Self::NeverCollected => "never collected",
        }
    }

    /// The inverse of [`OfflineReason::as_str`], for values read back from the database.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for OfflineReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One collected sample of a server: the seed's `latest metrics` row plus additions.
/// `None` means "not available on this server", never zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sample {
    pub server_name: String,
    /// Utilisation over the interval, from `/proc/stat` deltas (not the load average).
    pub cpu_percent: Option<f64>,
    pub cpu_load_1min: Option<f64>,
    pub cpu_load_5min: Option<f64>,
    pub cpu_load_15min: Option<f64>,
    pub ram_percentage: Option<f64>,
    pub swap_percentage: Option<f64>,
    /// The fullest real mount.
    pub disk_percentage: Option<f64>,
    pub logged_users: Option<i64>,
    /// ESTABLISHED TCP connections, IPv4 and IPv6.
    pub tcp_connections: Option<i64>,
    pub uptime_seconds: Option<i64>,
    pub timestamp: DateTime<Utc>,
    // Additions.
    pub cpu_cores: Option<i64>,
    pub ram_total_bytes: Option<i64>,
    pub ram_used_bytes: Option<i64>,
    pub disk_total_bytes: Option<i64>,
    pub disk_used_bytes: Option<i64>,
    /// The mount point `disk_percentage` refers to.
    pub disk_mount: Option<String>,
    pub hostname: Option<String>,
}

/// `GET /api/servers/{name}/metrics/historical/{hours}` and `…/metrics/range`: one point,
/// oldest first. The seed's four fields first; the rest are additions. A downsampled point is
/// the mean of its bucket, stamped with the bucket's first sample time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPoint {
    pub timestamp: DateTime<Utc>,
    pub cpu_percent: Option<f64>,
    pub cpu_load_5min: Option<f64>,
    pub ram_percentage: Option<f64>,
    pub disk_percentage: Option<f64>,
    #[serde(default)]
    pub cpu_load_1min: Option<f64>,
    #[serde(default)]
    pub cpu_load_15min: Option<f64>,
    #[serde(default)]
    pub swap_percentage: Option<f64>,
    #[serde(default)]
    pub tcp_connections: Option<f64>,
    #[serde(default)]
    pub logged_users: Option<f64>,
    /// How many samples this point stands for (1 unless downsampled).
    #[serde(default = "one")]
    pub samples: i64,
}

fn one() -> i64 {
    1
}

/// One message of the live stream `GET /api/events` (server-sent events, `event: server`):
/// the server's new status and latest sample after a collection.
pub type ServerEvent = ServerInfo;

/// `GET /api/servers/{name}/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerStatus {
    pub server_name: String,
    pub status: Status,
    pub cpu_status: Level,
    pub ram_status: Level,
    pub disk_status: Level,
    pub last_seen: Option<DateTime<Utc>>,
    /// Why the server is offline; `None` when it is not.
    pub reason: Option<OfflineReason>,
    /// A safe, human sentence about the last failure (no secrets, no internals).
    pub detail: Option<String>,
}

/// How a server is reached. Serialised as `"ssh"`, `"local"` or `"push"`, in the API and in the
/// config.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Over SSH (the default).
    #[default]
    Ssh,
    /// The scripts run on the machine Fleetwatch runs on, without SSH.
    Local,
    /// Never reached: the host runs the program itself (`fleetwatch push-script`) and posts its
    /// output to `POST /api/ingest` with its ingest token.
    Push,
}

impl Transport {
    /// Every transport, in the order error messages list them.
    pub const ALL: [Transport; 3] = [Transport::Ssh, Transport::Local, Transport::Push];

    /// The word used in the config and the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Ssh => "ssh",
            Transport::Local => "local",
            Transport::Push => "push",
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no [`Transport`]; its message lists the accepted ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTransport(pub String);

impl std::fmt::Display for UnknownTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let accepted: Vec<&str> = Transport::ALL.iter().map(|t| t.as_str()).collect();
        write!(f, "unknown transport {:?}: expected one of {}", self.0, accepted.join(", "))
    }
}

impl std::error::Error for UnknownTransport {}

impl std::str::FromStr for Transport {
    type Err = UnknownTransport;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Transport::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| UnknownTransport(s.to_owned()))
    }
}

/// `GET /api/servers`: one configured server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerInfo {
    pub name: String,
    pub transport: Transport,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tags: Vec<String>,
    pub status: ServerStatus,
    pub latest: Option<Sample>,
}

/// `GET /api/users/top`: one user on one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopUser {
    pub username: String,
    pub server_name: String,
    /// Percent of one core.
    pub cpu: f64,
    /// Percent of the server's memory.
    pub mem: f64,
    /// Bytes used under the configured paths; `None` unless per-user disk usage is enabled.
    pub disk: Option<f64>,
    pub process_count: i64,
    pub top_process: String,
    pub timestamp: DateTime<Utc>,
    /// Resident memory in bytes (addition).
    pub rss_bytes: i64,
}

/// `GET /api/ui-config`: what the dashboard needs to know about this deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UiConfig {
    /// Seconds between refreshes when the live stream is unavailable.
    pub refresh_secs: u64,
    pub version: String,
}

/// The kind of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    Warning,
    Critical,
    Offline,
}

/// One current alert of the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = OverviewAlert))]
pub struct Alert {
    pub server: String,
    #[serde(rename = "type")]
    pub kind: AlertKind,
    pub message: String,
}

/// `GET /api/system/overview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub total_servers: i64,
    pub online_servers: i64,
    pub offline_servers: i64,
    pub avg_cpu: Option<f64>,
    pub avg_ram: Option<f64>,
    pub avg_disk: Option<f64>,
    pub total_users: i64,
    pub alerts: Vec<Alert>,
    pub timestamp: DateTime<Utc>,
}

/// The error body of every failed API call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub success: bool,
    pub error: String,
    pub details: ErrorDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetails {
    pub code: String,
    pub timestamp: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_reasons_round_trip_through_their_words() {
        for r in OfflineReason::ALL {
            assert_eq!(OfflineReason::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!(OfflineReason::parse("nonsense"), None);
    }

    #[test]
    fn transports_keep_their_json_words_and_list_them_when_unknown() {
        for t in Transport::ALL {
            assert_eq!(serde_json::to_string(&t).unwrap_or_default(), format!("\"{t}\""));
            assert_eq!(t.as_str().parse::<Transport>(), Ok(t));
        }
        let e = "telnet".parse::<Transport>().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("telnet") && e.contains("ssh, local"), "{e}");
    }

    #[test]
    fn alert_kind_is_serialised_as_type() {
        let a = Alert { server: "web-1".into(), kind: AlertKind::Offline, message: "timeout".into() };
        let v = serde_json::to_value(&a).unwrap_or_default();
        assert_eq!(v["type"], "offline");
    }
}

/// One point of a named series (`GET /api/servers/{name}/metrics/series?name=…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeriesPoint {
    pub timestamp: DateTime<Utc>,
    pub value: f64,
    /// How many samples this point averages.
    pub samples: i64,
    /// The lowest and highest sample within the point: the band a chart draws so that spikes
    /// are never averaged away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// `GET /api/servers/{name}/{section}`: one section of a server's latest details (or of its
/// last details at or before `?at=`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section<T> {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    pub data: T,
}

/// The `disks` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisksSection {
    pub usage: Vec<crate::DiskUsage>,
    pub io: Vec<crate::DiskIo>,
}

/// The `network` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NetworkSection {
    pub interfaces: Vec<crate::NetInterface>,
    pub tcp: Option<crate::TcpStats>,
}

/// The `processes` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProcessesSection {
    pub by_cpu: Vec<crate::ProcessInfo>,
    pub by_memory: Vec<crate::ProcessInfo>,
}
