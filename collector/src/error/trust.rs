//! Why a host key fingerprint is expected: shown beside it when a server presents another.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

/// Why a fingerprint is expected: shown beside it when the server presents another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    /// `host_key` (or `SERVER<n>_HOST_KEY`) in the configuration.
    Pinned,
    /// Recorded in the store when the server was first seen.
    FirstUse { at: DateTime<Utc> },
    /// Listed in an OpenSSH known_hosts file.
    KnownHosts(PathBuf),
    /// Another collector recorded a different key for this server at the same moment.
    ConcurrentFirstUse,
}

impl fmt::Display for TrustSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pinned => f.write_str("pinned in the configuration"),
            Self::FirstUse { at } => write!(f, "trusted on first use at {}", at.to_rfc3339()),
            Self::KnownHosts(path) => write!(f, "{}", path.display()),
            Self::ConcurrentFirstUse => f.write_str("trust on first use"),
        }
    }
}
