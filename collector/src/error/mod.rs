//! Why one server could not be collected: [`CollectError`], whose variants map to the offline
//! reasons the dashboard shows. Every payload is typed; the `Display` text is what gets stored
//! and served, so it never holds a password, a passphrase or script output beyond one bounded
//! line of stderr.

mod connection;
mod script;
mod trust;

use std::fmt;
use std::path::PathBuf;

use fleetwatch_common::OfflineReason;

pub use connection::{ChannelStep, ConnectionError};
pub use script::{ExitStatus, LocalStep, ParseError, ScriptError, StderrExcerpt};
pub use trust::TrustSource;

/// Why one server could not be collected.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("cannot resolve {host}")]
    Dns { host: String },
    #[error("connection refused by {addr}")]
    ConnectionRefused { addr: String },
    #[error("timed out after {secs} s while {stage}")]
    Timeout { stage: Stage, secs: u64 },
    #[error("authentication failed for user {user}")]
    AuthFailed { user: String },
    #[error("host key mismatch: expected {expected} ({source_of_trust}), server presented {presented}")]
    HostKeyMismatch { expected: String, presented: String, source_of_trust: TrustSource },
    #[error("host key {presented} is not in {known_hosts}")]
    HostKeyUnknown { presented: String, known_hosts: String },
    /// The identity file could not be loaded (missing, unreadable, wrong passphrase).
    #[error("cannot load credentials: cannot load identity file {}: {source}", path.display())]
    Credentials {
        path: PathBuf,
        #[source]
        source: russh::keys::Error,
    },
    #[error("connection failed: {0}")]
    Connection(#[from] ConnectionError),
    #[error("script failed: {0}")]
    Script(#[from] ScriptError),
    #[error("output could not be parsed: {0}")]
    Parse(#[from] ParseError),
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
            Self::AuthFailed { .. } | Self::Credentials { .. } => OfflineReason::AuthenticationFailed,
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

/// The step a timeout interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Resolving,
    Connecting,
    Handshake,
    Authenticating,
    RunningScripts,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Resolving => "resolving the host name",
            Self::Connecting => "connecting",
            Self::Handshake => "waiting for the SSH handshake",
            Self::Authenticating => "authenticating",
            Self::RunningScripts => "running the scripts",
        })
    }
}

#[cfg(test)]
mod tests;
