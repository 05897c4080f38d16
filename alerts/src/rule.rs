//! `[[alerts.rules]]`: what is watched, at which levels, for how long, on which servers, and who
//! is told. [`RuleConfig`] is the entry as written (every field optional, so an entry named
//! like a built-in rule overrides only what it sets); [`Rule`] is the checked, compiled form.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::builtin::Check;
use crate::glob::Glob;
use crate::metric::Metric;
use crate::state::Severity;

/// One `[[alerts.rules]]` entry as written; also what `GET /api/alerts/rules` shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub name: String,
    /// A headline field (`cpu_percent`) or a series (`disk[*].used_percent`); see [`crate::metric`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// A level is reached at or above it (at or below it with `below = true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical: Option<f64>,
    /// Alert when the figure is low (free space, established connections, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<bool>,
    /// How long a level must hold before the alert fires (0: at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_secs: Option<u64>,
    /// Hysteresis: a firing alert resolves only at or below this (at or above with `below`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear: Option<f64>,
    /// Server name globs; default every server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<String>>,
    /// The server must carry one of these tags; default any server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Channel names; default every channel. `[]` records alerts without telling anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Repeat the notification this often while firing and not acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renotify_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl RuleConfig {
    /// `self` with every field that `over` sets replaced by `over`'s.
    pub fn overlay(&self, over: &RuleConfig) -> RuleConfig {
        fn pick<T: Clone>(base: &Option<T>, over: &Option<T>) -> Option<T> {
            over.clone().or_else(|| base.clone())
        }
        RuleConfig {
            name: over.name.clone(),
            metric: pick(&self.metric, &over.metric),
            warning: pick(&self.warning, &over.warning),
            critical: pick(&self.critical, &over.critical),
            below: pick(&self.below, &over.below),
            for_secs: pick(&self.for_secs, &over.for_secs),
            clear: pick(&self.clear, &over.clear),
            servers: pick(&self.servers, &over.servers),
            tags: pick(&self.tags, &over.tags),
            channels: pick(&self.channels, &over.channels),
            renotify_secs: pick(&self.renotify_secs, &over.renotify_secs),
            enabled: pick(&self.enabled, &over.enabled),
        }
    }
}

/// The levels of a threshold rule, checked: warning and critical in order, clear on the far
/// side of both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Levels {
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub below: bool,
    pub clear: Option<f64>,
}

impl Levels {
    fn at_or_past(&self, value: f64, level: f64) -> bool {
        if self.below { value <= level } else { value >= level }
    }

    /// The severity `value` reaches, if any.
    pub fn reached(&self, value: f64) -> Option<Severity> {
        if self.critical.is_some_and(|c| self.at_or_past(value, c)) {
            Some(Severity::Critical)
        } else if self.warning.is_some_and(|w| self.at_or_past(value, w)) {
            Some(Severity::Warning)
        } else {
            None
        }
    }

    /// Whether a firing alert at `value` resolves: at or below `clear` when set (at or above
    /// with `below`), else as soon as no level is reached.
    pub fn cleared(&self, value: f64) -> bool {
        match self.clear {
            Some(c) if self.below => value >= c,
            Some(c) => value <= c,
            None => self.reached(value).is_none(),
        }
    }
}

/// What makes a rule's alert exist.
#[derive(Debug, Clone)]
pub enum Condition {
    /// A figure against levels.
    Threshold { metric: Metric, levels: Levels },
    /// One of the built-in checks (offline, stale, host key, …).
    Check(Check),
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub condition: Condition,
    pub for_secs: u64,
    /// Empty: every server.
    pub servers: Vec<Glob>,
    /// Empty: any server.
    pub tags: Vec<String>,
    /// The channels told, resolved (a rule without `channels` tells every channel).
    pub channels: Vec<String>,
    pub renotify_secs: Option<u64>,
    pub enabled: bool,
    /// A built-in rule (possibly overridden).
    pub builtin: bool,
    /// The effective entry (built-in defaults overlaid with the configuration), for display.
    pub spec: RuleConfig,
}

impl Rule {
    /// Whether the rule watches this server.
    pub fn applies_to(&self, server: &str, tags: &[String]) -> bool {
        (self.servers.is_empty() || self.servers.iter().any(|g| g.matches(server)))
            && (self.tags.is_empty() || self.tags.iter().any(|t| tags.contains(t)))
    }

    /// A sticky alert stays firing when its condition goes away, until it is resolved by hand
    /// ([`crate::AlertBook::resolve`]): a changed host key must be looked at by someone.
    pub fn sticky(&self) -> bool {
        matches!(self.condition, Condition::Check(Check::HostKeyChanged))
    }

    /// The figure a threshold rule watches.
    pub fn metric(&self) -> Option<&Metric> {
        match &self.condition {
            Condition::Threshold { metric, .. } => Some(metric),
            Condition::Check(_) => None,
        }
    }
}

/// Every rule, built-in ones first, and the staleness limit the rules were built with.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// A sample older than this is not evaluated (and makes the server stale).
    pub stale_after: Duration,
}

impl RuleSet {
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// The enabled rules.
    pub fn enabled(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.enabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(warning: Option<f64>, critical: Option<f64>, below: bool, clear: Option<f64>) -> Levels {
        Levels { warning, critical, below, clear }
    }

    #[test]
    fn levels_are_reached_at_or_past_them() {
        let l = levels(Some(80.0), Some(95.0), false, None);
        assert_eq!(l.reached(79.9), None);
        assert_eq!(l.reached(80.0), Some(Severity::Warning));
        assert_eq!(l.reached(95.0), Some(Severity::Critical));
        let low = levels(Some(20.0), Some(5.0), true, None);
        assert_eq!(low.reached(20.1), None);
        assert_eq!(low.reached(20.0), Some(Severity::Warning));
        assert_eq!(low.reached(4.0), Some(Severity::Critical));
        let only_critical = levels(None, Some(90.0), false, None);
        assert_eq!(only_critical.reached(89.0), None);
        assert_eq!(only_critical.reached(91.0), Some(Severity::Critical));
    }

    #[test]
    fn clear_is_hysteresis_and_without_it_any_level_holds() {
        let l = levels(Some(80.0), None, false, Some(70.0));
        assert!(!l.cleared(75.0), "between clear and warning the alert holds");
        assert!(l.cleared(70.0));
        let plain = levels(Some(80.0), None, false, None);
        assert!(!plain.cleared(80.0));
        assert!(plain.cleared(79.0));
        let low = levels(Some(20.0), None, true, Some(30.0));
        assert!(!low.cleared(25.0));
        assert!(low.cleared(30.0));
    }

    #[test]
    fn an_override_replaces_only_what_it_sets() {
        let base = RuleConfig {
            name: "cpu-high".into(),
            metric: Some("cpu_percent".into()),
            warning: Some(70.0),
            critical: Some(85.0),
            for_secs: Some(300),
            ..Default::default()
        };
        let over =
            RuleConfig { name: "cpu-high".into(), critical: Some(99.0), enabled: Some(false), ..Default::default() };
        let merged = base.overlay(&over);
        assert_eq!(
            (merged.metric.as_deref(), merged.warning, merged.critical, merged.for_secs, merged.enabled),
            (Some("cpu_percent"), Some(70.0), Some(99.0), Some(300), Some(false))
        );
    }

    #[test]
    fn a_rule_applies_by_glob_and_by_tag() {
        let rule = |servers: &[&str], tags: &[&str]| Rule {
            name: "r".into(),
            condition: Condition::Check(Check::Stale),
            for_secs: 0,
            servers: servers.iter().filter_map(|s| Glob::server(s).ok()).collect(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            channels: vec![],
            renotify_secs: None,
            enabled: true,
            builtin: false,
            spec: RuleConfig::default(),
        };
        let prod = ["prod".to_string()];
        assert!(rule(&[], &[]).applies_to("x", &[]));
        assert!(rule(&["web-*"], &[]).applies_to("web-1", &[]));
        assert!(!rule(&["web-*"], &[]).applies_to("db-1", &[]));
        assert!(rule(&["web-*"], &["prod"]).applies_to("web-1", &prod));
        assert!(!rule(&["web-*"], &["prod"]).applies_to("web-1", &[]));
        assert!(!rule(&[], &["prod", "eu"]).applies_to("db-1", &["us".to_string()]));
    }
}
