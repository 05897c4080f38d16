//! Recording outcomes in the store, and riding out a database outage: samples that cannot be
//! stored are kept in memory (bounded, oldest dropped first) and written, in the order they were
//! taken, before any newer one.
//!
//! Samples are written in batches ([`Store::record_successes`], one transaction each). A batch
//! the database refuses is told apart from a database that is gone by a ping: when the database
//! answers, the batch is retried one sample at a time so that one bad sample (logged) never
//! loses the others; when it does not, the batch and everything after it waits in the buffer.

use std::time::Duration;

use chrono::Utc;
use fleetwatch_store::{Store, Success, UserUsage};

use super::Collector;
use super::report::{Collected, ServerReport};
use crate::error::CollectError;

/// Samples kept in memory while the database is unreachable.
const MAX_PENDING: usize = 10_000;

/// At most this many samples in one write of the buffer.
const FLUSH_BATCH: usize = 256;

/// A sample waiting for the database.
pub(super) struct Pending {
    sample: fleetwatch_common::Sample,
    users: Vec<UserUsage>,
    details: Option<fleetwatch_common::Details>,
    duration_ms: i64,
}

impl Pending {
    fn success(&self) -> Success<'_> {
        Success {
            sample: &self.sample,
            users: &self.users,
            details: self.details.as_ref(),
            duration_ms: self.duration_ms,
        }
    }
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
                let detail = e.to_string();
                let at = Utc::now();
                if let Err(se) = self.store.record_failure(name, at, e.reason(), &detail, millis(duration)).await {
                    tracing::error!(error = ?se, "cannot store the failure");
                }
            }
        }
    }

    /// Stores the samples of `reports` (the successful ones), after any sample still waiting
    /// from an outage; what the database cannot take now waits in the buffer, in order.
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
        let unstored = if self.flush_pending().await { write(self.store.as_ref(), &batch).await } else { Some(0) };
        if let Some(from) = unstored {
            let kept = batch.len() - from;
            tracing::error!(samples = kept, "cannot store the samples; kept in memory until the database is back");
            for s in &batch[from..] {
                self.keep_pending(Pending {
                    sample: s.sample.clone(),
                    users: s.users.to_vec(),
                    details: s.details.cloned(),
                    duration_ms: s.duration_ms,
                });
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

    /// How many samples wait for the database.
    pub fn pending_samples(&self) -> usize {
        self.pending.lock().map(|q| q.len()).unwrap_or(0)
    }

    /// Writes the kept samples, oldest first, in batches, until the database is found gone.
    /// True when nothing is left waiting.
    pub(super) async fn flush_pending(&self) -> bool {
        loop {
            let chunk: Vec<Pending> = match self.pending.lock() {
                Ok(mut q) => {
                    let n = q.len().min(FLUSH_BATCH);
                    q.drain(..n).collect()
                }
                Err(_) => return false,
            };
            if chunk.is_empty() {
                return true;
            }
            let batch: Vec<Success<'_>> = chunk.iter().map(Pending::success).collect();
            let Some(from) = write(self.store.as_ref(), &batch).await else {
                tracing::info!(samples = chunk.len(), "samples kept during a database outage stored");
                continue;
            };
            tracing::warn!(samples = chunk.len() - from, "database still unreachable; pending samples kept");
            if let Ok(mut q) = self.pending.lock() {
                for p in chunk.into_iter().skip(from).rev() {
                    q.push_front(p);
                }
            }
            return false;
        }
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
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use fleetwatch_config::CollectorSettings;

    use super::*;

    fn report(name: &str, users: &[&str]) -> ServerReport {
        let sample = fleetwatch_common::Sample {
            server_name: name.into(),
            cpu_percent: Some(1.0),
            timestamp: Utc::now(),
            ..Default::default()
        };
        let users = users.iter().map(|u| UserUsage { username: (*u).into(), ..Default::default() }).collect();
        let collected =
            Collected { sample, users, details: None, warnings: Vec::new(), host_key: None, first_use: false };
        ServerReport { name: name.into(), result: Ok(collected), duration: Duration::from_millis(5), attempts: 1 }
    }

    /// A sample the database refuses (the same user twice) fails its batch's transaction; the
    /// others are stored one by one, and nothing is kept for later since the database answers.
    #[tokio::test]
    async fn one_refused_sample_never_loses_the_others_of_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("f.db").display());
        let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
        store.migrate().await.unwrap();
        let collector = Collector::new(Vec::new(), store.clone(), CollectorSettings::default());
        let reports = [report("a", &["root"]), report("bad", &["root", "root"]), report("c", &["alice", "bob"])];
        collector.store_batch(&reports.iter().collect::<Vec<_>>()).await;
        let mut stored: Vec<String> =
            store.latest_samples().await.unwrap().into_iter().map(|s| s.server_name).collect();
        stored.sort();
        assert_eq!(stored, ["a", "c"]);
        assert_eq!(collector.pending_samples(), 0);
    }
}
