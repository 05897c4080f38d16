//! An alert's life: ok → pending (a level is reached, `for_secs` not yet over) → firing
//! (warning or critical; the severity moves both ways) → resolved. The [`AlertBook`] holds the
//! pending and firing alerts between evaluations (serde, so the caller can store it); every
//! change comes out as a [`Transition`] for history and notifications.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::evaluate::Reading;
use crate::rule::Rule;

/// How bad a firing alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// Where an alert is in its life. The book keeps only pending and firing alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Ok,
    Pending,
    Firing,
    Resolved,
}

/// What happened to an alert in one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// ok → pending: not notified.
    Pending,
    /// pending → ok before `for_secs` was over: not notified.
    Cancelled,
    /// → firing; also firing → firing when an alert that fired during a silence is told after it.
    Firing,
    /// firing, warning ↔ critical.
    SeverityChanged,
    /// Still firing after `renotify_secs`, not acknowledged.
    Renotify,
    /// firing → resolved.
    Resolved,
    /// Someone acknowledged a firing alert (recorded by the store, never by an evaluation;
    /// not notified).
    Acknowledged,
    /// Someone accepted a server's new host key (recorded by the store; not notified). The
    /// `host-key-changed` alert resolves at the next successful collection.
    HostKeyAccepted,
}

/// Who acknowledged a firing alert, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Acknowledgement {
    pub by: String,
    pub at: DateTime<Utc>,
    /// What they said ("looking into it", a ticket number…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One pending or firing alert of one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    pub rule: String,
    /// The mount, device, container, section… (`""` for a rule with one alert per server).
    pub instance: String,
    pub state: AlertState,
    pub severity: Severity,
    /// When the level was first reached.
    pub since: DateTime<Utc>,
    pub firing_since: Option<DateTime<Utc>>,
    /// The value when it fired.
    pub fired_value: Option<f64>,
    /// The latest value.
    pub value: Option<f64>,
    /// What a check found (offline reason, exit code, …).
    pub detail: Option<String>,
    pub acknowledged: Option<Acknowledgement>,
    /// Whether its firing has been told (it is not while silenced).
    pub notified: bool,
    pub last_notified: Option<DateTime<Utc>>,
}

/// One change of one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transition {
    pub rule: String,
    pub server: String,
    pub instance: String,
    pub kind: TransitionKind,
    pub from: AlertState,
    pub to: AlertState,
    pub severity: Severity,
    /// Before a severity change.
    pub previous_severity: Option<Severity>,
    /// The series name of the figure (`disk[/var].used_percent`); `None` for a check.
    pub metric: Option<String>,
    pub fired_value: Option<f64>,
    pub value: Option<f64>,
    /// When the alert started firing (or its level was first reached, while pending).
    pub since: DateTime<Utc>,
    /// When this change was seen.
    pub at: DateTime<Utc>,
    pub detail: Option<String>,
    /// Whether channels are told. False for pending/cancelled, while silenced, and for the
    /// resolution of an alert that was never told.
    pub notify: bool,
    /// Held back by a silence (still recorded).
    pub silenced: bool,
}

/// Why an acknowledgement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("no such alert")]
    NotFound,
    #[error("only a firing alert can be acknowledged")]
    NotFiring,
}

impl Alert {
    fn new(rule: &str, reading: &Reading<'_>, severity: Severity, now: DateTime<Utc>) -> Self {
        Self {
            rule: rule.to_owned(),
            instance: reading.instance.to_owned(),
            state: AlertState::Pending,
            severity,
            since: now,
            firing_since: None,
            fired_value: None,
            value: reading.value,
            detail: reading.detail.clone(),
            acknowledged: None,
            notified: false,
            last_notified: None,
        }
    }

    pub(crate) fn transition(
        &self,
        server: &str,
        kind: TransitionKind,
        to: AlertState,
        now: DateTime<Utc>,
    ) -> Transition {
        Transition {
            rule: self.rule.clone(),
            server: server.to_owned(),
            instance: self.instance.clone(),
            kind,
            from: self.state,
            to,
            severity: self.severity,
            previous_severity: None,
            metric: None,
            fired_value: self.fired_value,
            value: self.value,
            since: self.firing_since.unwrap_or(self.since),
            at: now,
            detail: self.detail.clone(),
            notify: false,
            silenced: false,
        }
    }

    /// Marks the alert told unless silenced; the transition says which.
    fn tell(&mut self, mut t: Transition, now: DateTime<Utc>, silenced: &mut dyn FnMut() -> bool) -> Transition {
        if silenced() {
            t.silenced = true;
        } else {
            self.notified = true;
            self.last_notified = Some(now);
            t.notify = true;
        }
        t
    }

    fn fire(&mut self, server: &str, now: DateTime<Utc>, silenced: &mut dyn FnMut() -> bool) -> Transition {
        self.firing_since = Some(now);
        self.fired_value = self.value;
        let t = self.transition(server, TransitionKind::Firing, AlertState::Firing, now);
        self.state = AlertState::Firing;
        self.tell(t, now, silenced)
    }

    fn renotify_due(&self, rule: &Rule, now: DateTime<Utc>) -> bool {
        let every = rule.renotify_secs.and_then(|s| i64::try_from(s).ok());
        self.acknowledged.is_none()
            && every.zip(self.last_notified).is_some_and(|(every, last)| (now - last).num_seconds() >= every)
    }

    /// Resolves it (the caller removes it from the book).
    pub(crate) fn resolve(&self, server: &str, now: DateTime<Utc>, why: Option<&str>) -> Transition {
        let mut t = self.transition(server, TransitionKind::Resolved, AlertState::Resolved, now);
        if let Some(why) = why {
            t.detail = Some(why.to_owned());
        }
        t.notify = self.notified;
        t
    }
}

/// Applies one reading to the alerts of one server; returns what changed.
pub(crate) fn step(
    alerts: &mut Vec<Alert>,
    rule: &Rule,
    server: &str,
    reading: &Reading<'_>,
    now: DateTime<Utc>,
    silenced: &mut dyn FnMut() -> bool,
) -> Option<Transition> {
    let Some(pos) = alerts.iter().position(|a| a.rule == rule.name && a.instance == reading.instance) else {
        let mut alert = Alert::new(&rule.name, reading, reading.reached?, now);
        let t = if rule.for_secs == 0 {
            alert.fire(server, now, silenced)
        } else {
            alert.transition(server, TransitionKind::Pending, AlertState::Pending, now)
        };
        alerts.push(alert);
        return Some(t);
    };
    let alert = &mut alerts[pos];
    alert.value = reading.value;
    if reading.detail.is_some() {
        alert.detail.clone_from(&reading.detail);
    }
    match (alert.state, reading.reached) {
        (AlertState::Pending, None) => {
            let t = alert.transition(server, TransitionKind::Cancelled, AlertState::Ok, now);
            alerts.remove(pos);
            Some(t)
        }
        (AlertState::Pending, Some(severity)) => {
            alert.severity = severity;
            let held = (now - alert.since).num_seconds();
            (held >= i64::try_from(rule.for_secs).unwrap_or(i64::MAX)).then(|| alert.fire(server, now, silenced))
        }
        (AlertState::Firing, _) if reading.cleared && !rule.sticky() => {
            let t = alert.resolve(server, now, None);
            alerts.remove(pos);
            Some(t)
        }
        (AlertState::Firing, _) if reading.cleared && reading.released(alert.firing_since.unwrap_or(alert.since)) => {
            let t = alert.resolve(server, now, Some("released by hand (the new host key was accepted)"));
            alerts.remove(pos);
            Some(t)
        }
        (AlertState::Firing, Some(severity)) if severity != alert.severity => {
            let mut t = alert.transition(server, TransitionKind::SeverityChanged, AlertState::Firing, now);
            t.previous_severity = Some(alert.severity);
            t.severity = severity;
            alert.severity = severity;
            Some(alert.tell(t, now, silenced))
        }
        (AlertState::Firing, _) if !alert.notified => {
            // Fired during a silence: told once the silence is over.
            let t = alert.transition(server, TransitionKind::Firing, AlertState::Firing, now);
            let t = alert.tell(t, now, silenced);
            t.notify.then_some(t)
        }
        (AlertState::Firing, _) if alert.renotify_due(rule, now) => {
            let t = alert.transition(server, TransitionKind::Renotify, AlertState::Firing, now);
            let t = alert.tell(t, now, silenced);
            t.notify.then_some(t)
        }
        _ => None,
    }
}

/// The pending and firing alerts, by server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertBook {
    pub(crate) servers: BTreeMap<String, Vec<Alert>>,
}

impl AlertBook {
    /// Every alert with its server, by server name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Alert)> {
        self.servers.iter().flat_map(|(s, alerts)| alerts.iter().map(move |a| (s.as_str(), a)))
    }

    pub fn len(&self) -> usize {
        self.servers.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    pub fn get(&self, server: &str, rule: &str, instance: &str) -> Option<&Alert> {
        self.servers.get(server)?.iter().find(|a| a.rule == rule && a.instance == instance)
    }

    /// Stops re-notification of a firing alert until it resolves.
    pub fn acknowledge(
        &mut self,
        server: &str,
        rule: &str,
        instance: &str,
        ack: Acknowledgement,
    ) -> Result<&Alert, AckError> {
        let alerts = self.servers.get_mut(server).ok_or(AckError::NotFound)?;
        let alert = alerts.iter_mut().find(|a| a.rule == rule && a.instance == instance).ok_or(AckError::NotFound)?;
        if alert.state != AlertState::Firing {
            return Err(AckError::NotFiring);
        }
        alert.acknowledged = Some(ack);
        Ok(alert)
    }

    /// Resolves an alert by hand: the only way out for a sticky one (a changed host key once
    /// the new key is accepted). `None` when there is no such alert.
    pub fn resolve(
        &mut self,
        server: &str,
        rule: &str,
        instance: &str,
        now: DateTime<Utc>,
        why: &str,
    ) -> Option<Transition> {
        let alerts = self.servers.get_mut(server)?;
        let pos = alerts.iter().position(|a| a.rule == rule && a.instance == instance)?;
        let alert = alerts.remove(pos);
        if alerts.is_empty() {
            self.servers.remove(server);
        }
        let mut t = alert.resolve(server, now, Some(why));
        if alert.state == AlertState::Pending {
            t.kind = TransitionKind::Cancelled;
            t.to = AlertState::Ok;
        }
        Some(t)
    }

    /// A book holding `alerts` (server, alert), e.g. as read back from a store.
    pub fn from_alerts(alerts: impl IntoIterator<Item = (String, Alert)>) -> Self {
        let mut book = Self::default();
        for (server, alert) in alerts {
            book.servers.entry(server).or_default().push(alert);
        }
        book
    }

    /// The alerts of one server.
    pub fn server(&self, server: &str) -> &[Alert] {
        self.servers.get(server).map_or(&[], Vec::as_slice)
    }

    /// Drops every alert of a server that is no longer configured, without transitions.
    pub fn forget_server(&mut self, server: &str) -> Vec<Alert> {
        self.servers.remove(server).unwrap_or_default()
    }
}
