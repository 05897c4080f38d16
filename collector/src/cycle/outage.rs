//! Recording outcomes in the store, and riding out a database outage: samples that cannot be
//! stored go to the on-disk spool (`crate::spool`) and are replayed, in the order they were
//! taken, before any newer one is written.
//!
//! Samples are written in batches ([`Store::record_successes`], one transaction each). A batch
//! the database refuses is told apart from a database that is gone by a ping: when the database
//! answers, the batch is retried one sample at a time so that one bad sample (logged) never
//! loses the others; when it does not, the batch and everything after it goes to the spool.
//!
//! A store call that finds the database unreachable (`Error::is_unavailable`, or a failure
//! followed by a ping that gets no answer) marks it so. Until a ping answers again (at most
//! [`PROBE_TIMEOUT`] each), a cycle makes no store call that would wait for it: samples go
//! straight to the spool, leases are those held last, and the alert evaluation and the
//! collector's own figures wait for the database's return. A cycle during an outage takes as
//! long as its servers do, not the pool's timeouts. The probe is the replay's
//! ([`Collector::start_replay`]), woken when the outage is found and backing off.
//!
//! While the spool holds anything, new samples join it at its end instead of going to the
//! database, so a server's samples are always stored oldest first. The replay
//! ([`Collector::replay_spool`], run by [`Collector::start_replay`] in the background so cycles
//! stay on time) skips each spooled sample taken at or before its server's latest stored one:
//! a crash between storing a batch and removing it from the spool stores nothing twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use fleetwatch_store::{Store, Success};

use super::Collector;
use super::report::{Collected, ServerReport};
use crate::error::CollectError;
use crate::spool::{Spool, SpoolStats, Spooled};

/// At most this many samples in one write of the replay.
const FLUSH_BATCH: usize = 256;

/// The replay's first wait after finding the database gone; doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// The longest the replay's ping of a database known unreachable may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How the replay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The spool is empty.
    Drained,
    /// The database is unreachable (or not ready yet); the rest waits.
    Unreachable,
}

/// A report's duration as the store keeps it.
fn millis(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

impl Collector {
    /// Logs a server's outcome and stores a failure with its reason and safe message; samples
    /// are stored in batches by [`Self::store_batch`].
    pub(super) async fn record(&self, name: &str, result: &Result<Collected, CollectError>, duration: Duration) {
        match result {
            Ok(c) => {
                for w in &c.warnings {
                    tracing::warn!(warning = %w, "section failed; the rest of the sample is kept");
                }
            }
            Err(e) => {
                tracing::warn!(reason = %e.reason(), error = %e, "collection failed");
                if !self.database_ready() {
                    return;
                }
                let detail = e.to_string();
                let at = Utc::now();
                if let Err(se) = self.store.record_failure(name, at, e.reason(), &detail, millis(duration)).await {
                    self.check_reachable(&se).await;
                    tracing::error!(error = ?se, "cannot store the failure");
                }
            }
        }
    }

    /// Whether the store may be used now: the database was reached and migrated (always,
    /// unless the collector started while it was down: see `crate::startup`), and no store call
    /// since found it unreachable without a ping answering after.
    pub(super) fn database_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire) && self.reachable.load(Ordering::Acquire)
    }

    /// [`Self::database_ready`], after a ping (at most [`PROBE_TIMEOUT`]) when the database
    /// was last found unreachable.
    pub(super) async fn database_up(&self) -> bool {
        if !self.ready.load(Ordering::Acquire) {
            return false;
        }
        if self.reachable.load(Ordering::Acquire) {
            return true;
        }
        let up = self.answers().await;
        if up && !self.reachable.swap(true, Ordering::AcqRel) {
            tracing::info!("database reachable again: samples are stored, the spool replayed");
        }
        up
    }

    /// Whether a ping of the database answers within [`PROBE_TIMEOUT`].
    async fn answers(&self) -> bool {
        matches!(tokio::time::timeout(PROBE_TIMEOUT, self.store.ping()).await, Ok(Ok(())))
    }

    /// After a store call failed with `e`: marks the database unreachable when `e` says so or a
    /// ping (at most [`PROBE_TIMEOUT`]) does not answer (logged once per outage); the replay is
    /// woken to probe it.
    pub(super) async fn check_reachable(&self, e: &fleetwatch_store::Error) {
        if e.is_unavailable() || !self.answers().await {
            self.lost_database();
        }
    }

    fn lost_database(&self) {
        if self.reachable.swap(false, Ordering::AcqRel) {
            tracing::warn!(
                "database unreachable: cycles go on without it, their samples spooled; \
                 alerts and leases wait until a ping answers"
            );
            self.replay_wake.notify_one();
        }
    }

    /// Stores the samples of `reports` (the successful ones); while the spool holds older
    /// samples, or when the database cannot take them now, they join the spool, in order.
    pub(super) async fn store_batch(&self, reports: &[&ServerReport]) {
        let batch: Vec<Success<'_>> = reports
            .iter()
            .filter_map(|r| {
                r.result.as_ref().ok().map(|c| Success {
                    sample: &c.sample,
                    users: &c.users,
                    details: c.details.as_ref(),
                    duration_ms: millis(r.duration),
                })
            })
            .collect();
        if batch.is_empty() {
            return;
        }
        let direct = self.database_ready() && self.spool_stats().depth == 0;
        let from = if direct { write(self.store.as_ref(), &batch).await } else { Some(0) };
        if let Some(from) = from {
            if direct {
                self.lost_database();
            }
            self.spool_samples(&batch[from..]);
        }
    }

    /// Appends `batch` to the spool (or, without one, logs them lost).
    fn spool_samples(&self, batch: &[Success<'_>]) {
        let Ok(mut guard) = self.spool.lock() else { return };
        let Some(spool) = guard.as_mut() else {
            tracing::error!(samples = batch.len(), "cannot store the samples and no spool is configured; lost");
            return;
        };
        match spool.append(batch) {
            Ok(()) => {
                let s = spool.stats();
                tracing::warn!(
                    samples = batch.len(),
                    spool_depth = s.depth,
                    spool_bytes = s.bytes,
                    spool_dropped = s.dropped,
                    "database unavailable: samples spooled to disk, to be stored when it is back"
                );
                self.replay_wake.notify_one();
            }
            Err(e) => {
                spool.count_dropped(batch.len() as u64);
                tracing::error!(error = %e, samples = batch.len(), "cannot write the spool; these samples are lost");
            }
        }
    }

    /// What the spool holds and has dropped (zeros without a spool).
    pub fn spool_stats(&self) -> SpoolStats {
        self.spool.lock().ok().and_then(|g| g.as_ref().map(Spool::stats)).unwrap_or_default()
    }

    /// How many samples wait for the database.
    pub fn pending_samples(&self) -> usize {
        self.spool_stats().depth as usize
    }

    /// Stores the spooled samples, oldest first, in batches, until the spool is empty or the
    /// database is found gone. One replay runs at a time.
    pub async fn replay_spool(&self) -> Replay {
        let _one = self.replaying.lock().await;
        // Probed first, spool or not: an outage found by a cycle that spooled nothing ends too.
        if !self.database_up().await {
            return Replay::Unreachable;
        }
        if self.spool_stats().depth == 0 {
            return Replay::Drained;
        }
        // Each server's latest stored sample: anything spooled at or before it is stored already.
        let mut latest: HashMap<String, i64> = match self.store.latest_samples().await {
            Ok(samples) => samples.into_iter().map(|s| (s.server_name, s.timestamp.timestamp_millis())).collect(),
            Err(e) => {
                self.check_reachable(&e).await;
                tracing::warn!(error = ?e, "database still unreachable; the spool waits");
                return Replay::Unreachable;
            }
        };
        let (mut stored, mut skipped) = (0u64, 0u64);
        loop {
            let peeked = match self.spool.lock().map(|g| g.as_ref().map(|s| s.peek(FLUSH_BATCH))) {
                Ok(Some(Ok(p))) => p,
                Ok(Some(Err(e))) => {
                    tracing::error!(error = %e, "cannot read the spool");
                    return Replay::Unreachable;
                }
                Ok(None) | Err(_) => return Replay::Drained,
            };
            if peeked.entries.is_empty() {
                if stored + skipped > 0 {
                    tracing::info!(
                        stored,
                        skipped_already_stored = skipped,
                        "spool replayed: the samples kept during the outage are stored"
                    );
                }
                return Replay::Drained;
            }
            let now_ms = Utc::now().timestamp_millis();
            // (index in `peeked`, sample) of those to store.
            let mut keep: Vec<(usize, Spooled)> = Vec::new();
            let mut dropped = 0u64;
            for (i, e) in peeked.entries.iter().enumerate() {
                if latest.get(&e.server).is_some_and(|t| e.taken_ms <= *t) {
                    skipped += 1;
                } else if self.spool.lock().ok().and_then(|g| g.as_ref().map(|s| s.expired(e, now_ms))) == Some(true) {
                    dropped += 1;
                    tracing::warn!(server = %e.server, taken_ms = e.taken_ms, "spooled sample past the spool's age bound; dropped");
                } else {
                    match e.decode() {
                        Ok(s) => keep.push((i, s)),
                        Err(err) => {
                            dropped += 1;
                            tracing::error!(server = %e.server, error = %err, "unreadable spooled sample; dropped");
                        }
                    }
                }
            }
            let batch: Vec<Success<'_>> = keep.iter().map(|(_, s)| s.success()).collect();
            let unstored = if batch.is_empty() { None } else { write(self.store.as_ref(), &batch).await };
            let done = unstored.map_or(peeked.entries.len(), |from| keep[from].0);
            for (_, s) in keep.iter().take(unstored.unwrap_or(keep.len())) {
                latest.insert(s.sample.server_name.clone(), s.taken_ms());
                stored += 1;
            }
            if let Ok(mut g) = self.spool.lock()
                && let Some(spool) = g.as_mut()
            {
                spool.count_dropped(dropped);
                if let Err(e) = spool.ack(&peeked, done) {
                    tracing::error!(error = %e, "cannot remove stored samples from the spool; they will be skipped");
                }
            }
            if unstored.is_some() {
                self.lost_database();
                tracing::warn!(
                    stored,
                    depth = self.spool_stats().depth,
                    "database unreachable again; the rest of the spool waits"
                );
                return Replay::Unreachable;
            }
        }
    }

    /// Replays the spool in the background: when samples are spooled, and again with backoff
    /// (1 s doubling to 30 s) while the database is unreachable. Runs until aborted.
    pub fn start_replay(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let c = self.clone();
        tokio::spawn(async move {
            let mut wait = RETRY_FIRST;
            loop {
                match c.replay_spool().await {
                    Replay::Drained => {
                        wait = RETRY_FIRST;
                        tokio::select! {
                            () = c.replay_wake.notified() => {}
                            () = tokio::time::sleep(RETRY_MAX) => {}
                        }
                    }
                    Replay::Unreachable => {
                        // Woken early by the next spooled batch: the database may be back.
                        tokio::select! {
                            () = c.replay_wake.notified() => {}
                            () = tokio::time::sleep(wait) => {}
                        }
                        wait = (wait * 2).min(RETRY_MAX);
                    }
                }
            }
        })
    }
}

/// Writes `batch` in one transaction, or one by one when the database refuses the whole but
/// still answers (a refused sample is logged and dropped). `Some(i)`: the database is gone, and
/// `batch[i..]` was not stored.
async fn write(store: &dyn Store, batch: &[Success<'_>]) -> Option<usize> {
    let Err(e) = store.record_successes(batch).await else { return None };
    if let Err(down) = store.ping().await {
        tracing::warn!(error = ?down, "database unreachable");
        return Some(0);
    }
    if batch.len() == 1 {
        refused(&batch[0], &e);
        return None;
    }
    tracing::warn!(error = ?e, samples = batch.len(), "a batch of samples was refused; storing them one by one");
    for (i, s) in batch.iter().enumerate() {
        if let Err(e) = store.record_successes(std::slice::from_ref(s)).await {
            if store.ping().await.is_err() {
                return Some(i);
            }
            refused(s, &e);
        }
    }
    None
}

fn refused(s: &Success<'_>, e: &fleetwatch_store::Error) {
    tracing::error!(server = %s.sample.server_name, error = ?e, "the database refused this sample; dropped");
}

#[cfg(test)]
mod tests;
