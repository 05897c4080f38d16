//! The kept connections: one SSH session per server, opened on first need (host key checked
//! against the configured policy or the key recorded on first use), reused across cycles and
//! dropped after a failure. The `local` transport needs none.

use std::time::Duration;

use chrono::Utc;
use fleetwatch_config::{HostKeyPolicy, Server, SshServer};
use fleetwatch_store::HostKeyRecord;

use super::report::Mode;
use super::{Collector, Slot};
use crate::error::{CollectError, ConnectionError};
use crate::exec::ExecOutput;
use crate::hostkey::{Expectation, TrustSource, Verdict};
use crate::local;
use crate::ssh::SshSession;

/// The command the program is sent to. Nothing is written on the server: the scripts arrive
/// on stdin.
pub const REMOTE_COMMAND: &str = "sh -s";

/// What running a program returned, and how the server's host key was trusted.
pub(super) struct Ran {
    pub output: ExecOutput,
    /// The server's host key fingerprint, when SSH was used.
    pub host_key: Option<String>,
    /// True when the key was trusted on first use by this connection.
    pub first_use: bool,
}

impl Collector {
    /// Runs `text` on the server over its kept connection (opened if needed), or locally.
    pub(super) async fn exec_on(
        &self,
        server: &Server,
        slot: &mut Slot,
        text: &str,
        limit: Duration,
        mode: Mode,
    ) -> Result<Ran, CollectError> {
        let Some(ssh) = &server.ssh else {
            let output = local::exec(text.as_bytes(), limit).await?;
            return Ok(Ran { output, host_key: None, first_use: false });
        };
        if slot.session.as_ref().is_some_and(SshSession::is_closed) {
            slot.session = None;
        }
        let mut first_use = false;
        let session = match slot.session {
            Some(ref s) => s,
            None => {
                let s = self.connect(server, ssh, mode).await?;
                first_use = matches!(s.verdict, Verdict::FirstUse { .. });
                &*slot.session.insert(s)
            }
        };
        let host_key = match &session.verdict {
            Verdict::Trusted { fingerprint } | Verdict::FirstUse { fingerprint } => Some(fingerprint.clone()),
            _ => None,
        };
        match session.exec(REMOTE_COMMAND, text.as_bytes(), limit).await {
            Ok(output) => Ok(Ran { output, host_key, first_use }),
            Err(e) => {
                // The next attempt opens a fresh connection.
                slot.session = None;
                Err(e)
            }
        }
    }

    /// Opens and authenticates a connection. Under trust on first use, the key seen first is
    /// recorded (when storing) before the connection is used.
    async fn connect(&self, server: &Server, ssh: &SshServer, mode: Mode) -> Result<SshSession, CollectError> {
        let expectation = self.expectation(server, ssh).await?;
        let connected =
            SshSession::connect(ssh, expectation, self.ssh_config.clone(), self.settings.connect_timeout()).await;
        if let (
            Err(CollectError::HostKeyMismatch { expected, presented, source_of_trust: TrustSource::FirstUse { .. } }),
            Mode::Store,
        ) = (&connected, mode)
        {
            // Kept so that someone can accept it (`fleetwatch host-key accept`, the API).
            if let Err(e) = self.store.record_host_key_offer(&server.name, presented, expected, Utc::now()).await {
                tracing::error!(error = ?e, "cannot record the host key the server offered");
            }
        }
        let session = connected?;
        if let (Verdict::FirstUse { fingerprint }, Mode::Store) = (session.verdict.clone(), mode) {
            let record = HostKeyRecord {
                server_name: server.name.clone(),
                host: ssh.host.clone(),
                port: ssh.port,
                fingerprint: fingerprint.clone(),
                first_seen: Utc::now(),
            };
            match self.store.save_host_key(&record).await {
                Ok(()) => tracing::info!(fingerprint = %fingerprint, "host key trusted on first use and recorded"),
                Err(fleetwatch_store::Error::Conflict(_)) => {
                    session.close().await;
                    return Err(CollectError::HostKeyMismatch {
                        expected: "the key recorded concurrently".into(),
                        presented: fingerprint.clone(),
                        source_of_trust: TrustSource::ConcurrentFirstUse,
                    });
                }
                Err(e) => {
                    tracing::error!(error = ?e, "cannot record the host key");
                    session.close().await;
                    return Err(ConnectionError::HostKeyUnrecorded.into());
                }
            }
        }
        Ok(session)
    }

    /// What the server's key must be, from the configured policy or the key recorded on first use.
    async fn expectation(&self, server: &Server, ssh: &SshServer) -> Result<Expectation, CollectError> {
        Ok(match &ssh.host_key {
            HostKeyPolicy::Pinned(fp) => {
                Expectation::Fingerprint { fingerprint: fp.clone(), source: TrustSource::Pinned }
            }
            HostKeyPolicy::KnownHosts(path) => {
                Expectation::KnownHosts { path: path.clone(), host: ssh.host.clone(), port: ssh.port }
            }
            HostKeyPolicy::TrustOnFirstUse => match self.store.host_key(&server.name).await {
                Ok(Some(rec)) => Expectation::Fingerprint {
                    fingerprint: rec.fingerprint,
                    source: TrustSource::FirstUse { at: rec.first_seen },
                },
                Ok(None) => Expectation::FirstUse,
                Err(e) => {
                    tracing::error!(error = ?e, "cannot read the recorded host key");
                    return Err(ConnectionError::HostKeyUnreadable.into());
                }
            },
        })
    }
}
