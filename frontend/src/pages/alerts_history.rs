//! The Alerts tab's history: every change of every alert in a time range (the same range control
//! as the server page, `?range=24h` by default), optionally of one server, newest first. A
//! moving range is asked again as news arrives.
//!
//! Hooks for browser tests: `history-server`, `history-count`, `history-table` with rows
//! `tr[data-testid=history-row]` (`data-server`, `data-rule`, `data-kind`).

use std::time::Duration;

use fleetwatch_alerts::TransitionKind;
use leptos::prelude::*;

use crate::alert_wire::HistoryItem;
use crate::api::{Client, MAX_HISTORY, server_href};
use crate::components::error_banner::ErrorBanner;
use crate::components::filter_select::FilterSelect;
use crate::components::range_picker::{RangePicker, Window};
use crate::components::when::When;
use crate::fleet::Fleet;
use crate::format::{MISSING, figure, millis, now_ms};
use crate::query::Query;
use crate::remote::{Remote, on_fleet_news};
use crate::toast::Toasts;

const DEFAULT_RANGE: &str = "24h";
/// A moving range is asked again at most this often while news arrives.
const RELOAD_GAP: Duration = Duration::from_secs(10);

fn kind_words(k: TransitionKind) -> &'static str {
    match k {
        TransitionKind::Pending => "pending",
        TransitionKind::Cancelled => "cancelled",
        TransitionKind::Firing => "firing",
        TransitionKind::SeverityChanged => "severity changed",
        TransitionKind::Renotify => "reminder",
        TransitionKind::Resolved => "resolved",
        TransitionKind::Acknowledged => "acknowledged",
        TransitionKind::HostKeyAccepted => "host key accepted",
    }
}

fn kind_key(k: TransitionKind) -> &'static str {
    match k {
        TransitionKind::Pending => "pending",
        TransitionKind::Cancelled => "cancelled",
        TransitionKind::Firing => "firing",
        TransitionKind::SeverityChanged => "severity_changed",
        TransitionKind::Renotify => "renotify",
        TransitionKind::Resolved => "resolved",
        TransitionKind::Acknowledged => "acknowledged",
        TransitionKind::HostKeyAccepted => "host_key_accepted",
    }
}

/// Whether channels were told, and if not, why.
fn told(t: &fleetwatch_alerts::Transition) -> &'static str {
    if t.notify {
        "notified"
    } else if t.silenced {
        "silenced"
    } else {
        MISSING
    }
}

#[component]
pub fn AlertHistory(query: Query) -> impl IntoView {
    let fleet = expect_context::<Fleet>();
    let server = query.signal("server");
    let window = Window::in_query(query, DEFAULT_RANGE);
    let bounds = RwSignal::new(window.get_untracked().bounds(now_ms()));
    let history = Remote::<Vec<HistoryItem>>::new();
    history.toast_failures(expect_context::<Toasts>(), "Cannot load the alert history");

    let load = move || {
        let (from, to) = window.get_untracked().bounds(now_ms());
        bounds.set((from, to));
        let s = server.get_untracked();
        history.load(async move { Client::default().alert_history(from, to, &s).await });
    };
    Effect::new(move |_| {
        window.track();
        server.track();
        load();
    });
    on_fleet_news(fleet, RELOAD_GAP, move || {
        if matches!(window.get_untracked(), Window::Last(_)) {
            load();
        }
    });
    let now = fleet.now;

    let rows = move || {
        history.data.with(|d| {
            d.iter()
                .flatten()
                .map(|h| {
                    let t = &h.transition;
                    let severity = match t.previous_severity {
                        Some(p) => format!("{} → {}", p.as_str(), t.severity.as_str()),
                        None => t.severity.as_str().to_owned(),
                    };
                    let at = millis(&t.at);
                    view! {
                        <tr
                            data-testid="history-row"
                            data-server=t.server.clone()
                            data-rule=t.rule.clone()
                            data-kind=kind_key(t.kind)
                        >
                            <td>
                                <When ms=at now=now />
                            </td>
                            <td>
                                <a href=server_href(&t.server)>{t.server.clone()}</a>
                            </td>
                            <td class="mono" title=t.detail.clone()>
                                {t.rule.clone()}
                            </td>
                            <td class="mono">
                                {if t.instance.is_empty() { MISSING.to_owned() } else { t.instance.clone() }}
                            </td>
                            <td>{kind_words(t.kind)}</td>
                            <td>
                                <span class=format!(
                                    "status-pill status-{}",
                                    t.severity.as_str(),
                                )>{severity}</span>
                            </td>
                            <td class="num" title=t.metric.clone()>
                                {figure(t.value)}
                            </td>
                            <td>{told(t)}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <div class="toolbar history-tools">
            <RangePicker query=query window=window default=DEFAULT_RANGE bounds=bounds />
            <FilterSelect
                label="Server"
                testid="history-server"
                selected=server
                choices=fleet.names()
                on_pick=move |s: String| query.set(&[("server", &s)])
            />
            <span class="shown" data-testid="history-count" aria-live="polite">
                {move || if history.loading.get() { "Loading…".to_owned() } else { String::new() }}
                {move || {
                    history
                        .data
                        .with(|d| {
                            d.as_ref()
                                .map(|d| {
                                    let n = d.len();
                                    let more = if n as i64 >= MAX_HISTORY { " (the newest; narrow the range for more)" } else { "" };
                                    format!("{n} {}{more}", if n == 1 { "change" } else { "changes" })
                                })
                        })
                }}
            </span>
        </div>
        <ErrorBanner error=history.error what="Cannot load the alert history" />
        <div class="table-wrap">
            <table class="data-table" data-testid="history-table">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Server"</th>
                        <th scope="col">"Rule"</th>
                        <th scope="col">"Instance"</th>
                        <th scope="col">"Change"</th>
                        <th scope="col">"Severity"</th>
                        <th scope="col" class="num">
                            "Value"
                        </th>
                        <th scope="col">"Told"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {move || {
            history
                .data
                .with(|d| d.as_ref().is_some_and(Vec::is_empty))
                .then(|| {
                    view! {
                        <p class="placeholder empty" data-testid="empty">
                            "No alert changed in this range."
                        </p>
                    }
                })
        }}
    }
}
