//! The collector's error types: configuration errors, and the typed reasons a collection fails.

use fleetwatch_common::OfflineReason;

/// A configuration problem. Every variant names the key, variable or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
}

impl ConfigError {
    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { key: key.into(), message: message.into() }
    }
}

/// Why one server could not be collected. The `Display` text is safe to show to users:
/// it never contains a password, a passphrase or script output.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("cannot resolve {host}")]
    Dns { host: String },
    #[error("connection refused by {addr}")]
    ConnectionRefused { addr: String },
    #[error("timed out after {secs} s while {stage}")]
    Timeout { stage: &'static str, secs: u64 },
    #[error("authentication failed for user {user}")]
    AuthFailed { user: String },
    #[error("host key mismatch: expected {expected} ({source_of_trust}), server presented {presented}")]
    HostKeyMismatch { expected: String, presented: String, source_of_trust: String },
    #[error("host key {presented} is not in {known_hosts}")]
    HostKeyUnknown { presented: String, known_hosts: String },
    #[error("cannot load credentials: {0}")]
    Credentials(String),
    #[error("connection failed: {0}")]
    Connection(String),
    #[error("script failed: {0}")]
    Script(String),
    #[error("output could not be parsed: {0}")]
    Parse(String),
    #[error("a previous collection of this server is still running")]
    Busy,
}

impl CollectError {
    /// The offline reason shown on the dashboard.
    pub fn reason(&self) -> OfflineReason {
        match self {
            Self::Dns { .. } => OfflineReason::Dns,
            Self::ConnectionRefused { .. } => OfflineReason::ConnectionRefused,
            Self::Timeout { .. } | Self::Busy => OfflineReason::Timeout,
            Self::AuthFailed { .. } | Self::Credentials(_) => OfflineReason::AuthenticationFailed,
            Self::HostKeyMismatch { .. } | Self::HostKeyUnknown { .. } => OfflineReason::HostKeyMismatch,
            Self::Connection(_) => OfflineReason::ConnectionFailed,
            Self::Script(_) => OfflineReason::ScriptFailed,
            Self::Parse(_) => OfflineReason::ParseError,
        }
    }

    /// Whether another attempt in the same cycle may succeed. Wrong credentials and wrong host
    /// keys are never retried: retrying them only fills the server's auth log.
    pub fn retryable(&self) -> bool {
        matches!(self, Self::ConnectionRefused { .. } | Self::Timeout { .. } | Self::Connection(_) | Self::Script(_))
    }
}
