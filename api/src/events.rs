//! The live stream's source: one task polls the servers' collection state (cheap: one row per
//! server) and broadcasts a [`ServerEvent`] for every server whose state changed, including a
//! server whose last sample has just grown older than `stale_after` (nothing was written: its
//! collector stopped or lost it), which turns grey on open pages without a reload. Polling the
//! store, rather than listening to an in-process collector, works the same when the collector
//! runs as a separate process (compose, Kubernetes).

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use fleetwatch_common::{ServerEvent, ServerInfo};
use tokio::sync::{broadcast, watch};

use crate::handlers::fleet;
use crate::state::AppState;
use crate::status::stale_age;

/// Broadcasts server events to the `/api/events` streams, and tells them when to close.
pub struct EventHub {
    tx: broadcast::Sender<ServerEvent>,
    closed: watch::Sender<bool>,
}

impl EventHub {
    pub(crate) fn new() -> Self {
        Self { tx: broadcast::channel(1024).0, closed: watch::channel(false).0 }
    }

    pub fn subscribe(&self) -> (broadcast::Receiver<ServerEvent>, watch::Receiver<bool>) {
        (self.tx.subscribe(), self.closed.subscribe())
    }

    /// Ends every open stream (so a graceful shutdown does not wait for clients).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }
}

/// What an event is sent for a change of: last attempt, ok, reason, last success, duration, and
/// whether the last success is older than `stale_after` at this poll.
type Signature = (i64, bool, Option<&'static str>, Option<i64>, Option<i64>, bool);

/// Polls every `every` while someone listens; stops when the hub is closed.
pub(crate) async fn run(state: AppState, every: Duration) {
    let hub = state.events.clone();
    let mut closed = hub.closed.subscribe();
    let mut prev: Option<HashMap<String, Signature>> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = closed.changed() => return,
        }
        if hub.tx.receiver_count() == 0 {
            prev = None;
            continue;
        }
        let states = match state.store.server_states().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = ?e, "live stream: cannot read server states");
                continue;
            }
        };
        let at = Utc::now();
        let now: HashMap<String, Signature> = states
            .iter()
            .map(|s| {
                // The rule of `status::evaluate`; the last success is the latest sample's time.
                let stale = s.ok && s.last_success.and_then(|t| stale_age(t, at, state.stale_after)).is_some();
                let sig = (
                    s.last_attempt.timestamp_millis(),
                    s.ok,
                    s.reason.map(|r| r.as_str()),
                    s.last_success.map(|t| t.timestamp_millis()),
                    Some(s.duration_ms),
                    stale,
                );
                (s.server_name.clone(), sig)
            })
            .collect();
        let changed: Vec<&String> = match &prev {
            None => Vec::new(),
            Some(p) => now.iter().filter(|(k, v)| p.get(*k) != Some(*v)).map(|(k, _)| k).collect(),
        };
        if !changed.is_empty() {
            match fleet(&state).await {
                Ok(all) => {
                    for (meta, (status, latest)) in state.servers.iter().zip(all) {
                        if changed.contains(&&meta.name) {
                            let info = ServerInfo {
                                name: meta.name.clone(),
                                transport: meta.transport,
                                host: meta.host.clone(),
                                port: meta.port,
                                tags: meta.tags.clone(),
                                status,
                                latest,
                            };
                            // No receiver left is fine: the next poll sees that.
                            if hub.tx.send(info).is_err() {
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "live stream: cannot read the fleet");
                    continue;
                }
            }
        }
        prev = Some(now);
    }
}
