//! The alerts as the whole app sees them (a context, like [`Fleet`]): the pending and firing
//! alerts, the silences and the channels' last results, loaded at start and asked again when
//! news comes. The tab's count, the cards, the server page and the Alerts tab all read these.
//!
//! When the live stream tells alert changes (`alert` events), each one asks again at once (a
//! burst gives one request). Until a stream does, any server news does, at most every
//! [`NEWS_GAP`]: alerts are evaluated right after each collection, which is what server events
//! and the fallback polling report.

use std::time::Duration;

use fleetwatch_alerts::Severity;
use leptos::prelude::*;

use crate::alert_wire::{AlertItem, ChannelItem, SilenceItem};
use crate::api::Client;
use crate::fleet::Fleet;
use crate::format::now_ms;
use crate::remote::{Remote, on_fleet_news};
use crate::toast::Toasts;

/// Server news asks for the alerts at most this often.
const NEWS_GAP: Duration = Duration::from_secs(5);
/// Asked anyway (the page opened, a reconnection) less than this ago: server news does not ask.
const MIN_GAP_MS: f64 = 1_000.0;
/// Once `alert` events arrive, server news still asks now and then, in case one was missed.
const STREAMED_GAP_MS: f64 = 60_000.0;
/// `alert` events closer together than this give one request.
const EVENT_COALESCE: Duration = Duration::from_millis(300);

/// How many alerts of one server fire, and the worst severity among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub firing: usize,
    pub pending: usize,
    pub worst: Option<Severity>,
}

impl Summary {
    /// Of the alerts `of` picks (e.g. one server's).
    pub fn of<'a>(alerts: impl IntoIterator<Item = &'a AlertItem>) -> Self {
        let mut s = Self::default();
        for a in alerts {
            if a.is_firing() {
                s.firing += 1;
                s.worst = s.worst.max(Some(a.alert.severity));
            } else {
                s.pending += 1;
            }
        }
        s
    }
}

/// The alerts' state. `Copy`: every field is an arena handle.
#[derive(Clone, Copy)]
pub struct Alerts {
    pub current: Remote<Vec<AlertItem>>,
    pub silences: Remote<Vec<SilenceItem>>,
    pub channels: Remote<Vec<ChannelItem>>,
    /// An `alert` event has arrived: the stream tells alert changes.
    streamed: StoredValue<bool>,
    /// When the alerts were last asked for (epoch ms).
    asked: StoredValue<f64>,
    /// An `alert` event's request is scheduled.
    scheduled: StoredValue<bool>,
}

impl Alerts {
    pub fn new() -> Self {
        Self {
            current: Remote::new(),
            silences: Remote::new(),
            channels: Remote::new(),
            streamed: StoredValue::new(false),
            asked: StoredValue::new(f64::NEG_INFINITY),
            scheduled: StoredValue::new(false),
        }
    }

    /// Loads everything once the servers are loaded, and keeps it current; failures are told once
    /// per run of failures.
    pub fn start(self, fleet: Fleet, toasts: Toasts) {
        self.current.toast_failures(toasts, "Cannot load the alerts");
        self.silences.toast_failures(toasts, "Cannot load the silences");
        self.channels.toast_failures(toasts, "Cannot load the channels' state");
        // The first load right after the servers': the first screen waits for nothing else.
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            let loaded = fleet.updated.with(Option::is_some);
            if loaded {
                self.reload();
            }
            loaded
        });
        on_fleet_news(fleet, NEWS_GAP, move || {
            let since = now_ms() - self.asked.get_value();
            let gap = if self.streamed.get_value() { STREAMED_GAP_MS } else { MIN_GAP_MS };
            if fleet.updated.get_untracked().is_some() && since >= gap {
                self.reload();
            }
        });
    }

    /// Asks for the alerts, the silences and the channels again.
    pub fn reload(self) {
        self.asked.set_value(now_ms());
        self.current.load(async { Client::default().alerts().await });
        self.silences.load(async { Client::default().silences().await });
        self.channels.load(async { Client::default().channels().await });
    }

    /// The live stream told an alert change.
    pub fn on_alert_event(self) {
        self.streamed.set_value(true);
        if self.scheduled.get_value() {
            return;
        }
        self.scheduled.set_value(true);
        set_timeout(
            move || {
                if self.scheduled.try_set_value(false).is_none() {
                    self.reload();
                }
            },
            EVENT_COALESCE,
        );
    }

    /// The whole fleet's firing alerts (tracked).
    pub fn summary(self) -> Summary {
        self.current.data.with(|d| d.as_deref().map(Summary::of).unwrap_or_default())
    }

    /// One server's (tracked).
    pub fn summary_of(self, server: &str) -> Summary {
        self.current
            .data
            .with(|d| d.as_deref().map(|d| Summary::of(d.iter().filter(|a| a.server == server))).unwrap_or_default())
    }

    /// The channels whose last delivery failed (tracked).
    pub fn failing_channels(self) -> Vec<ChannelItem> {
        self.channels.data.with(|d| d.iter().flatten().filter(|c| !c.ok).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(server: &str, firing: bool, severity: &str) -> AlertItem {
        let json = format!(
            r#"{{"server":"{server}","rule":"r","instance":"","state":"{}","severity":"{severity}",
               "since":"2026-12-03T03:00:00Z","firing_since":null,"fired_value":null,"value":1.0,"detail":null,
               "acknowledged":null,"notified":true,"last_notified":null}}"#,
            if firing { "firing" } else { "pending" }
        );
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_summary_counts_firing_alerts_and_their_worst_severity() {
        let list = [
            alert("a", true, "warning"),
            alert("a", false, "critical"),
            alert("b", true, "critical"),
            alert("a", true, "warning"),
        ];
        assert_eq!(Summary::of(&list), Summary { firing: 3, pending: 1, worst: Some(Severity::Critical) });
        let a = Summary::of(list.iter().filter(|x| x.server == "a"));
        assert_eq!(a, Summary { firing: 2, pending: 1, worst: Some(Severity::Warning) }, "pending ones do not count");
        assert_eq!(Summary::of(&[]), Summary::default());
    }
}
