//! The rules every installation has without writing one. Each is on by default and can be
//! overridden by a `[[alerts.rules]]` entry of the same name (only the keys it sets change) or
//! switched off with `enabled = false`:
//!
//! | name | fires when | severity |
//! |---|---|---|
//! | `server-offline` | the last collection failed (its reason in the message) | critical |
//! | `server-stale` | no sample for `stale_after` (e.g. no collector runs) | warning |
//! | `host-key-changed` | the host key differs from the trusted one; resolves only at the first successful collection after someone accepted the new key | critical |
//! | `section-failing` | a section of the collection fails (partial data), one alert per section | warning |
//! | `container-unhealthy` | a container is unhealthy or exited non-zero, one alert per container | warning |
//! | `swap-used` | `swap_percentage` ≥ 50 (critical ≥ 80) for 10 min | levels |
//! | `cpu-high`, `ram-high`, `disk-full` | today's `[thresholds]`, so existing configs keep their meaning (`disk-full` per mount) | levels |
//!
//! `server-offline` leaves host key mismatches to `host-key-changed` while that rule is on.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetwatch_common::{OfflineReason, Threshold, Thresholds};

use crate::evaluate::{Reading, ServerView};
use crate::metric::Coverage;
use crate::rule::RuleConfig;
use crate::state::Severity;

pub const SERVER_OFFLINE: &str = "server-offline";
pub const SERVER_STALE: &str = "server-stale";
pub const HOST_KEY_CHANGED: &str = "host-key-changed";
pub const SECTION_FAILING: &str = "section-failing";
pub const CONTAINER_UNHEALTHY: &str = "container-unhealthy";
pub const SWAP_USED: &str = "swap-used";
pub const CPU_HIGH: &str = "cpu-high";
pub const RAM_HIGH: &str = "ram-high";
pub const DISK_FULL: &str = "disk-full";

/// What the built-in rules are made from: settings that live outside `[alerts]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Defaults {
    /// `[thresholds]`: the levels of `cpu-high`, `ram-high` and `disk-full`.
    pub thresholds: Thresholds,
    /// The collector's `stale_after`: older samples are not evaluated and make a server stale.
    pub stale_after: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Self { thresholds: Thresholds::default(), stale_after: Duration::from_secs(2_400) }
    }
}

/// A built-in check that is not a figure against levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `skip_host_key`: leave host key mismatches to [`Check::HostKeyChanged`].
    Offline {
        skip_host_key: bool,
    },
    Stale,
    HostKeyChanged,
    SectionFailing,
    ContainerUnhealthy,
}

/// A built-in rule: its default entry, and its check unless it is a threshold rule.
pub(crate) struct Builtin {
    pub spec: RuleConfig,
    pub check: Option<Check>,
}

fn spec(name: &str, for_secs: u64) -> RuleConfig {
    RuleConfig { name: name.to_owned(), for_secs: Some(for_secs), ..Default::default() }
}

fn threshold(name: &str, metric: &str, t: Threshold, for_secs: u64) -> RuleConfig {
    RuleConfig {
        metric: Some(metric.to_owned()),
        warning: Some(t.warning),
        critical: Some(t.critical),
        ..spec(name, for_secs)
    }
}

/// Every built-in rule, in the order they are listed and evaluated.
pub(crate) fn builtins(d: &Defaults) -> Vec<Builtin> {
    let check = |name, for_secs, check| Builtin { spec: spec(name, for_secs), check: Some(check) };
    let levels = |spec| Builtin { spec, check: None };
    let t = &d.thresholds;
    vec![
        check(SERVER_OFFLINE, 0, Check::Offline { skip_host_key: true }),
        check(SERVER_STALE, 0, Check::Stale),
        check(HOST_KEY_CHANGED, 0, Check::HostKeyChanged),
        // Twice in a row at the default 15-minute schedule before it fires.
        check(SECTION_FAILING, 600, Check::SectionFailing),
        check(CONTAINER_UNHEALTHY, 0, Check::ContainerUnhealthy),
        levels(threshold(SWAP_USED, "swap_percentage", Threshold::new(50.0, 80.0), 600)),
        levels(threshold(CPU_HIGH, "cpu_percent", t.cpu, 300)),
        levels(threshold(RAM_HIGH, "ram_percentage", t.ram, 300)),
        levels(threshold(DISK_FULL, "disk[*].used_percent", t.disk, 0)),
    ]
}

impl Check {
    pub fn severity(self) -> Severity {
        match self {
            Check::Offline { .. } | Check::HostKeyChanged => Severity::Critical,
            Check::Stale | Check::SectionFailing | Check::ContainerUnhealthy => Severity::Warning,
        }
    }

    /// This check's readings for one server.
    pub(crate) fn read<'a>(
        self,
        server: &ServerView<'a>,
        stale_after: Duration,
        now: DateTime<Utc>,
        out: &mut Vec<Reading<'a>>,
    ) -> Coverage {
        let severity = self.severity();
        let released = (self == Check::HostKeyChanged).then_some(server.host_key_accepted).flatten();
        let mut flag = |instance: &'a str, bad: bool, value: Option<f64>, detail: Option<String>| {
            out.push(Reading { instance, reached: bad.then_some(severity), cleared: !bad, value, detail, released });
        };
        match self {
            Check::Offline { skip_host_key } => {
                let failure = server.failure.filter(|f| !(skip_host_key && f.reason == OfflineReason::HostKeyMismatch));
                flag("", failure.is_some(), None, failure.map(|f| f.describe()));
                Coverage::Complete
            }
            Check::HostKeyChanged => {
                let failure = server.failure.filter(|f| f.reason == OfflineReason::HostKeyMismatch);
                flag("", failure.is_some(), None, failure.map(|f| f.describe()));
                Coverage::Complete
            }
            Check::Stale => {
                let age =
                    server.latest.filter(|_| server.failure.is_none()).and_then(|s| (now - s.timestamp).to_std().ok());
                let stale = age.filter(|a| *a > stale_after);
                let detail = stale.map(|a| format!("no sample for {} (limit {})", human(a), human(stale_after)));
                flag("", stale.is_some(), age.map(|a| a.as_secs_f64()), detail);
                Coverage::Complete
            }
            Check::SectionFailing => match server.fresh(stale_after, now).and_then(|(_, d)| d) {
                Some(d) => {
                    for e in &d.section_errors {
                        let (section, why) = e.split_once(':').unwrap_or((e.as_str(), ""));
                        flag(section.trim(), true, None, Some(why.trim().to_owned()));
                    }
                    Coverage::Complete
                }
                None => Coverage::Partial,
            },
            Check::ContainerUnhealthy => match server.fresh(stale_after, now).and_then(|(_, d)| d?.containers.as_ref())
            {
                Some(containers) => {
                    for c in containers {
                        let exited = c.state == "exited" && c.exit_code.is_some_and(|code| code != 0);
                        let unhealthy = c.health.as_deref() == Some("unhealthy");
                        let detail = match (unhealthy, exited) {
                            (true, _) => Some(format!("{} is unhealthy ({})", c.name, c.state)),
                            (false, true) => Some(format!("{} exited with code {}", c.name, c.exit_code.unwrap_or(0))),
                            _ => None,
                        };
                        flag(&c.name, unhealthy || exited, c.exit_code.map(|x| x as f64), detail);
                    }
                    Coverage::Complete
                }
                None => Coverage::Partial,
            },
        }
    }
}

/// `95 s`, `12 min`, `3 h`: enough for a message.
pub(crate) fn human(d: Duration) -> String {
    match d.as_secs() {
        s if s < 120 => format!("{s} s"),
        s if s < 7_200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3_600),
    }
}

#[cfg(test)]
mod tests;
