//! The alert configuration as `GET /api/alerts/rules` shows it: every rule as loaded (the
//! built-in ones included, with their effective levels, channels and durations), the standing
//! silences, and the channels by name and kind only. Made once at start from the checked
//! configuration; it never holds a channel's URL, token or password, so none can be served.

use fleetwatch_alerts::builtin::Check;
use fleetwatch_alerts::rule::Condition;
use fleetwatch_alerts::{Alerting, Rule, Severity, SilenceSpec};
use serde::Serialize;

/// What is served.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct AlertRules {
    pub rules: Vec<RuleView>,
    pub channels: Vec<ChannelView>,
    /// Maintenance windows of the configuration (those made at run time: `/api/silences`).
    pub silences: Vec<SilenceSpec>,
    /// A sample older than this is not evaluated, and makes a server stale.
    pub stale_after_secs: u64,
}

/// One rule as the evaluation uses it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    pub name: String,
    pub builtin: bool,
    pub enabled: bool,
    /// `threshold` (a figure against levels) or `check` (offline, stale, host key, …).
    pub kind: &'static str,
    /// For a check: which (`offline`, `stale`, `host_key_changed`, `section_failing`,
    /// `container_unhealthy`) and the severity it fires with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// For a threshold: the figure and its levels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub below: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clear: Option<f64>,
    pub for_secs: u64,
    /// Server name globs; empty: every server.
    pub servers: Vec<String>,
    /// Empty: any server.
    pub tags: Vec<String>,
    /// The channels told (a rule without `channels` tells every channel).
    pub channels: Vec<String>,
    pub renotify_secs: Option<u64>,
}

/// A channel: its name and kind, nothing else.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    pub name: String,
    pub kind: &'static str,
}

fn check_name(c: Check) -> &'static str {
    match c {
        Check::Offline { .. } => "offline",
        Check::Stale => "stale",
        Check::HostKeyChanged => "host_key_changed",
        Check::SectionFailing => "section_failing",
        Check::ContainerUnhealthy => "container_unhealthy",
    }
}

impl From<&Rule> for RuleView {
    fn from(r: &Rule) -> Self {
        let mut v = RuleView {
            name: r.name.clone(),
            builtin: r.builtin,
            enabled: r.enabled,
            kind: "check",
            check: None,
            severity: None,
            metric: None,
            warning: None,
            critical: None,
            below: None,
            clear: None,
            for_secs: r.for_secs,
            servers: r.spec.servers.clone().unwrap_or_default(),
            tags: r.tags.clone(),
            channels: r.channels.clone(),
            renotify_secs: r.renotify_secs,
        };
        match &r.condition {
            Condition::Check(c) => {
                v.check = Some(check_name(*c));
                v.severity = Some(c.severity());
            }
            Condition::Threshold { metric, levels } => {
                v.kind = "threshold";
                v.metric = Some(metric.as_str().to_owned());
                v.warning = levels.warning;
                v.critical = levels.critical;
                v.below = Some(levels.below);
                v.clear = levels.clear;
            }
        }
        v
    }
}

impl From<&Alerting> for AlertRules {
    fn from(a: &Alerting) -> Self {
        AlertRules {
            rules: a.rules.rules.iter().map(RuleView::from).collect(),
            channels: a
                .channels
                .iter()
                .map(|c| ChannelView { name: c.name.clone(), kind: c.kind().as_str() })
                .collect(),
            silences: a.silences.iter().map(|s| s.spec().clone()).collect(),
            stale_after_secs: a.rules.stale_after.as_secs(),
        }
    }
}
