//! A validated server: its name, tags, and how it is reached (local, or SSH with credentials
//! and a host-key policy). `Debug` never shows a password or passphrase.

use std::fmt;
use std::path::PathBuf;

use fleetwatch_common::Transport;
use secrecy::SecretString;

/// One validated server.
#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub tags: Vec<String>,
    /// `None` for the local and push transports.
    pub ssh: Option<SshServer>,
    /// `transport = "push"`: never collected; the host posts its program's output itself.
    pub push: bool,
    /// Its own cron schedule (`schedule` of its `[[servers]]` table, validated); `None`:
    /// `collector.schedule`.
    pub schedule: Option<String>,
}

impl Server {
    /// This machine, reached without SSH.
    pub fn local(name: &str) -> Self {
        Self { name: name.into(), tags: vec!["local".into()], ssh: None, push: false, schedule: None }
    }

    pub fn transport(&self) -> Transport {
        match (&self.ssh, self.push) {
            (Some(_), _) => Transport::Ssh,
            (None, true) => Transport::Push,
            (None, false) => Transport::Local,
        }
    }
}

/// SSH details of a server.
#[derive(Debug, Clone)]
pub struct SshServer {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub credentials: Credentials,
    pub host_key: HostKeyPolicy,
}

/// How the server's host key is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// A pinned `SHA256:…` fingerprint.
    Pinned(String),
    /// An OpenSSH known_hosts file.
    KnownHosts(PathBuf),
    /// Trust on first use: recorded in the store, enforced afterwards.
    TrustOnFirstUse,
}

/// How the collector authenticates.
#[derive(Clone)]
pub enum Credentials {
    Password(SecretString),
    Key { path: PathBuf, passphrase: Option<SecretString> },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Password([REDACTED])"),
            Self::Key { path, passphrase } => f
                .debug_struct("Key")
                .field("path", path)
                .field("passphrase", &passphrase.as_ref().map(|_| "[REDACTED]"))
                .finish(),
        }
    }
}
