//! Silences and maintenance windows. A silence matches alerts by server glob, tag and/or rule
//! (every kind given must match; within a kind, any entry) and holds their notifications back
//! while it is active: between `start` and `end`, and, for a recurring window, during
//! `duration_secs` after each time of its `cron` expression. A silenced alert is still recorded.
//!
//! `cron` has **6 fields, seconds first** (`sec min hour day-of-month month day-of-week`), or 7
//! with a year, like `collector.schedule`; times are UTC. A 5-field crontab line is refused
//! with an example, rather than read with its fields shifted. `0 0 2 * * Sun` with
//! `duration_secs = 7200` is every Sunday from 02:00 to 04:00 UTC.

use chrono::{DateTime, Duration, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::glob::Glob;

/// A silence as written (configuration or `POST /api/silences`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SilenceSpec {
    /// Server name globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    /// The server must carry one of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Rule name globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Not before (default: always was).
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    /// Not from then on; required unless the silence recurs.
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    #[serde(default)]
    pub comment: String,
    /// A recurring window: when each one opens (6 fields, seconds first; UTC).
    #[serde(default)]
    pub cron: Option<String>,
    /// How long each recurring window stays open.
    #[serde(default)]
    pub duration_secs: Option<u64>,
}

/// A checked silence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SilenceSpec", into = "SilenceSpec")]
pub struct Silence {
    spec: SilenceSpec,
    servers: Vec<Glob>,
    rules: Vec<Glob>,
    window: Option<(Cron, Duration)>,
}

impl From<Silence> for SilenceSpec {
    fn from(s: Silence) -> Self {
        s.spec
    }
}

impl TryFrom<SilenceSpec> for Silence {
    type Error = ConfigError;

    fn try_from(spec: SilenceSpec) -> Result<Self, ConfigError> {
        Self::new(spec)
    }
}

/// Parses a window's cron expression: 6 fields (seconds first) or 7 (with a year).
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "expected 6 fields, seconds first (or 7 with a year), got {fields}: e.g. \"0 0 2 * * Sun\" for Sundays at 02:00 UTC"
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Optional)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| e.to_string())
}

fn globs(
    key: &str,
    patterns: &[String],
    make: fn(&str) -> Result<Glob, crate::glob::GlobError>,
) -> Result<Vec<Glob>, ConfigError> {
    patterns
        .iter()
        .enumerate()
        .map(|(i, p)| make(p).map_err(|e| ConfigError::new(format!("{key}[{i}]"), e.to_string())))
        .collect()
}

impl Silence {
    /// Checks a silence; errors name the field (`cron: …`, `servers[1]: …`).
    pub fn new(spec: SilenceSpec) -> Result<Self, ConfigError> {
        if spec.servers.is_empty() && spec.tags.is_empty() && spec.rules.is_empty() {
            return Err(ConfigError::new(
                "servers",
                "a silence needs servers, tags or rules (servers = [\"*\"] silences everything)",
            ));
        }
        let servers = globs("servers", &spec.servers, Glob::server)?;
        let rules = globs("rules", &spec.rules, Glob::new)?;
        if let Some(i) = spec.tags.iter().position(|t| t.trim().is_empty()) {
            return Err(ConfigError::new(format!("tags[{i}]"), "empty tag"));
        }
        if let (Some(start), Some(end)) = (spec.start, spec.end)
            && end <= start
        {
            return Err(ConfigError::new("end", format!("{end} is not after start {start}")));
        }
        let window = match (&spec.cron, spec.duration_secs) {
            (None, None) if spec.end.is_none() => {
                return Err(ConfigError::new("end", "required unless the silence recurs (cron + duration_secs)"));
            }
            (None, None) => None,
            (Some(expr), Some(secs)) if secs > 0 => {
                let cron = parse_cron(expr).map_err(|e| ConfigError::new("cron", e))?;
                let secs = i64::try_from(secs).map_err(|_| ConfigError::new("duration_secs", "too large"))?;
                Some((cron, Duration::seconds(secs)))
            }
            (Some(_), _) => return Err(ConfigError::new("duration_secs", "required with cron, and above 0")),
            (None, Some(_)) => return Err(ConfigError::new("cron", "required with duration_secs")),
        };
        Ok(Self { spec, servers, rules, window })
    }

    pub fn spec(&self) -> &SilenceSpec {
        &self.spec
    }

    /// Whether the silence holds at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        if self.spec.start.is_some_and(|s| now < s) || self.spec.end.is_some_and(|e| now >= e) {
            return false;
        }
        match &self.window {
            None => true,
            Some((cron, length)) => {
                cron.find_previous_occurrence(&now, true).is_ok_and(|opened| now < opened + *length)
            }
        }
    }

    /// Whether the silence covers alerts of `rule` on this server.
    pub fn matches(&self, rule: &str, server: &str, tags: &[String]) -> bool {
        (self.servers.is_empty() || self.servers.iter().any(|g| g.matches(server)))
            && (self.spec.tags.is_empty() || self.spec.tags.iter().any(|t| tags.contains(t)))
            && (self.rules.is_empty() || self.rules.iter().any(|g| g.matches(rule)))
    }
}

/// The first silence that holds back alerts of `rule` on this server at `now`.
pub fn is_silenced<'s>(
    silences: &'s [Silence],
    rule: &str,
    server: &str,
    tags: &[String],
    now: DateTime<Utc>,
) -> Option<&'s Silence> {
    silences.iter().find(|s| s.matches(rule, server, tags) && s.is_active(now))
}

#[cfg(test)]
mod tests;
