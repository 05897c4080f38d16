//! What an evaluation must write: the alerts it changed, not every alert it looked at. An
//! unchanged alert is not written at all; a changed one (its state, severity, value, detail…)
//! is upserted; one that left the book is deleted. Compared in their stored form (epoch
//! milliseconds, finite numbers), so an alert read back and evaluated to the same values is
//! never rewritten.

use std::collections::{HashMap, HashSet};

use fleetwatch_alerts::{Alert, AlertBook};

use super::rows::word;
use crate::values::{finite, to_ms};

/// `(server, rule, instance)`.
pub(crate) type Key<'a> = (&'a str, &'a str, &'a str);

/// The writes of one evaluation.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Changes<'a> {
    /// Alerts of the evaluated servers that are no longer in the book.
    pub deleted: Vec<Key<'a>>,
    /// New or changed alerts, with their server.
    pub upserted: Vec<(&'a str, &'a Alert)>,
}

/// Everything an evaluation may change about an alert, as stored. The acknowledgement is not
/// part of it: only an acknowledgement writes that.
fn stored_form(a: &Alert) -> impl PartialEq + '_ {
    (
        word(&a.state),
        word(&a.severity),
        to_ms(a.since),
        a.firing_since.map(to_ms),
        finite(a.fired_value),
        finite(a.value),
        a.detail.as_deref(),
        a.notified,
        a.last_notified.map(to_ms),
    )
}

/// The writes that turn `stored` (every stored alert, with its server) into `book` for the
/// evaluated `servers`; alerts of other servers are left alone.
pub(crate) fn changes<'a>(stored: &'a [(String, Alert)], servers: &'a [String], book: &'a AlertBook) -> Changes<'a> {
    let evaluated: HashSet<&str> = servers.iter().map(String::as_str).collect();
    let before: HashMap<Key<'a>, &'a Alert> = stored
        .iter()
        .filter(|(s, _)| evaluated.contains(s.as_str()))
        .map(|(s, a)| ((s.as_str(), a.rule.as_str(), a.instance.as_str()), a))
        .collect();
    let mut kept: HashSet<Key<'a>> = HashSet::new();
    let mut out = Changes::default();
    for server in servers {
        for a in book.server(server) {
            let key = (server.as_str(), a.rule.as_str(), a.instance.as_str());
            kept.insert(key);
            let same = before.get(&key).is_some_and(|old| stored_form(old) == stored_form(a));
            if !same {
                out.upserted.push((server.as_str(), a));
            }
        }
    }
    out.deleted = before.into_keys().filter(|k| !kept.contains(k)).collect();
    out.deleted.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{TimeZone, Utc};
    use fleetwatch_alerts::{Acknowledgement, AlertState, Severity};

    use super::*;

    fn alert(rule: &str, value: f64) -> Alert {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        Alert {
            rule: rule.into(),
            instance: String::new(),
            state: AlertState::Firing,
            severity: Severity::Warning,
            since: at,
            firing_since: Some(at),
            fired_value: Some(value),
            value: Some(value),
            detail: None,
            acknowledged: None,
            notified: true,
            last_notified: Some(at),
        }
    }

    #[test]
    fn only_what_changed_is_written() {
        // Acknowledged through the API after the engine read the book: not a change.
        let mut acked = alert("same", 1.0);
        acked.acknowledged = Some(Acknowledgement { by: "x".into(), at: Utc::now(), comment: None });
        let stored = vec![
            ("a".to_string(), acked),
            ("a".to_string(), alert("moved", 1.0)),
            ("a".to_string(), alert("gone", 1.0)),
            ("b".to_string(), alert("other-server", 1.0)),
        ];
        let book = AlertBook::from_alerts([
            ("a".to_string(), alert("same", 1.0)),
            ("a".to_string(), alert("moved", 2.0)),
            ("a".to_string(), alert("new", 3.0)),
        ]);
        let servers = ["a".to_string()];
        let c = changes(&stored, &servers, &book);
        let upserted: Vec<&str> = c.upserted.iter().map(|(_, a)| a.rule.as_str()).collect();
        assert_eq!(upserted, ["moved", "new"]);
        assert_eq!(c.deleted, [("a", "gone", "")], "b is not evaluated: its alert stays");
    }

    #[test]
    fn sub_millisecond_differences_are_no_change() {
        let stored = vec![("a".to_string(), alert("r", 1.0))];
        let mut again = alert("r", 1.0);
        again.since += chrono::Duration::microseconds(300);
        let book = AlertBook::from_alerts([("a".to_string(), again)]);
        let servers = ["a".to_string()];
        assert_eq!(changes(&stored, &servers, &book), Changes::default());
    }
}
