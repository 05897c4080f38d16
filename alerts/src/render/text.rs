//! The wording every kind shares: a title and one line per alert.

use chrono::{DateTime, Utc};

use super::RenderContext;
use crate::group::{GroupStatus, Notification};
use crate::state::{Transition, TransitionKind};

/// The server's page on the dashboard, e.g. `https://fleet.example.com/servers/web-1`.
pub fn server_url(public_url: &str, server: &str) -> String {
    let mut url = public_url.trim_end_matches('/').to_owned();
    url.push_str("/servers/");
    url.push_str(&fleetwatch_common::percent_encode(server));
    url
}

pub(super) fn link(ctx: &RenderContext<'_>, server: &str) -> Option<String> {
    ctx.public_url.map(|p| server_url(p, server))
}

pub(super) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `93.2`, `1024`: one decimal when there is one.
pub(super) fn number(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 1000.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// `FIRING`, `CRITICAL`… as the message's first word.
fn status_word(n: &Notification) -> String {
    match n.status {
        GroupStatus::Resolved => "RESOLVED".to_owned(),
        GroupStatus::Firing => n.severity.as_str().to_uppercase(),
    }
}

/// `disk-full on db-1 (/var)`.
pub(super) fn subject(t: &Transition) -> String {
    if t.instance.is_empty() {
        format!("{} on {}", t.rule, t.server)
    } else {
        format!("{} on {} ({})", t.rule, t.server, t.instance)
    }
}

/// `CRITICAL disk-full on db-1 (/var)`, or for many: `CRITICAL 300 alerts on 300 servers: server-offline`.
pub(super) fn title(n: &Notification) -> String {
    match n.alerts.as_slice() {
        [one] => format!("{} {}", status_word(n), subject(one)),
        many => format!(
            "{} {} alerts on {} servers: {}",
            status_word(n),
            many.len(),
            n.server_count(),
            n.rule_names().join(", ")
        ),
    }
}

/// What was seen: `disk[/var].used_percent = 93.2 (fired at 91.0)`, or the check's finding.
pub(super) fn finding(t: &Transition) -> String {
    let mut s = String::new();
    if let (Some(metric), Some(v)) = (&t.metric, t.value) {
        s.push_str(&format!("{metric} = {}", number(v)));
        if let Some(f) = t.fired_value.filter(|f| *f != v) {
            s.push_str(&format!(" (fired at {})", number(f)));
        }
    }
    if let Some(d) = t.detail.as_deref().filter(|d| !d.is_empty()) {
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(d);
    }
    s
}

/// One alert: severity, what, where, the value, since when, the link.
pub(super) fn line(t: &Transition, ctx: &RenderContext<'_>) -> String {
    let mut s = match (t.kind, t.previous_severity) {
        (TransitionKind::Resolved, _) => format!("RESOLVED {}", subject(t)),
        (_, Some(was)) => format!("{} (was {}) {}", t.severity.as_str().to_uppercase(), was.as_str(), subject(t)),
        (TransitionKind::Renotify, _) => {
            format!("{} (still firing) {}", t.severity.as_str().to_uppercase(), subject(t))
        }
        _ => format!("{} {}", t.severity.as_str().to_uppercase(), subject(t)),
    };
    let found = finding(t);
    if !found.is_empty() {
        s.push_str(&format!(": {found}"));
    }
    match t.kind {
        TransitionKind::Resolved => {
            s.push_str(&format!("; firing since {}, resolved {}", time(t.since), time(t.at)));
        }
        _ => {
            s.push_str(&format!("; since {}", time(t.since)));
        }
    }
    if let Some(url) = link(ctx, &t.server) {
        s.push_str(&format!(" {url}"));
    }
    s
}

/// The first `max_listed` lines, then how many more there are.
pub(super) fn lines(n: &Notification, ctx: &RenderContext<'_>) -> Vec<String> {
    let listed = ctx.max_listed.max(1);
    let mut out: Vec<String> = n.alerts.iter().take(listed).map(|t| line(t, ctx)).collect();
    if n.alerts.len() > listed {
        out.push(format!("… and {} more", n.alerts.len() - listed));
    }
    out
}

/// Title, blank line, the lines: the plain text of chat and mail messages.
pub(super) fn plain(n: &Notification, ctx: &RenderContext<'_>) -> String {
    let mut s = title(n);
    s.push_str("\n\n");
    s.push_str(&lines(n, ctx).join("\n"));
    s
}

/// At most `max` characters, ending in `…` when cut (never inside a character).
pub(super) fn truncate(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
