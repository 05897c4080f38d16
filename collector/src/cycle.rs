//! One collection cycle over the fleet: bounded concurrency, one reused connection per server,
//! retries with backoff, and every outcome recorded. One bad server never stops the others.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fleetwatch_store::{HostKeyRecord, Store, UserUsage};
use futures::StreamExt;
use tokio::sync::Mutex;

use crate::cluster::Cluster;
use crate::config::{CollectorSettings, HostKeyPolicy, Server, SshServer};
use crate::error::CollectError;
use crate::exec::ExecOutput;
use crate::hostkey::{Expectation, Verdict};
use crate::local;
use crate::parse::user_disk::user_disk_usage;
use crate::parse::{ParseOptions, parse_output};
use crate::program::{ProgramOptions, program, user_disk_program};
use crate::sample::{Built, CarriedState, build};
use crate::ssh::{SshSession, client_config};

/// The command the program is sent to. Nothing is written on the server: the scripts arrive
/// on stdin.
pub const REMOTE_COMMAND: &str = "sh -s";

/// Samples kept in memory while the database is unreachable.
const MAX_PENDING: usize = 10_000;

/// Whether a run stores its results (`collect`) or only reports them (`check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Store,
    DryRun,
}

/// What happened to one server in one cycle.
#[derive(Debug)]
pub struct ServerReport {
    pub name: String,
    pub result: Result<Collected, CollectError>,
    pub duration: Duration,
    pub attempts: u32,
}

/// A successful collection.
#[derive(Debug)]
pub struct Collected {
    pub sample: fleetwatch_common::Sample,
    pub users: Vec<UserUsage>,
    /// Everything else the cycle collected.
    pub details: Option<fleetwatch_common::Details>,
    /// Sections that failed while the rest was kept.
    pub warnings: Vec<String>,
    /// The server's host key fingerprint, when SSH was used.
    pub host_key: Option<String>,
    /// True when the host key was accepted on first use in this run.
    pub first_use: bool,
}

struct Entry {
    server: Server,
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    session: Option<SshSession>,
    counters: Option<CarriedState>,
}

struct Pending {
    sample: fleetwatch_common::Sample,
    users: Vec<UserUsage>,
    details: Option<fleetwatch_common::Details>,
    duration_ms: i64,
}

/// The collector: owns the connections and the per-server counters between cycles.
pub struct Collector {
    entries: Vec<Arc<Entry>>,
    store: Arc<dyn Store>,
    settings: CollectorSettings,
    ssh_config: Arc<russh::client::Config>,
    pending: std::sync::Mutex<VecDeque<Pending>>,
    /// Set when this collector shares the fleet with other processes.
    cluster: Option<Arc<Cluster>>,
}

impl Collector {
    pub fn new(servers: Vec<Server>, store: Arc<dyn Store>, settings: CollectorSettings) -> Self {
        let entries =
            servers.into_iter().map(|server| Arc::new(Entry { server, slot: Mutex::new(Slot::default()) })).collect();
        Self { entries, store, settings, ssh_config: client_config(), pending: Default::default(), cluster: None }
    }

    /// Shares the fleet with the other collector processes on the same database: each cycle
    /// collects only the servers this process holds the lease of.
    pub fn with_cluster(mut self, cluster: Arc<Cluster>) -> Self {
        self.cluster = Some(cluster);
        self
    }

    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }

    pub fn settings(&self) -> &CollectorSettings {
        &self.settings
    }

    /// Collects every server once and stores the outcomes.
    pub async fn run_cycle(&self) -> Vec<ServerReport> {
        self.flush_pending().await;
        let started = Instant::now();
        let Some(entries) = self.claimed().await else { return Vec::new() };
        let reports = self.run_on(entries, Mode::Store).await;
        let failed = reports.iter().filter(|r| r.result.is_err()).count();
        tracing::info!(
            servers = reports.len(),
            failed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "collection cycle finished"
        );
        reports
    }

    /// Connects to every server and runs the scripts without storing anything.
    pub async fn check(&self) -> Vec<ServerReport> {
        self.run(Mode::DryRun).await
    }

    /// The servers this process may collect now: all of them, or in a cluster those whose lease
    /// it holds. `None` when the leases cannot be read: then nothing is collected, rather than
    /// risk polling a server another member is polling.
    async fn claimed(&self) -> Option<Vec<Arc<Entry>>> {
        let Some(cluster) = &self.cluster else { return Some(self.entries.clone()) };
        let names: Vec<String> = self.entries.iter().map(|e| e.server.name.clone()).collect();
        match cluster.claim(&names).await {
            Ok(mine) => Some(self.entries.iter().filter(|e| mine.contains(&e.server.name)).cloned().collect()),
            Err(e) => {
                tracing::error!(error = ?e, "cannot read the collector leases; nothing collected this time");
                None
            }
        }
    }

    async fn run(&self, mode: Mode) -> Vec<ServerReport> {
        self.run_on(self.entries.clone(), mode).await
    }

    async fn run_on(&self, entries: Vec<Arc<Entry>>, mode: Mode) -> Vec<ServerReport> {
        futures::stream::iter(entries)
            .map(|entry| async move { self.collect(&entry, mode).await })
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await
    }

    /// Closes every open SSH connection.
    pub async fn shutdown(&self) {
        for entry in &self.entries {
            let session = entry.slot.lock().await.session.take();
            if let Some(s) = session {
                s.close().await;
            }
        }
    }

    #[tracing::instrument(skip_all, fields(server = %entry.server.name))]
    async fn collect(&self, entry: &Entry, mode: Mode) -> ServerReport {
        let started = Instant::now();
        let name = entry.server.name.clone();
        let Ok(mut slot) = entry.slot.try_lock() else {
            tracing::warn!("previous collection still running; skipped");
            return ServerReport { name, result: Err(CollectError::Busy), duration: Duration::ZERO, attempts: 0 };
        };
        let mut attempts = 0;
        let mut backoff = Duration::from_millis(self.settings.retry_backoff_ms);
        let result = loop {
            attempts += 1;
            match self.attempt(&entry.server, &mut slot, mode).await {
                Ok(c) => break Ok(c),
                Err(e) if e.retryable() && attempts < self.settings.retries => {
                    tracing::debug!(error = %e, attempt = attempts, "attempt failed; retrying");
                    if let Some(s) = slot.session.take() {
                        s.close().await;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                }
                Err(e) => break Err(e),
            }
        };
        let duration = started.elapsed();
        if mode == Mode::Store {
            self.record(&name, &result, duration).await;
        }
        ServerReport { name, result, duration, attempts }
    }

    async fn record(&self, name: &str, result: &Result<Collected, CollectError>, duration: Duration) {
        let duration_ms = duration.as_millis().min(i64::MAX as u128) as i64;
        match result {
            Ok(c) => {
                for w in &c.warnings {
                    tracing::warn!(warning = %w, "section failed; the rest of the sample is kept");
                }
                if let Err(e) = self.store.record_success(&c.sample, &c.users, c.details.as_ref(), duration_ms).await {
                    tracing::error!(error = ?e, "cannot store the sample; kept in memory until the database is back");
                    self.keep_pending(Pending {
                        sample: c.sample.clone(),
                        users: c.users.clone(),
                        details: c.details.clone(),
                        duration_ms,
                    });
                }
            }
            Err(e) => {
                tracing::warn!(reason = %e.reason(), error = %e, "collection failed");
                let detail = e.to_string();
                if let Err(se) = self.store.record_failure(name, Utc::now(), e.reason(), &detail, duration_ms).await {
                    tracing::error!(error = ?se, "cannot store the failure");
                }
            }
        }
    }

    fn keep_pending(&self, p: Pending) {
        if let Ok(mut q) = self.pending.lock() {
            if q.len() >= MAX_PENDING {
                q.pop_front();
                tracing::warn!("pending sample buffer full; dropping the oldest sample");
            }
            q.push_back(p);
        }
    }

    async fn flush_pending(&self) {
        loop {
            let next = self.pending.lock().ok().and_then(|mut q| q.pop_front());
            let Some(p) = next else { return };
            if let Err(e) = self.store.record_success(&p.sample, &p.users, p.details.as_ref(), p.duration_ms).await {
                tracing::error!(error = ?e, "database still unreachable; pending samples kept");
                if let Ok(mut q) = self.pending.lock() {
                    q.push_front(p);
                }
                return;
            }
        }
    }

    async fn attempt(&self, server: &Server, slot: &mut Slot, mode: Mode) -> Result<Collected, CollectError> {
        let text = program(&ProgramOptions::next(slot.counters.as_ref()));
        let limit = self.settings.command_timeout();
        let (output, host_key, first_use) = self.exec_on(server, slot, &text, limit, mode).await?;
        let built = interpret(&server.name, &output, slot.counters.as_ref())?;
        slot.counters = Some(built.carried);
        Ok(Collected {
            sample: built.sample,
            users: built.users,
            details: Some(built.details),
            warnings: built.warnings,
            host_key,
            first_use,
        })
    }

    /// Runs `text` on the server over its kept connection (opened if needed), or locally.
    /// Returns the output, the host key fingerprint and whether it was trusted on first use now.
    async fn exec_on(
        &self,
        server: &Server,
        slot: &mut Slot,
        text: &str,
        limit: Duration,
        mode: Mode,
    ) -> Result<(ExecOutput, Option<String>, bool), CollectError> {
        Ok(match &server.ssh {
            None => (local::exec(text.as_bytes(), limit).await?, None, false),
            Some(ssh) => {
                if slot.session.as_ref().is_some_and(SshSession::is_closed) {
                    slot.session = None;
                }
                let mut first_use = false;
                if slot.session.is_none() {
                    let session = self.connect(server, ssh, mode).await?;
                    first_use = matches!(session.verdict, Verdict::FirstUse { .. });
                    slot.session = Some(session);
                }
                let Some(session) = slot.session.as_ref() else {
                    return Err(CollectError::Connection("no session".into()));
                };
                let fp = match &session.verdict {
                    Verdict::Trusted { fingerprint } | Verdict::FirstUse { fingerprint } => Some(fingerprint.clone()),
                    _ => None,
                };
                match session.exec(REMOTE_COMMAND, text.as_bytes(), limit).await {
                    Ok(o) => (o, fp, first_use),
                    Err(e) => {
                        slot.session = None;
                        return Err(e);
                    }
                }
            }
        })
    }

    /// Measures per-user disk usage (`du` under `collector.user_disk.paths`) on every server this
    /// process collects, and stores it. Runs on its own slow schedule: it waits for a server's
    /// regular collection rather than skipping it. Returns the per-server outcome.
    pub async fn run_user_disk(&self) -> Vec<(String, Result<usize, CollectError>)> {
        let cfg = &self.settings.user_disk;
        let text = user_disk_program(&cfg.paths);
        let limit = Duration::from_secs(cfg.timeout_secs);
        let Some(entries) = self.claimed().await else { return Vec::new() };
        futures::stream::iter(entries)
            .map(|entry| {
                let text = text.as_str();
                async move {
                    let mut slot = entry.slot.lock().await;
                    let result = async {
                        let (out, _, _) = self.exec_on(&entry.server, &mut slot, text, limit, Mode::Store).await?;
                        let usage = user_disk_usage(&String::from_utf8_lossy(&out.stdout)).map_err(CollectError::Parse)?;
                        let rows: Vec<(String, i64)> = usage.into_iter().collect();
                        if let Err(e) = self.store.record_user_disk(&entry.server.name, Utc::now(), &rows).await {
                            tracing::error!(server = %entry.server.name, error = ?e, "cannot store per-user disk usage");
                        }
                        Ok(rows.len())
                    }
                    .await;
                    if let Err(e) = &result {
                        tracing::warn!(server = %entry.server.name, error = %e, "per-user disk usage failed");
                    }
                    (entry.server.name.clone(), result)
                }
            })
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await
    }

    async fn connect(&self, server: &Server, ssh: &SshServer, mode: Mode) -> Result<SshSession, CollectError> {
        let expectation = match &ssh.host_key {
            HostKeyPolicy::Pinned(fp) => {
                Expectation::Fingerprint { fingerprint: fp.clone(), source: "pinned in the configuration".into() }
            }
            HostKeyPolicy::KnownHosts(path) => {
                Expectation::KnownHosts { path: path.clone(), host: ssh.host.clone(), port: ssh.port }
            }
            HostKeyPolicy::TrustOnFirstUse => match self.store.host_key(&server.name).await {
                Ok(Some(rec)) => Expectation::Fingerprint {
                    fingerprint: rec.fingerprint,
                    source: format!("trusted on first use at {}", rec.first_seen.to_rfc3339()),
                },
                Ok(None) => Expectation::FirstUse,
                Err(e) => {
                    tracing::error!(error = ?e, "cannot read the recorded host key");
                    return Err(CollectError::Connection(
                        "the database is unavailable, so the recorded host key cannot be checked".into(),
                    ));
                }
            },
        };
        let session =
            SshSession::connect(ssh, expectation, self.ssh_config.clone(), self.settings.connect_timeout()).await?;
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
                        source_of_trust: "trust on first use".into(),
                    });
                }
                Err(e) => {
                    tracing::error!(error = ?e, "cannot record the host key");
                    session.close().await;
                    return Err(CollectError::Connection("cannot record the host key: database unavailable".into()));
                }
            }
        }
        Ok(session)
    }
}

/// Turns the program's output into a sample, telling a script failure from garbage.
fn interpret(name: &str, output: &ExecOutput, prev: Option<&CarriedState>) -> Result<Built, CollectError> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let snap = parse_output(&stdout, &ParseOptions::default());
    match build(name, Utc::now(), &snap, prev) {
        Ok(b) => Ok(b),
        Err(e) => {
            let no_sections = !stdout.contains("@@fw begin");
            if no_sections && (output.exit_status != Some(0) || output.signal.is_some()) {
                let status = match (&output.signal, output.exit_status) {
                    (Some(sig), _) => format!("killed by signal {sig}"),
                    (None, Some(code)) => format!("exit status {code}"),
                    (None, None) => "no exit status".into(),
                };
                Err(CollectError::Script(format!("{status}: {}", output.stderr_summary())))
            } else {
                Err(CollectError::Parse(e.to_string()))
            }
        }
    }
}
