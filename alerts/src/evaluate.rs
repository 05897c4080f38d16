//! One evaluation: every enabled rule over the servers given, against the alerts of the book,
//! at the time given. Servers not given keep their alerts untouched, so a caller may evaluate
//! only the servers one collector just stored.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetwatch_common::{Details, OfflineReason, Sample};

use crate::metric::Coverage;
use crate::rule::{Condition, Rule, RuleSet};
use crate::silence::{Silence, is_silenced};
use crate::state::{Alert, AlertBook, Severity, Transition, step};

/// What the evaluation knows of one server: its latest sample (and its details), and why its
/// last collection failed, if it did.
#[derive(Debug, Clone, Copy)]
pub struct ServerView<'a> {
    pub name: &'a str,
    pub tags: &'a [String],
    pub latest: Option<&'a Sample>,
    pub details: Option<&'a Details>,
    /// Set when the last attempt failed.
    pub failure: Option<Failure<'a>>,
    /// When someone last accepted the server's new host key: a `host-key-changed` alert that
    /// fired before it resolves once a collection succeeds (never by itself).
    pub host_key_accepted: Option<DateTime<Utc>>,
}

/// A failed collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure<'a> {
    pub reason: OfflineReason,
    /// The safe sentence stored with the failure.
    pub detail: Option<&'a str>,
}

impl Failure<'_> {
    /// `connection refused: …`, for messages.
    pub fn describe(&self) -> String {
        match self.detail.filter(|d| !d.is_empty()) {
            Some(d) => format!("{}: {d}", self.reason),
            None => self.reason.to_string(),
        }
    }
}

impl<'a> ServerView<'a> {
    /// The latest sample and its details when they are worth evaluating: the last attempt
    /// succeeded and the sample is not older than `stale_after`. Figures of an old sample
    /// would keep alerts firing, or let them fire, on what is no longer true.
    pub fn fresh(&self, stale_after: Duration, now: DateTime<Utc>) -> Option<(&'a Sample, Option<&'a Details>)> {
        if self.failure.is_some() {
            return None;
        }
        let sample = self.latest?;
        let young = (now - sample.timestamp).to_std().map_or(true, |age| age <= stale_after);
        young.then_some((sample, self.details))
    }
}

/// One instance of one rule on one server, as read now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reading<'a> {
    pub instance: &'a str,
    /// The severity reached, if any.
    pub reached: Option<Severity>,
    /// Whether a firing alert resolves.
    pub cleared: bool,
    pub value: Option<f64>,
    pub detail: Option<String>,
    /// For a sticky rule: when a person last released its alerts (a firing alert older than
    /// this resolves once `cleared`).
    pub released: Option<DateTime<Utc>>,
}

impl Reading<'_> {
    /// Whether an alert that started firing at `since` was released by hand after that.
    pub fn released(&self, since: DateTime<Utc>) -> bool {
        self.released.is_some_and(|at| at >= since)
    }
}

fn read<'a>(
    rule: &Rule,
    server: &ServerView<'a>,
    stale_after: Duration,
    now: DateTime<Utc>,
    out: &mut Vec<Reading<'a>>,
) -> Coverage {
    match &rule.condition {
        Condition::Check(check) => check.read(server, stale_after, now, out),
        Condition::Threshold { metric, levels } => match server.fresh(stale_after, now) {
            Some((sample, details)) => metric.read(sample, details, |instance, v| {
                out.push(Reading {
                    instance,
                    reached: levels.reached(v),
                    cleared: levels.cleared(v),
                    value: Some(v),
                    detail: None,
                    released: None,
                });
            }),
            None => Coverage::Partial,
        },
    }
}

/// Evaluates `rules` over `servers` at `now`, updating `book`; returns every change, in server
/// then rule order. Silences decide only whether a change is told (`Transition::notify`).
pub fn evaluate(
    book: &mut AlertBook,
    rules: &RuleSet,
    servers: &[ServerView<'_>],
    silences: &[Silence],
    now: DateTime<Utc>,
) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut readings = Vec::new();
    for server in servers {
        let mut alerts = book.servers.get_mut(server.name).map(std::mem::take).unwrap_or_default();
        for rule in rules.enabled().filter(|r| r.applies_to(server.name, server.tags)) {
            readings.clear();
            let coverage = read(rule, server, rules.stale_after, now, &mut readings);
            let mut cached = None;
            let mut silenced = || {
                *cached
                    .get_or_insert_with(|| is_silenced(silences, &rule.name, server.name, server.tags, now).is_some())
            };
            for reading in &readings {
                if let Some(t) = step(&mut alerts, rule, server.name, reading, now, &mut silenced) {
                    out.push(with_metric(t, rule));
                }
            }
            if coverage == Coverage::Complete && !alerts.is_empty() {
                let gone = |a: &Alert| a.rule == rule.name && !readings.iter().any(|r| r.instance == a.instance);
                drain(&mut alerts, gone, |a| {
                    out.push(with_metric(a.resolve(server.name, now, Some("no longer reported")), rule))
                });
            }
        }
        if !alerts.is_empty() {
            let unwatched =
                |a: &Alert| !rules.get(&a.rule).is_some_and(|r| r.enabled && r.applies_to(server.name, server.tags));
            let why = "the rule was removed, switched off or no longer watches this server";
            drain(&mut alerts, unwatched, |a| out.push(a.resolve(server.name, now, Some(why))));
        }
        match book.servers.get_mut(server.name) {
            Some(slot) if !alerts.is_empty() => *slot = alerts,
            Some(_) => {
                book.servers.remove(server.name);
            }
            None if !alerts.is_empty() => {
                book.servers.insert(server.name.to_owned(), alerts);
            }
            None => {}
        }
    }
    out
}

/// Removes the alerts `pick` selects, handing each to `then`.
fn drain(alerts: &mut Vec<Alert>, pick: impl Fn(&Alert) -> bool, mut then: impl FnMut(&Alert)) {
    alerts.retain(|a| {
        let remove = pick(a);
        if remove {
            then(a);
        }
        !remove
    });
}

/// Names the figure of a threshold rule's transition (`disk[/var].used_percent`).
fn with_metric(mut t: Transition, rule: &Rule) -> Transition {
    t.metric =
        rule.metric().map(|m| if t.instance.is_empty() { m.as_str().to_owned() } else { m.instance_name(&t.instance) });
    t
}

#[cfg(test)]
mod tests;
