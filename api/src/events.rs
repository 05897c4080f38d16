//! The live stream's source: one task polls the store and broadcasts what changed.
//!
//! - A [`ServerEvent`] for every server whose collection state changed (cheap: one row per
//!   server), including a server whose last sample has just grown older than `stale_after`
//!   (nothing was written: its collector stopped or lost it), which turns grey on open pages
//!   without a reload.
//! - An [`AlertEvent`] for every alert that fired, changed severity, resolved or was
//!   acknowledged: the alert history rows written since the last poll (by id).
//!
//! Polling the store, rather than listening to an in-process collector, works the same when the
//! collector runs as a separate process (compose, Kubernetes).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fleetwatch_alerts::{Alert, AlertState, Transition, TransitionKind};
use fleetwatch_common::ServerEvent;
use fleetwatch_store::HistoryEntry;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::fleet::Fleet;

/// What the stream sends.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// `event: server`.
    Server(Box<ServerEvent>),
    /// `event: alert`.
    Alert(Box<AlertEvent>),
}

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertChange {
    Fired,
    Escalated,
    Deescalated,
    Resolved,
    Acknowledged,
}

/// An alert as `GET /api/alerts` shows it (its `state` pending, firing or resolved), and what
/// changed.
#[derive(Debug, Clone, Serialize)]
pub struct AlertEvent {
    pub server: String,
    #[serde(flatten)]
    pub alert: Alert,
    pub change: AlertChange,
}

impl AlertEvent {
    /// The event of a stored transition, if it is one that is told: `current` is the alert as
    /// stored now (for its acknowledgement and notification times), when it still exists.
    pub fn of(entry: &HistoryEntry, current: Option<&Alert>) -> Option<Self> {
        let t: &Transition = &entry.transition;
        let change = match t.kind {
            TransitionKind::Firing if t.from != AlertState::Firing => AlertChange::Fired,
            TransitionKind::SeverityChanged if t.previous_severity.is_some_and(|p| t.severity > p) => {
                AlertChange::Escalated
            }
            TransitionKind::SeverityChanged => AlertChange::Deescalated,
            TransitionKind::Resolved => AlertChange::Resolved,
            TransitionKind::Acknowledged => AlertChange::Acknowledged,
            _ => return None,
        };
        let live = current.filter(|_| t.to != AlertState::Resolved);
        let alert = Alert {
            rule: t.rule.clone(),
            instance: t.instance.clone(),
            state: t.to,
            severity: t.severity,
            since: t.since,
            firing_since: (t.to != AlertState::Pending).then_some(t.since),
            fired_value: t.fired_value,
            value: t.value,
            detail: t.detail.clone(),
            acknowledged: entry.acknowledged.clone().or_else(|| live.and_then(|a| a.acknowledged.clone())),
            notified: t.notify || live.is_some_and(|a| a.notified),
            last_notified: live.and_then(|a| a.last_notified),
        };
        Some(Self { server: t.server.clone(), alert, change })
    }
}

/// Broadcasts live events to the `/api/events` streams, and tells them when to close.
pub struct EventHub {
    tx: broadcast::Sender<LiveEvent>,
    closed: watch::Sender<bool>,
}

impl EventHub {
    pub(crate) fn new() -> Self {
        Self { tx: broadcast::channel(1024).0, closed: watch::channel(false).0 }
    }

    pub fn subscribe(&self) -> (broadcast::Receiver<LiveEvent>, watch::Receiver<bool>) {
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

/// Most alert history rows read per poll (the rest at the next one).
const ALERT_BATCH: i64 = 500;

/// Polls `fleet` every `every` while someone listens; stops when `hub` is closed.
pub(crate) async fn run(hub: Arc<EventHub>, fleet: Fleet, every: Duration) {
    let mut closed = hub.closed.subscribe();
    let mut servers: Option<HashMap<String, Signature>> = None;
    // The newest alert history row already told (or skipped): a listener hears what comes
    // after it joined, not the past.
    let mut told: Option<i64> = None;
    loop {
        if hub.tx.receiver_count() == 0 {
            servers = None;
            told = None;
        }
        if told.is_none() {
            told = match fleet.store().last_alert_history_id().await {
                Ok(id) => Some(id),
                Err(e) => {
                    tracing::warn!(error = ?e, "live stream: cannot read the alert history");
                    None
                }
            };
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = closed.changed() => return,
        }
        if hub.tx.receiver_count() == 0 {
            continue;
        }
        poll_servers(&hub, &fleet, &mut servers).await;
        if let Some(last) = told.as_mut() {
            poll_alerts(&hub, &fleet, last).await;
        }
    }
}

/// Sends a server event for each server whose state changed since `prev`.
async fn poll_servers(hub: &EventHub, fleet: &Fleet, prev: &mut Option<HashMap<String, Signature>>) {
    let states = match fleet.store().server_states().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = ?e, "live stream: cannot read server states");
            return;
        }
    };
    let at = Utc::now();
    let now: HashMap<String, Signature> = states
        .iter()
        .map(|s| {
            let sig = (
                s.last_attempt.timestamp_millis(),
                s.ok,
                s.reason.map(|r| r.as_str()),
                s.last_success.map(|t| t.timestamp_millis()),
                Some(s.duration_ms),
                fleet.is_stale(s, at),
            );
            (s.server_name.clone(), sig)
        })
        .collect();
    let changed: Vec<&String> = match prev.as_ref() {
        None => Vec::new(),
        Some(p) => now.iter().filter(|(k, v)| p.get(*k) != Some(*v)).map(|(k, _)| k).collect(),
    };
    if !changed.is_empty() {
        match fleet.view().await {
            Ok(all) => {
                for server in all.into_iter().filter(|v| changed.contains(&&v.meta.name)) {
                    // No receiver left is fine: the next poll sees that.
                    if hub.tx.send(LiveEvent::Server(Box::new(server.info()))).is_err() {
                        break;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = ?e, "live stream: cannot read the fleet");
                return;
            }
        }
    }
    *prev = Some(now);
}

/// Sends an alert event for each told change of a configured server's alert after `last`.
async fn poll_alerts(hub: &EventHub, fleet: &Fleet, last: &mut i64) {
    let store = fleet.store();
    let entries = match store.alert_history_after(*last, ALERT_BATCH).await {
        Ok(e) if e.is_empty() => return,
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = ?e, "live stream: cannot read the alert history");
            return;
        }
    };
    let current: HashMap<(String, String, String), Alert> = match store.alerts().await {
        Ok(alerts) => alerts.into_iter().map(|(s, a)| ((s, a.rule.clone(), a.instance.clone()), a)).collect(),
        Err(e) => {
            tracing::warn!(error = ?e, "live stream: cannot read the alerts");
            return;
        }
    };
    for entry in &entries {
        *last = entry.id;
        let t = &entry.transition;
        if fleet.server(&t.server).is_none() {
            continue;
        }
        let key = (t.server.clone(), t.rule.clone(), t.instance.clone());
        if let Some(event) = AlertEvent::of(entry, current.get(&key))
            && hub.tx.send(LiveEvent::Alert(Box::new(event))).is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use fleetwatch_alerts::Severity;

    use super::*;

    fn entry(kind: TransitionKind, from: AlertState, to: AlertState, previous: Option<Severity>) -> HistoryEntry {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().unwrap_or_default();
        HistoryEntry {
            id: 7,
            transition: Transition {
                rule: "disk-full".into(),
                server: "web-1".into(),
                instance: "/var".into(),
                kind,
                from,
                to,
                severity: Severity::Critical,
                previous_severity: previous,
                metric: Some("disk[/var].used_percent".into()),
                fired_value: Some(91.0),
                value: Some(96.0),
                since: at,
                at,
                detail: None,
                notify: true,
                silenced: false,
            },
            acknowledged: None,
        }
    }

    fn change(e: &HistoryEntry) -> Option<AlertChange> {
        AlertEvent::of(e, None).map(|e| e.change)
    }

    #[test]
    fn each_told_change_is_an_event_and_the_rest_are_not() {
        use AlertState::{Firing, Ok, Pending, Resolved};
        use TransitionKind as K;
        assert_eq!(change(&entry(K::Firing, Pending, Firing, None)), Some(AlertChange::Fired));
        assert_eq!(change(&entry(K::Firing, Firing, Firing, None)), None, "told after a silence: no change");
        let up = entry(K::SeverityChanged, Firing, Firing, Some(Severity::Warning));
        assert_eq!(change(&up), Some(AlertChange::Escalated));
        let mut down = entry(K::SeverityChanged, Firing, Firing, Some(Severity::Critical));
        down.transition.severity = Severity::Warning;
        assert_eq!(change(&down), Some(AlertChange::Deescalated));
        assert_eq!(change(&entry(K::Resolved, Firing, Resolved, None)), Some(AlertChange::Resolved));
        assert_eq!(change(&entry(K::Acknowledged, Firing, Firing, None)), Some(AlertChange::Acknowledged));
        for quiet in [K::Pending, K::Cancelled, K::Renotify, K::HostKeyAccepted] {
            assert_eq!(change(&entry(quiet, Pending, Ok, None)), None, "{quiet:?}");
        }
    }

    #[test]
    fn the_event_is_the_alert_with_its_state_and_change() {
        let e = AlertEvent::of(&entry(TransitionKind::Resolved, AlertState::Firing, AlertState::Resolved, None), None);
        let json = serde_json::to_value(e).unwrap_or_default();
        assert_eq!(json["server"], "web-1");
        assert_eq!((&json["rule"], &json["instance"]), (&"disk-full".into(), &"/var".into()));
        assert_eq!(
            (&json["state"], &json["change"], &json["severity"]),
            (&"resolved".into(), &"resolved".into(), &"critical".into())
        );
        assert_eq!((&json["value"], &json["fired_value"]), (&96.0.into(), &91.0.into()));
    }
}
