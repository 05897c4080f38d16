//! One server on the dashboard: its status, gauges and figures.
//!
//! Hooks for browser tests: the card has class `server-card`, `data-server`, `data-status` and
//! `data-sampled` (the latest sample's time, epoch ms); an offline server's reason is inside
//! `.offline-reason`; its firing alerts: `card-alerts` (see `alert_badge`).

use fleetwatch_common::{Sample, ServerInfo, Status};
use leptos::prelude::*;

use crate::api::server_href;
use crate::components::alert_badge::CardBadge;
use crate::components::gauge::Gauge;
use crate::components::status_pill::StatusPill;
use crate::format::{MISSING, ago, count, load, local_time, millis, uptime, used_of};

#[component]
pub fn StatusCard(
    server: ServerInfo,
    /// The browser's clock in ms, ticking so that "2 min ago" stays true.
    #[prop(into)]
    now: Signal<f64>,
) -> impl IntoView {
    let ServerInfo { name, transport, host, port, tags, status, latest } = server;
    let overall = status.status;
    let offline = overall == Status::Offline;
    let address = match (host, port) {
        (Some(h), Some(p)) if p != 22 => format!("{h}:{p}"),
        (Some(h), _) => h,
        (None, _) => transport.to_string(),
    };
    let s = latest.as_ref();
    let get = |f: fn(&Sample) -> Option<f64>| s.and_then(f);
    let hostname = s.and_then(|s| s.hostname.clone()).filter(|h| *h != name && *h != address);
    let disk_detail = s.and_then(|s| {
        let used = used_of(s.disk_used_bytes, s.disk_total_bytes);
        match (used, s.disk_mount.clone()) {
            (Some(u), Some(m)) => Some(format!("{u} on {m}")),
            (u, m) => u.or(m),
        }
    });
    let ram_detail = s.and_then(|s| used_of(s.ram_used_bytes, s.ram_total_bytes));
    let cpu_detail = s.and_then(|s| s.cpu_cores).map(|c| format!("{c} cores"));
    let loads = [get(|s| s.cpu_load_1min), get(|s| s.cpu_load_5min), get(|s| s.cpu_load_15min)];
    let loads = if loads.iter().all(Option::is_none) { MISSING.to_owned() } else { loads.map(load).join(" ") };
    let up = s.and_then(|s| s.uptime_seconds).map_or_else(|| MISSING.to_owned(), uptime);
    let users = count(s.and_then(|s| s.logged_users));
    let tcp = count(s.and_then(|s| s.tcp_connections));

    let last_seen = status.last_seen.as_ref().map(millis);
    // Past an hour, "3 h ago" alone is vague: the local time follows.
    let seen_text = move || {
        last_seen.map_or_else(
            || "never".to_owned(),
            |ms| {
                let now = now.get();
                if now - ms < 3_600_000.0 {
                    ago(ms, now)
                } else {
                    format!("{} ({})", ago(ms, now), local_time(ms, now))
                }
            },
        )
    };
    let seen_title = move || last_seen.map(|ms| local_time(ms, now.get()));

    let reason = offline.then(|| {
        let words = status.reason.map_or("unreachable", |r| r.as_str());
        let detail = status.detail.clone();
        // One line on the card (cards have one height); the whole of it in the tooltip.
        let title = detail.as_ref().map_or_else(|| words.to_owned(), |d| format!("{words}: {d}"));
        view! {
            <div class="offline-reason" title=title>
                <strong>{words}</strong>
                {detail.map(|d| view! { <span class="offline-detail">{d}</span> })}
            </div>
        }
    });

    let hook = name.clone();
    let badge_server = name.clone();
    let sampled = s.map(|s| millis(&s.timestamp).to_string());
    let href = server_href(&name);
    // Texts cut to one line on the card are whole in their tooltips.
    let name_title = name.clone();
    let address_title = match &hostname {
        Some(h) => format!("{address} · {h}"),
        None => address.clone(),
    };
    let tags_title = tags.join(", ");
    view! {
        <article
            class=format!("server-card status-{}", overall.as_str())
            data-server=hook
            data-status=overall.as_str()
            data-sampled=sampled
        >
            <header class="card-head">
                <div class="card-title">
                    <h2>
                        <a href=href title=name_title>
                            {name}
                        </a>
                    </h2>
                    <span class="address" title=address_title>
                        {address}
                        {hostname.map(|h| format!(" · {h}"))}
                    </span>
                </div>
                <StatusPill status=overall />
            </header>
            {(!tags.is_empty())
                .then(|| {
                    view! {
                        <ul class="tags" title=tags_title>
                            {tags.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                        </ul>
                    }
                })}
            {reason}
            <div class="gauges" class:stale=offline title=offline.then_some("last known values")>
                <Gauge
                    label="CPU"
                    value=get(|s| s.cpu_percent)
                    level=status.cpu_status
                    detail=cpu_detail
                />
                <Gauge
                    label="RAM"
                    value=get(|s| s.ram_percentage)
                    level=status.ram_status
                    detail=ram_detail
                />
                <Gauge
                    label="Disk"
                    value=get(|s| s.disk_percentage)
                    level=status.disk_status
                    detail=disk_detail
                />
            </div>
            <dl class="figures">
                <div title="load average over 1, 5 and 15 min">
                    <dt>"Load"</dt>
                    <dd>{loads}</dd>
                </div>
                <div>
                    <dt>"Uptime"</dt>
                    <dd>{up}</dd>
                </div>
                <div>
                    <dt>"Users"</dt>
                    <dd>{users}</dd>
                </div>
                <div title="established TCP connections">
                    <dt>"TCP"</dt>
                    <dd>{tcp}</dd>
                </div>
            </dl>
            <footer class="card-foot">
                <span class="last-seen" title=seen_title>
                    "Last seen "
                    <time>{seen_text}</time>
                </span>
                <CardBadge server=badge_server />
            </footer>
        </article>
    }
}
