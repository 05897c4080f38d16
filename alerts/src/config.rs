//! The `[alerts]` section as a whole, and its one check, [`AlertsConfig::validate`], which
//! turns it into rules and channels or lists every problem by key.

use std::collections::HashMap;

use serde::Deserialize;

use crate::builtin::{Check, HOST_KEY_CHANGED, builtins};
use crate::channel::{Channel, ChannelConfig, SecretSource};
use crate::delivery::{Delivery, DeliveryConfig};
use crate::error::ConfigErrors;
use crate::glob::Glob;
use crate::metric::Metric;
use crate::rule::{Condition, Levels, Rule, RuleConfig, RuleSet};
use crate::{Defaults, silence::Silence, silence::SilenceSpec};

/// `[alerts]`: `[[alerts.channels]]`, `[[alerts.rules]]`, `[[alerts.silences]]` (standing
/// maintenance windows; silences made at run time come from the API) and `[alerts.delivery]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    pub channels: Vec<ChannelConfig>,
    pub rules: Vec<RuleConfig>,
    pub silences: Vec<SilenceSpec>,
    pub delivery: DeliveryConfig,
}

/// The checked `[alerts]` section.
#[derive(Debug, Clone)]
pub struct Alerting {
    pub rules: RuleSet,
    pub channels: Vec<Channel>,
    pub silences: Vec<Silence>,
    pub delivery: Delivery,
}

impl AlertsConfig {
    /// Checks everything and reads the channels' secrets through `secrets`. Every error names
    /// its key: `alerts.rules[2].critical: …`, `alerts.channels[0].url_env: …`.
    pub fn validate(&self, defaults: &Defaults, secrets: &dyn SecretSource) -> Result<Alerting, ConfigErrors> {
        let mut errors = ConfigErrors(Vec::new());
        let mut channels = Vec::new();
        let mut names: HashMap<&str, usize> = HashMap::new();
        for (i, c) in self.channels.iter().enumerate() {
            let at = format!("alerts.channels[{i}]");
            if let Some(first) = names.insert(c.name.as_str(), i) {
                errors.push(
                    format!("{at}.name"),
                    format!("`{}` is already the name of alerts.channels[{first}]", c.name),
                );
            }
            match c.resolve(&at, secrets) {
                Ok(channel) => channels.push(channel),
                Err(e) => errors.0.extend(e.0),
            }
        }
        let channel_names: Vec<&str> = self.channels.iter().map(|c| c.name.as_str()).collect();
        let rules = self.rules(defaults, &channel_names, &mut errors);
        let mut silences = Vec::new();
        for (i, s) in self.silences.iter().enumerate() {
            match Silence::new(s.clone()) {
                Ok(s) => silences.push(s),
                Err(e) => errors.push(format!("alerts.silences[{i}].{}", e.key), e.message),
            }
        }
        let delivery = self.delivery.check(&mut errors);
        errors.or_ok(Alerting { rules, channels, silences, delivery })
    }

    fn rules(&self, defaults: &Defaults, channels: &[&str], errors: &mut ConfigErrors) -> RuleSet {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut overrides: HashMap<&str, (usize, &RuleConfig)> = HashMap::new();
        let mut own = Vec::new();
        let builtins = builtins(defaults);
        for (i, r) in self.rules.iter().enumerate() {
            let at = format!("alerts.rules[{i}]");
            if r.name.trim().is_empty() {
                errors.push(format!("{at}.name"), "must not be empty");
            } else if let Some(first) = seen.insert(r.name.as_str(), i) {
                errors.push(format!("{at}.name"), format!("`{}` is already the name of alerts.rules[{first}]", r.name));
            } else if builtins.iter().any(|b| b.spec.name == r.name) {
                overrides.insert(r.name.as_str(), (i, r));
            } else {
                own.push((at, r));
            }
        }
        let mut rules = Vec::new();
        for b in &builtins {
            let (at, spec) = match overrides.get(b.spec.name.as_str()) {
                Some((i, over)) => {
                    let at = format!("alerts.rules[{i}]");
                    if b.check.is_some() {
                        for (key, set) in levels_set(over) {
                            if set {
                                errors.push(
                                    format!("{at}.{key}"),
                                    format!("the built-in rule `{}` has no metric or levels", b.spec.name),
                                );
                            }
                        }
                    }
                    (at, b.spec.overlay(over))
                }
                None => (format!("built-in rule {}", b.spec.name), b.spec.clone()),
            };
            rules.extend(compile(&at, spec, b.check, channels, true, errors));
        }
        for (at, r) in own {
            rules.extend(compile(&at, r.clone(), None, channels, false, errors));
        }
        // With the host key rule on, a mismatch is its alert, not also an offline one.
        let host_key_rule = rules.iter().any(|r| r.enabled && r.name == HOST_KEY_CHANGED);
        for r in &mut rules {
            if let Condition::Check(Check::Offline { skip_host_key }) = &mut r.condition {
                *skip_host_key = host_key_rule;
            }
        }
        RuleSet { rules, stale_after: defaults.stale_after }
    }
}

fn levels_set(r: &RuleConfig) -> [(&'static str, bool); 5] {
    [
        ("metric", r.metric.is_some()),
        ("warning", r.warning.is_some()),
        ("critical", r.critical.is_some()),
        ("below", r.below.is_some()),
        ("clear", r.clear.is_some()),
    ]
}

/// One rule, checked; `None` (with errors pushed) when it cannot be built.
fn compile(
    at: &str,
    spec: RuleConfig,
    check: Option<Check>,
    channels: &[&str],
    builtin: bool,
    errors: &mut ConfigErrors,
) -> Option<Rule> {
    let before = errors.0.len();
    let servers: Vec<Glob> = spec
        .servers
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, s)| Glob::server(s).map_err(|e| errors.push(format!("{at}.servers[{i}]"), e.to_string())).ok())
        .collect();
    let tags = spec.tags.clone().unwrap_or_default();
    for (i, _) in tags.iter().enumerate().filter(|(_, t)| t.trim().is_empty()) {
        errors.push(format!("{at}.tags[{i}]"), "empty tag");
    }
    for (i, c) in spec.channels.iter().flatten().enumerate().filter(|(_, c)| !channels.contains(&c.as_str())) {
        let known = if channels.is_empty() {
            "no channel is configured".to_owned()
        } else {
            format!("known: {}", channels.join(", "))
        };
        errors.push(format!("{at}.channels[{i}]"), format!("unknown channel `{c}`; {known}"));
    }
    if spec.renotify_secs == Some(0) {
        errors.push(format!("{at}.renotify_secs"), "must be above 0; leave it out to never repeat");
    }
    let condition = match check {
        Some(check) => Condition::Check(check),
        None => threshold(at, &spec, errors)?,
    };
    (errors.0.len() == before).then(|| Rule {
        name: spec.name.clone(),
        condition,
        for_secs: spec.for_secs.unwrap_or(0),
        servers,
        tags,
        channels: spec.channels.clone().unwrap_or_else(|| channels.iter().map(|c| c.to_string()).collect()),
        renotify_secs: spec.renotify_secs,
        enabled: spec.enabled.unwrap_or(true),
        builtin,
        spec,
    })
}

fn threshold(at: &str, spec: &RuleConfig, errors: &mut ConfigErrors) -> Option<Condition> {
    let metric = match spec.metric.as_deref().map(Metric::parse) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            errors.push(format!("{at}.metric"), e.to_string());
            None
        }
        None => {
            errors.push(
                format!("{at}.metric"),
                "required (a headline field such as cpu_percent, or a series such as disk[*].used_percent)",
            );
            None
        }
    };
    let levels = Levels {
        warning: spec.warning,
        critical: spec.critical,
        below: spec.below.unwrap_or(false),
        clear: spec.clear,
    };
    let before = errors.0.len();
    for (key, v) in [("warning", levels.warning), ("critical", levels.critical), ("clear", levels.clear)] {
        if v.is_some_and(|v| !v.is_finite()) {
            errors.push(format!("{at}.{key}"), "must be a finite number");
        }
    }
    let (high, low) = if levels.below { ("above", "below") } else { ("below", "above") };
    match (levels.warning, levels.critical) {
        (None, None) => errors.push(format!("{at}.warning"), "set warning, critical or both"),
        (Some(w), Some(c)) if (!levels.below && c < w) || (levels.below && c > w) => errors.push(
            format!("{at}.critical"),
            format!("{c} is {high} warning {w}; with below = {} a level is reached at or {low} it", levels.below),
        ),
        _ => {}
    }
    // The first level reached on the way up (down with `below`): clear must lie before it.
    let first = levels.warning.or(levels.critical);
    if let (Some(clear), Some(first)) = (levels.clear, first)
        && ((!levels.below && clear >= first) || (levels.below && clear <= first))
    {
        errors.push(
            format!("{at}.clear"),
            format!("{clear} must be {high} the first level ({first}): a firing alert resolves at or {high} clear"),
        );
    }
    (errors.0.len() == before).then_some(())?;
    Some(Condition::Threshold { metric: metric?, levels })
}

#[cfg(test)]
mod tests;
