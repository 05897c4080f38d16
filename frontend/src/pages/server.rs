//! The page of one server (`/servers/:name`): its card, its alerts, history charts over a chosen
//! range (kept in the URL, see [`RangePicker`]), and the tables the API has for it. A click on
//! any chart picks a moment (`?at=`, RFC 3339, in the URL so a link shows the same): the tables
//! then show what was stored at that moment, until "Now" returns to live.
//!
//! Hooks for browser tests: `[data-testid=page-server]`, `chart-<key>`, `export-metrics`,
//! `moment` (with `data-at`) and `moment-now`; the range buttons: see `range_picker`; the
//! alerts: see `server_alerts`; the tables: see `server_sections`.

use std::time::Duration;

use fleetwatch_common::HistoryPoint;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{Client, iso_ms, metrics_export_url};
use crate::components::chart::{Chart, Series, Unit};
use crate::components::error_banner::ErrorBanner;
use crate::components::range_picker::{RangePicker, Window};
use crate::components::series_chart::AllFigures;
use crate::components::server_alerts::ServerAlerts;
use crate::components::status_card::StatusCard;
use crate::fleet::Fleet;
use crate::format::{local_time, millis, now_ms};
use crate::pages::server_sections::Sections;
use crate::query::Query;
use crate::remote::Remote;

/// Live news reloads the charts at most this often.
const RELOAD_GAP: Duration = Duration::from_secs(10);
const DEFAULT_RANGE: &str = "6h";

#[component]
pub fn ServerPage() -> impl IntoView {
    let fleet = expect_context::<Fleet>();
    let params = use_params_map();
    let name = Memo::new(move |_| params.with(|p| p.get("name")).unwrap_or_default());
    let server = Memo::new(move |_| {
        fleet.names().track();
        fleet.server(&name.get())
    });

    view! {
        <section class="page" data-testid="page-server">
            {move || {
                let n = name.get();
                match server.get() {
                    Some(s) => view! { <ServerView name=n server=s /> }.into_any(),
                    None if fleet.loaded() => {
                        view! {
                            <p class="placeholder empty" data-testid="empty">
                                "No server named " <strong>{n}</strong>
                                " is configured. Pick one on the " <a href="/">"dashboard"</a> "."
                            </p>
                        }
                            .into_any()
                    }
                    None => view! { <p class="placeholder">"Loading…"</p> }.into_any(),
                }
            }}
        </section>
    }
}

#[component]
fn ServerView(name: String, server: RwSignal<fleetwatch_common::ServerInfo>) -> impl IntoView {
    let fleet = expect_context::<Fleet>();
    let query = Query::new();
    let window = Window::in_query(query, DEFAULT_RANGE);
    let history = Remote::<Vec<HistoryPoint>>::new();
    // Bumped on each load: the sections reload with the charts.
    let reload = RwSignal::new(0_u64);
    let bounds = RwSignal::new(window.get_untracked().bounds(now_ms()));
    let last_load = StoredValue::new(f64::NEG_INFINITY);

    let load = {
        let name = name.clone();
        move |w: Window| {
            let now = now_ms();
            last_load.set_value(now);
            let (from, to) = w.bounds(now);
            bounds.set((from, to));
            let n = name.clone();
            history.load(async move { Client::default().history(&n, from, to).await });
            reload.update(|r| *r += 1);
        }
    };
    // A new range: load now.
    let on_range = load.clone();
    Effect::new(move |_| on_range(window.get()));
    // A new sample of this server: reload a moving window, at most every RELOAD_GAP.
    let sampled = Memo::new(move |_| server.with(|s| s.latest.as_ref().map(|l| millis(&l.timestamp))));
    Effect::new(move |prev: Option<Option<f64>>| {
        let t = sampled.get();
        let w = window.get_untracked();
        if prev.is_some_and(|p| p != t)
            && matches!(w, Window::Last(_))
            && now_ms() - last_load.get_value() >= RELOAD_GAP.as_millis() as f64
        {
            load(w);
        }
        t
    });

    let points = Signal::derive(move || history.data.get());
    // The picked moment: `?at=` as epoch ms.
    let at = query.signal("at");
    let moment = Signal::derive(move || {
        at.with(|a| chrono::DateTime::parse_from_rfc3339(a).ok().map(|t| t.timestamp_millis() as f64))
    });
    let on_pick = Callback::new(move |ms: f64| query.set(&[("at", &iso_ms(ms))]));
    let range = Signal::derive(move || bounds.get());
    let export_href = {
        let name = name.clone();
        move || {
            let (f, t) = bounds.get();
            metrics_export_url("xlsx", &name, f, t)
        }
    };
    let now = fleet.now;

    view! {
        <div class="server-head">
            <StatusCardLive server=server now=now />
            <div class="server-tools">
                <h1 class="page-title">{name.clone()}</h1>
                <RangePicker query=query window=window default=DEFAULT_RANGE bounds=bounds />
                <p class="muted range-note">
                    {move || if history.loading.get() { "Loading…" } else { "" }}
                    {move || {
                        history
                            .data
                            .with(|d| {
                                d.as_ref()
                                    .map(|d| {
                                        let samples: i64 = d.iter().map(|p| p.samples.max(1)).sum();
                                        format!("{} points from {samples} samples", d.len())
                                    })
                            })
                    }}
                </p>
                <a class="button" data-testid="export-metrics" href=export_href download>
                    "Export to Excel"
                </a>
            </div>
        </div>
        <ServerAlerts server=name.clone() />
        {move || {
            moment
                .get()
                .map(|ms| {
                    view! {
                        <div class="moment-bar" data-testid="moment" data-at=at.get()>
                            "Tables below: as stored at "
                            <strong>{local_time(ms, now_ms())}</strong>
                            " (the nearest collection at or before it; each table says when it was collected). "
                            <button
                                class="button"
                                data-testid="moment-now"
                                on:click=move |_| query.set(&[("at", "")])
                            >
                                "Now"
                            </button>
                        </div>
                    }
                })
        }}
        <ErrorBanner error=history.error what="Cannot load the history" />
        <div class="charts">
            <Chart
                key="cpu"
                title="CPU"
                unit=Unit::Percent
                series=vec![Series { label: "CPU", color: "#2f6fde", value: |p| p.cpu_percent }]
                points=points
                range=range
                moment=moment
                on_pick=on_pick
            />
            <Chart
                key="memory"
                title="Memory"
                unit=Unit::Percent
                series=vec![
                    Series { label: "RAM", color: "#8e5cd9", value: |p| p.ram_percentage },
                    Series { label: "Swap", color: "#e8871e", value: |p| p.swap_percentage },
                ]
                points=points
                range=range
                moment=moment
                on_pick=on_pick
            />
            <Chart
                key="disk"
                title="Disk (fullest mount)"
                unit=Unit::Percent
                series=vec![Series { label: "Disk", color: "#1f9d55", value: |p| p.disk_percentage }]
                points=points
                range=range
                moment=moment
                on_pick=on_pick
            />
            <Chart
                key="load"
                title="Load average"
                unit=Unit::Load
                series=vec![
                    Series { label: "1 min", color: "#d63a3a", value: |p| p.cpu_load_1min },
                    Series { label: "5 min", color: "#e8871e", value: |p| p.cpu_load_5min },
                    Series { label: "15 min", color: "#c9a400", value: |p| p.cpu_load_15min },
                ]
                points=points
                range=range
                moment=moment
                on_pick=on_pick
            />
            <Chart
                key="network"
                title="Network and sessions"
                unit=Unit::Count
                series=vec![
                    Series { label: "TCP connections", color: "#2f9fb0", value: |p| p.tcp_connections },
                    Series { label: "Logged-in users", color: "#8a9099", value: |p| p.logged_users },
                ]
                points=points
                range=range
                moment=moment
                on_pick=on_pick
            />
        </div>
        <AllFigures server=name.clone() range=range reload=reload moment=moment on_pick=on_pick />
        <div class="server-tables">
            <Sections name=name reload=reload at=at />
        </div>
    }
}

/// The card of the server, redrawn as its live updates arrive.
#[component]
fn StatusCardLive(server: RwSignal<fleetwatch_common::ServerInfo>, now: RwSignal<f64>) -> impl IntoView {
    move || server.try_get().map(|s| view! { <StatusCard server=s now=now /> })
}
