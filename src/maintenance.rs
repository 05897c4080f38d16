//! The maintenance task the collector process runs on its own schedule: rollups and retention
//! (`Store::maintain`), so that no cron job is needed. Its failures are logged and retried at
//! the next tick; the cycle's writes never wait for it for long (the store works in small
//! batches and short transactions).

use std::sync::Arc;

use fleetwatch_config::RetentionSettings;
use fleetwatch_store::{Retention, Store};

/// The store's retention from the config's.
pub fn retention(r: &RetentionSettings) -> Retention {
    Retention { raw: r.raw, five_min: r.five_min, hour: r.hour, day: r.day }
}

/// Runs `Store::maintain` every `settings.every`, the first time one period after start.
pub fn spawn(store: Arc<dyn Store>, settings: RetentionSettings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + settings.every, settings.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let policy = retention(&settings);
        loop {
            tick.tick().await;
            let started = std::time::Instant::now();
            match store.maintain(&policy, chrono::Utc::now()).await {
                Ok(m) => tracing::info!(
                    rolled_up = m.rolled_up,
                    raw_deleted = m.raw_deleted,
                    buckets_deleted = ?m.buckets_deleted,
                    sealed = m.sealed,
                    blocks_sealed = m.blocks_sealed,
                    user_days = m.user_days,
                    user_days_deleted = m.user_days_deleted,
                    ms = started.elapsed().as_millis() as u64,
                    "maintenance: rollups and retention"
                ),
                Err(e) => tracing::warn!(error = %e, "maintenance failed; retrying at the next tick"),
            }
        }
    })
}
