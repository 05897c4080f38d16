//! Storms: the changes of one evaluation become at most two messages per channel, one for what
//! fires (new, escalated, repeated) and one for what resolved, however many servers changed.
//! When a switch dies and 300 hosts go offline, each channel gets one message listing them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::rule::RuleSet;
use crate::state::{Severity, Transition, TransitionKind};

/// Which of the two messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupStatus {
    Firing,
    Resolved,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// One message for one channel: what to render and send. Holds no secret, so it can wait in
/// an outbox as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub channel: String,
    pub status: GroupStatus,
    /// The worst severity among the alerts.
    pub severity: Severity,
    /// Worst first, then by server, rule and instance.
    pub alerts: Vec<Transition>,
}

impl Notification {
    /// How many distinct servers the message is about.
    pub fn server_count(&self) -> usize {
        self.alerts.iter().map(|t| t.server.as_str()).collect::<BTreeSet<_>>().len()
    }

    /// The distinct rules, in order.
    pub fn rule_names(&self) -> Vec<&str> {
        self.alerts.iter().map(|t| t.rule.as_str()).collect::<BTreeSet<_>>().into_iter().collect()
    }
}

/// Groups the transitions to notify (`notify = true`) per channel of their rule. A transition
/// whose rule is unknown to `rules` (removed since) goes nowhere.
pub fn group(rules: &RuleSet, transitions: &[Transition]) -> Vec<Notification> {
    let mut groups: BTreeMap<(&str, GroupStatus), Vec<Transition>> = BTreeMap::new();
    for t in transitions.iter().filter(|t| t.notify) {
        let status = match t.kind {
            TransitionKind::Resolved => GroupStatus::Resolved,
            TransitionKind::Firing | TransitionKind::SeverityChanged | TransitionKind::Renotify => GroupStatus::Firing,
            TransitionKind::Pending
            | TransitionKind::Cancelled
            | TransitionKind::Acknowledged
            | TransitionKind::HostKeyAccepted => continue,
        };
        for channel in rules.get(&t.rule).map(|r| r.channels.as_slice()).unwrap_or_default() {
            groups.entry((channel.as_str(), status)).or_default().push(t.clone());
        }
    }
    groups
        .into_iter()
        .map(|((channel, status), mut alerts)| {
            alerts.sort_by(|a, b| {
                (b.severity, &a.server, &a.rule, &a.instance).cmp(&(a.severity, &b.server, &b.rule, &b.instance))
            });
            let severity = alerts.iter().map(|t| t.severity).max().unwrap_or(Severity::Warning);
            Notification { channel: channel.to_owned(), status, severity, alerts }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::{DISK_FULL, SERVER_OFFLINE};
    use crate::fixture::t0;
    use crate::state::AlertState;

    fn rules() -> RuleSet {
        crate::fixture::rules(concat!(
            "channels = [{ name = 'ops', kind = 'webhook', url = 'https://hooks.example/ops' },",
            "            { name = 'chat', kind = 'slack', url = 'https://hooks.example/chat' }]\n",
            "rules = [{ name = 'disk-full', channels = ['ops'] }]",
        ))
    }

    fn t(rule: &str, server: &str, kind: TransitionKind, severity: Severity, notify: bool) -> Transition {
        Transition {
            rule: rule.into(),
            server: server.into(),
            instance: String::new(),
            kind,
            from: AlertState::Ok,
            to: AlertState::Firing,
            severity,
            previous_severity: None,
            metric: None,
            fired_value: None,
            value: None,
            since: t0(),
            at: t0(),
            detail: None,
            notify,
            silenced: !notify,
        }
    }

    #[test]
    fn three_hundred_offline_hosts_are_one_message_per_channel() {
        let rules = rules();
        let mut changes: Vec<Transition> = (0..300)
            .map(|i| t(SERVER_OFFLINE, &format!("web-{i:03}"), TransitionKind::Firing, Severity::Critical, true))
            .collect();
        changes.push(t(DISK_FULL, "db-1", TransitionKind::Firing, Severity::Warning, true));
        changes.push(t(DISK_FULL, "db-2", TransitionKind::Resolved, Severity::Warning, true));
        changes.push(t(SERVER_OFFLINE, "web-999", TransitionKind::Pending, Severity::Critical, false));
        changes.push(t(SERVER_OFFLINE, "silenced", TransitionKind::Firing, Severity::Critical, false));
        let groups = group(&rules, &changes);
        let shape: Vec<(&str, GroupStatus, usize)> =
            groups.iter().map(|g| (g.channel.as_str(), g.status, g.alerts.len())).collect();
        assert_eq!(
            shape,
            [("chat", GroupStatus::Firing, 300), ("ops", GroupStatus::Firing, 301), ("ops", GroupStatus::Resolved, 1)]
        );
        let ops = &groups[1];
        assert_eq!((ops.severity, ops.server_count()), (Severity::Critical, 301));
        assert_eq!(ops.alerts[0].server, "web-000", "worst first, then by server");
        assert_eq!(ops.alerts[300].server, "db-1", "the warning comes after every critical");
        assert_eq!(ops.rule_names(), [DISK_FULL, SERVER_OFFLINE]);
    }
}
