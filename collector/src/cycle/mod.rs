//! One collection cycle over the fleet: bounded concurrency, one reused connection per server,
//! retries with backoff, and every outcome recorded. One bad server never stops the others.
//!
//! `mod.rs` holds the collector and the per-server attempt loop; `connection` the kept SSH
//! sessions, `interpret` output → sample, `outage` recording and the buffer for a database
//! outage, `user_disk` the slow per-user disk run, `report` what a run hands back.

mod batch;
mod connection;
mod interpret;
mod outage;
mod report;
mod spread;
mod stats;
mod user_disk;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fleetwatch_config::{CollectorSettings, Server};
use fleetwatch_store::Store;
use futures::StreamExt;
use tokio::sync::Mutex;

pub use connection::REMOTE_COMMAND;
pub use outage::Replay;
pub use report::{Collected, Mode, ServerReport};

use crate::alerting::{AlertEngine, Observation, Observed, Outcome};
use crate::cluster::Cluster;
use crate::error::{CollectError, Stage};
use crate::program::{ProgramOptions, program};
use crate::sample::CarriedState;
use crate::spool::Spool;
use crate::ssh::{SshSession, client_config};
use interpret::interpret;
use stats::CycleStats;

/// One configured server and what is kept for it between cycles.
struct Entry {
    server: Server,
    slot: Mutex<Slot>,
}

impl Entry {
    /// Whether cycles collect it: a push server (`transport = "push"`) is never reached; its
    /// host posts its output (`crate::push`). It stays an entry for leases and the alerts'
    /// staleness timer.
    fn collected(&self) -> bool {
        !self.server.push
    }
}

/// Held (locked) while the server is being collected.
#[derive(Default)]
struct Slot {
    session: Option<SshSession>,
    carried: Option<CarriedState>,
}

/// The collector: owns the connections and the per-server state carried between cycles.
pub struct Collector {
    entries: Vec<Arc<Entry>>,
    store: Arc<dyn Store>,
    settings: CollectorSettings,
    ssh_config: Arc<russh::client::Config>,
    /// Samples waiting for the database, on disk (`outage.rs`); none in one-shot commands.
    spool: std::sync::Mutex<Option<Spool>>,
    /// False while the database has not been reached and migrated (started while it was down).
    ready: Arc<AtomicBool>,
    /// False from a store call that found the database unreachable until a ping answers again
    /// (`outage.rs`): meanwhile a cycle does not wait on it.
    reachable: AtomicBool,
    /// Held by the one replay of the spool that may run.
    replaying: Mutex<()>,
    replay_wake: tokio::sync::Notify,
    /// Set when this collector shares the fleet with other processes.
    cluster: Option<Arc<Cluster>>,
    /// Set when alerts are evaluated after each cycle.
    alerts: Option<Arc<AlertEngine>>,
    /// This process's own figures, stored after each cycle.
    stats: std::sync::Mutex<CycleStats>,
    /// Scheduled cycles skipped because the previous one of the same servers still ran.
    skipped_cycles: AtomicU64,
}

impl Collector {
    pub fn new(servers: Vec<Server>, store: Arc<dyn Store>, settings: CollectorSettings) -> Self {
        let entries =
            servers.into_iter().map(|server| Arc::new(Entry { server, slot: Mutex::new(Slot::default()) })).collect();
        Self {
            entries,
            store,
            settings,
            ssh_config: client_config(),
            spool: Default::default(),
            ready: Arc::new(AtomicBool::new(true)),
            reachable: AtomicBool::new(true),
            replaying: Mutex::new(()),
            replay_wake: Default::default(),
            cluster: None,
            alerts: None,
            stats: Default::default(),
            skipped_cycles: AtomicU64::new(0),
        }
    }

    /// Counts a scheduled cycle that did not start because the previous one of the same
    /// servers was still running (backpressure: never stacked); returns the count so far.
    pub fn count_skipped_cycle(&self) -> u64 {
        self.skipped_cycles.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Scheduled cycles skipped so far because the previous one still ran.
    pub fn skipped_cycles(&self) -> u64 {
        self.skipped_cycles.load(Ordering::Relaxed)
    }

    /// The distinct schedules of the servers: `None` for those on `collector.schedule`, then
    /// each per-server `schedule` once, in the order first seen.
    pub fn schedules(&self) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = Vec::new();
        for e in &self.entries {
            if !out.contains(&e.server.schedule) {
                out.push(e.server.schedule.clone());
            }
        }
        out
    }

    /// Shares the fleet with the other collector processes on the same database: each cycle
    /// collects only the servers this process holds the lease of.
    pub fn with_cluster(mut self, cluster: Arc<Cluster>) -> Self {
        self.cluster = Some(cluster);
        self
    }

    /// Keeps the samples the database cannot take in `spool` (replayed by
    /// [`Self::start_replay`]).
    pub fn with_spool(mut self, spool: Spool) -> Self {
        self.spool = std::sync::Mutex::new(Some(spool));
        self
    }

    /// Writes nothing to the store until `ready` is set (samples are spooled): for a collector
    /// started while the database was down (`crate::startup`).
    pub fn with_readiness(mut self, ready: Arc<AtomicBool>) -> Self {
        self.ready = ready;
        self
    }

    /// Evaluates alerts right after each cycle, on the servers it collected.
    pub fn with_alerts(mut self, alerts: Arc<AlertEngine>) -> Self {
        self.alerts = Some(alerts);
        self
    }

    pub fn alerts(&self) -> Option<&Arc<AlertEngine>> {
        self.alerts.as_ref()
    }

    /// Evaluates alerts on the servers this process holds (all, or its leases in a cluster),
    /// from what the store holds: the staleness timer's evaluation. Never fails: errors are
    /// logged and counted by the engine.
    pub async fn evaluate_alerts(&self) {
        let Some(alerts) = &self.alerts else { return };
        if !self.database_up().await {
            tracing::warn!("alerts not evaluated: the database is unreachable");
            return;
        }
        let Some(entries) = self.claimed().await else { return };
        let names: Vec<String> = entries.iter().map(|e| e.server.name.clone()).collect();
        alerts.log(alerts.evaluate_stored(&names, self.member(), chrono::Utc::now()).await);
    }

    /// This process's id in a cluster.
    fn member(&self) -> Option<&str> {
        self.cluster.as_ref().map(|c| c.id())
    }

    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }

    pub fn settings(&self) -> &CollectorSettings {
        &self.settings
    }

    /// Collects every server once and stores the outcomes.
    pub async fn run_cycle(&self) -> Vec<ServerReport> {
        self.run_cycle_with_alerts().await.0
    }

    /// [`Self::run_cycle`], and what the alert evaluation that follows it changed and queued
    /// (`None` without alerts, or when the evaluation failed: that is logged and counted).
    pub async fn run_cycle_with_alerts(&self) -> (Vec<ServerReport>, Option<Outcome>) {
        self.run_group(None, Duration::ZERO).await
    }

    /// The scheduled cycle of the servers on `schedule` (`None`: those on `collector.schedule`),
    /// their starts spread over `collector.spread` of `interval`.
    pub async fn run_scheduled(&self, schedule: Option<&str>, interval: Option<Duration>) -> Vec<ServerReport> {
        let window = self.settings.spread_window(interval);
        self.run_group(Some(schedule), window).await.0
    }

    /// A cycle over the servers of one schedule (`Some(None)`: the default one), or over all
    /// (`None`), starts spread over `window`.
    async fn run_group(
        &self,
        schedule: Option<Option<&str>>,
        window: Duration,
    ) -> (Vec<ServerReport>, Option<Outcome>) {
        let started = Instant::now();
        let Some(mut entries) = self.claimed().await else { return (Vec::new(), None) };
        entries.retain(|e| e.collected());
        if let Some(schedule) = schedule {
            entries.retain(|e| e.server.schedule.as_deref() == schedule);
        }
        let reports = self.run_on(entries, Mode::Store, window).await;
        let outcome = match &self.alerts {
            Some(_) if !self.database_ready() => {
                tracing::warn!("alerts not evaluated: the database is unreachable");
                None
            }
            Some(alerts) => {
                let failures: Vec<String> = reports
                    .iter()
                    .map(|r| r.result.as_ref().err().map(ToString::to_string).unwrap_or_default())
                    .collect();
                let observed: Vec<Observed<'_>> =
                    reports.iter().zip(&failures).filter_map(|(r, detail)| observed(r, detail)).collect();
                alerts.log(alerts.evaluate_cycle(&observed, self.member(), chrono::Utc::now()).await)
            }
            None => None,
        };
        let failed = reports.iter().filter(|r| r.result.is_err()).count();
        let spool = self.spool_stats();
        tracing::info!(
            servers = reports.len(),
            failed,
            spool_depth = spool.depth,
            spool_dropped = spool.dropped,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "collection cycle finished"
        );
        self.record_stats(&reports, started.elapsed()).await;
        (reports, outcome)
    }

    /// Stores this process's figures after a cycle that took `took` (a server skipped because
    /// its previous collection still ran counts as neither collected nor failed).
    async fn record_stats(&self, reports: &[ServerReport], took: Duration) {
        let ok = reports.iter().filter(|r| r.result.is_ok()).count();
        let failed =
            reports.iter().filter(|r| r.result.as_ref().is_err_and(|e| !matches!(e, CollectError::Busy))).count();
        let member = self.member().map_or_else(crate::cluster::host_name, str::to_owned);
        let now = chrono::Utc::now();
        let Ok(figures) = self.stats.lock().map(|mut s| s.record(&member, took, ok, failed, now)) else { return };
        if !self.database_ready() {
            return;
        }
        if let Err(e) = self.store.record_collector_stats(&figures, now - stats::FORGET_AFTER).await {
            self.check_reachable(&e).await;
            tracing::warn!(error = ?e, "cannot store the collector's own figures");
        }
    }

    /// Connects to every server and runs the scripts without storing anything.
    pub async fn check(&self) -> Vec<ServerReport> {
        let entries = self.entries.iter().filter(|e| e.collected()).cloned().collect();
        self.run_on(entries, Mode::DryRun, Duration::ZERO).await
    }

    /// The servers this process may collect now: all of them, or in a cluster those whose lease
    /// it holds. When the leases cannot be read (the database is unreachable), those it held
    /// last (`Cluster::fallback`): their samples wait in the outage buffer.
    async fn claimed(&self) -> Option<Vec<Arc<Entry>>> {
        let Some(cluster) = &self.cluster else { return Some(self.entries.clone()) };
        let names: Vec<String> = self.entries.iter().map(|e| e.server.name.clone()).collect();
        let claim = if self.database_ready() { Some(cluster.claim(&names).await) } else { None };
        let mine = match claim {
            Some(Ok(mine)) => mine,
            Some(Err(e)) => {
                self.check_reachable(&e).await;
                let mine = cluster.fallback(&names);
                tracing::error!(
                    error = ?e,
                    servers = mine.len(),
                    "cannot read the collector leases; collecting the servers this member held last"
                );
                mine
            }
            // Known unreachable: no wait on it (the outage was logged when it was found).
            None => cluster.fallback(&names),
        };
        Some(self.entries.iter().filter(|e| mine.contains(&e.server.name)).cloned().collect())
    }

    /// Collects `entries` with bounded concurrency (the configured one, or adapted to the
    /// fleet's size), each starting at its offset in `window` (`spread.rs`); when storing, each
    /// sample is written in a batch with the others that finish about when it does (`batch.rs`).
    async fn run_on(&self, entries: Vec<Arc<Entry>>, mode: Mode, window: Duration) -> Vec<ServerReport> {
        let concurrency = self.settings.concurrency_for(entries.len());
        let start = tokio::time::Instant::now();
        let reports = futures::stream::iter(spread::in_start_order(entries, window))
            .map(|(offset, entry)| async move {
                // In start order, so a server waiting for its offset holds a slot only when
                // every earlier one has started.
                if !offset.is_zero() {
                    tokio::time::sleep_until(start + offset).await;
                }
                self.collect(&entry, mode).await
            })
            .buffer_unordered(concurrency);
        if mode == Mode::DryRun {
            return reports.collect().await;
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let collecting = reports.for_each(move |r| {
            if tx.send(r).is_err() {
                tracing::error!("the sample writer stopped before the cycle ended");
            }
            std::future::ready(())
        });
        tokio::join!(collecting, self.store_as_they_finish(rx)).1
    }

    /// Closes every open SSH connection.
    pub async fn shutdown(&self) {
        for entry in &self.entries {
            let session = entry.slot.lock().await.session.take();
            if let Some(s) = session {
                s.close().await;
            }
        }
        // The packing the last write left running: done now rather than at the next start.
        if let Err(e) = self.store.flush().await {
            tracing::warn!(error = ?e, "the store's last work did not finish");
        }
    }

    /// One server: attempts with exponential backoff while the failure is retryable, then the
    /// outcome recorded (when storing).
    #[tracing::instrument(skip_all, fields(server = %entry.server.name))]
    async fn collect(&self, entry: &Entry, mode: Mode) -> ServerReport {
        let started = Instant::now();
        let name = entry.server.name.clone();
        let Ok(mut slot) = entry.slot.try_lock() else {
            tracing::warn!("previous collection still running; skipped");
            return ServerReport { name, result: Err(CollectError::Busy), duration: Duration::ZERO, attempts: 0 };
        };
        let mut attempts = 0;
        let mut backoff = self.settings.retry_backoff();
        // Retries share the time of one attempt (connect + command timeouts), so a server that
        // hangs or stalls holds its cycle no longer with retries than without.
        let deadline = started + self.settings.connect_timeout() + self.settings.command_timeout();
        let mut first_failure = None;
        let result = loop {
            attempts += 1;
            let outcome = if attempts == 1 {
                self.attempt(&entry.server, &mut slot, mode).await
            } else {
                let left = deadline.saturating_duration_since(Instant::now());
                match tokio::time::timeout(left, self.attempt(&entry.server, &mut slot, mode)).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        // Cut short: the connection may be half-open. The first failure is the
                        // reason; this retry only ran out of the server's time.
                        slot.session = None;
                        tracing::debug!(attempt = attempts, "retry cut short at the server's deadline");
                        break Err(first_failure.take().unwrap_or(CollectError::Timeout {
                            stage: Stage::RunningScripts,
                            secs: self.settings.command_timeout_secs,
                        }));
                    }
                }
            };
            match outcome {
                Ok(c) => break Ok(c),
                Err(e) if e.retryable() && attempts < self.settings.retries && Instant::now() + backoff < deadline => {
                    tracing::debug!(error = %e, attempt = attempts, "attempt failed; retrying");
                    if let Some(s) = slot.session.take() {
                        s.close().await;
                    }
                    first_failure.get_or_insert(e);
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

    /// Runs the next program on the server and turns its output into a sample; the state it
    /// carries is kept for the next cycle.
    async fn attempt(&self, server: &Server, slot: &mut Slot, mode: Mode) -> Result<Collected, CollectError> {
        let text = program(&ProgramOptions::next(slot.carried.as_ref()));
        let limit = self.settings.command_timeout();
        let ran = self.exec_on(server, slot, &text, limit, mode).await?;
        let built = interpret(&server.name, &ran.output, slot.carried.as_ref())?;
        slot.carried = Some(built.carried);
        Ok(Collected {
            sample: built.sample,
            users: built.users,
            details: Some(built.details),
            warnings: built.warnings,
            host_key: ran.host_key,
            first_use: ran.first_use,
        })
    }
}

/// What the alert evaluation is told of a report: nothing for a server skipped because its
/// previous collection still ran (nothing was stored for it either).
fn observed<'a>(r: &'a ServerReport, failure: &'a str) -> Option<Observed<'a>> {
    let observation = match &r.result {
        Ok(c) => Observation::Collected { sample: &c.sample, details: c.details.as_ref() },
        Err(CollectError::Busy) => return None,
        Err(e) => Observation::Failed { reason: e.reason(), detail: failure },
    };
    Some(Observed { server: &r.name, observation })
}
