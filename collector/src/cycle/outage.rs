//! Recording each outcome in the store, and riding out a database outage: samples that cannot
//! be stored are kept in memory (bounded, oldest dropped first) and written before the next cycle.

use std::time::Duration;

use chrono::Utc;
use fleetwatch_store::UserUsage;

use super::Collector;
use super::report::Collected;
use crate::error::CollectError;

/// Samples kept in memory while the database is unreachable.
const MAX_PENDING: usize = 10_000;

/// A sample waiting for the database.
pub(super) struct Pending {
    sample: fleetwatch_common::Sample,
    users: Vec<UserUsage>,
    details: Option<fleetwatch_common::Details>,
    duration_ms: i64,
}

impl Collector {
    /// Stores a server's outcome: the sample (kept for later if the database is down), or the
    /// failure with its reason and safe message.
    pub(super) async fn record(&self, name: &str, result: &Result<Collected, CollectError>, duration: Duration) {
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

    /// Writes the kept samples, oldest first, until the database refuses one.
    pub(super) async fn flush_pending(&self) {
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
}
