//! The page of one server (`/servers/:name`): its card, history charts over a chosen range (kept
//! in the URL: `?range=6h`, or `?range=custom&from=…&to=…` in the viewer's local time), and the
//! tables the API has for it.
//!
//! Hooks for browser tests: `[data-testid=page-server]`, `range-<key>` buttons with
//! `aria-pressed`, `chart-<key>`, `export-metrics`; the tables: see `server_sections`.

use std::time::Duration;

use fleetwatch_common::HistoryPoint;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{Client, metrics_export_url};
use crate::components::chart::{Chart, Series, Unit};
use crate::components::status_card::StatusCard;
use crate::fleet::Fleet;
use crate::format::{millis, now_ms};
use crate::pages::server_sections::Sections;
use crate::query::Query;
use crate::remote::Remote;
use crate::toast::Toasts;

/// Live news reloads the charts at most this often.
const RELOAD_GAP: Duration = Duration::from_secs(10);
const DEFAULT_RANGE: &str = "6h";
const HOUR_MS: f64 = 3_600_000.0;

/// The preset ranges: key and hours.
const RANGES: [(&str, f64); 6] =
    [("1h", 1.0), ("6h", 6.0), ("12h", 12.0), ("24h", 24.0), ("7d", 168.0), ("30d", 720.0)];

/// The time window the charts show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// The last so many hours, up to now.
    Last(f64),
    /// Fixed bounds, epoch ms.
    Between(f64, f64),
}

impl Window {
    /// From the query parameters; anything unreadable gives the default range.
    pub fn parse(range: &str, from: Option<f64>, to: Option<f64>) -> Self {
        if range == "custom"
            && let (Some(f), Some(t)) = (from, to)
            && f < t
        {
            return Self::Between(f, t);
        }
        let hours =
            RANGES.iter().find(|(k, _)| *k == range).or_else(|| RANGES.iter().find(|(k, _)| *k == DEFAULT_RANGE));
        Self::Last(hours.map_or(6.0, |(_, h)| *h))
    }

    /// `(from, to)` in epoch ms at `now`.
    pub fn bounds(self, now: f64) -> (f64, f64) {
        match self {
            Self::Last(h) => (now - h * HOUR_MS, now),
            Self::Between(f, t) => (f, t),
        }
    }
}

/// A `datetime-local` value (the viewer's time zone) as epoch ms.
fn parse_local(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(s)).get_time();
    (!ms.is_nan()).then_some(ms)
}

/// Epoch ms as a `datetime-local` value in the viewer's time zone.
fn to_local_input(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

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
    let toasts = expect_context::<Toasts>();
    let query = Query::new();
    let window = Memo::new(move |_| {
        Window::parse(&query.get("range"), parse_local(&query.get("from")), parse_local(&query.get("to")))
    });
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
    let current = move || match window.get() {
        Window::Between(..) => "custom".to_owned(),
        Window::Last(h) => RANGES.iter().find(|(_, x)| *x == h).map_or(DEFAULT_RANGE, |(k, _)| k).to_owned(),
    };
    let custom_open = RwSignal::new(query.get_untracked("range") == "custom");
    let draft_from = RwSignal::new(String::new());
    let draft_to = RwSignal::new(String::new());
    let open_custom = move |_| {
        let (f, t) = bounds.get_untracked();
        draft_from.set(to_local_input(f));
        draft_to.set(to_local_input(t));
        custom_open.update(|o| *o = !*o);
    };
    let apply_custom = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (f, t) = (draft_from.get_untracked(), draft_to.get_untracked());
        match (parse_local(&f), parse_local(&t)) {
            (Some(a), Some(b)) if a < b => query.set(&[("range", "custom"), ("from", &f), ("to", &t)]),
            _ => toasts.error("Pick a start before the end"),
        }
    };
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
                <div class="range" role="group" aria-label="Time range">
                    {RANGES
                        .iter()
                        .map(|(key, _)| {
                            let key = *key;
                            view! {
                                <button
                                    type="button"
                                    data-testid=format!("range-{key}")
                                    aria-pressed=move || (current() == key).to_string()
                                    on:click=move |_| {
                                        custom_open.set(false);
                                        query.set(&[("range", key), ("from", ""), ("to", "")])
                                    }
                                >
                                    {key}
                                </button>
                            }
                        })
                        .collect_view()}
                    <button
                        type="button"
                        data-testid="range-custom"
                        aria-pressed=move || (current() == "custom").to_string()
                        aria-expanded=move || custom_open.get().to_string()
                        on:click=open_custom
                    >
                        "Custom…"
                    </button>
                </div>
                <form class="custom-range" class:hidden=move || !custom_open.get() on:submit=apply_custom>
                    <label>
                        "From "
                        <input
                            type="datetime-local"
                            data-testid="range-from"
                            prop:value=move || draft_from.get()
                            on:input=move |ev| draft_from.set(event_target_value(&ev))
                        />
                    </label>
                    <label>
                        "To "
                        <input
                            type="datetime-local"
                            data-testid="range-to"
                            prop:value=move || draft_to.get()
                            on:input=move |ev| draft_to.set(event_target_value(&ev))
                        />
                    </label>
                    <button type="submit">"Show"</button>
                </form>
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
        {move || {
            history
                .error
                .get()
                .map(|e| {
                    view! {
                        <div class="error-banner" role="alert">
                            <strong>"Cannot load the history: "</strong>
                            {e.to_string()}
                        </div>
                    }
                })
        }}
        <div class="charts">
            <Chart
                key="cpu"
                title="CPU"
                unit=Unit::Percent
                series=vec![Series { label: "CPU", color: "#2f6fde", value: |p| p.cpu_percent }]
                points=points
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
            />
            <Chart
                key="disk"
                title="Disk (fullest mount)"
                unit=Unit::Percent
                series=vec![Series { label: "Disk", color: "#1f9d55", value: |p| p.disk_percentage }]
                points=points
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
            />
        </div>
        <div class="server-tables">
            <Sections name=name reload=reload />
        </div>
    }
}

/// The card of the server, redrawn as its live updates arrive.
#[component]
fn StatusCardLive(server: RwSignal<fleetwatch_common::ServerInfo>, now: RwSignal<f64>) -> impl IntoView {
    move || server.try_get().map(|s| view! { <StatusCard server=s now=now /> })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_from_the_query_with_a_default() {
        assert_eq!(Window::parse("7d", None, None), Window::Last(168.0));
        assert_eq!(Window::parse("", None, None), Window::Last(6.0));
        assert_eq!(Window::parse("bogus", None, None), Window::Last(6.0));
        assert_eq!(Window::parse("custom", Some(1.0), Some(2.0)), Window::Between(1.0, 2.0));
        assert_eq!(Window::parse("custom", Some(2.0), Some(1.0)), Window::Last(6.0), "backwards");
        assert_eq!(Window::Last(1.0).bounds(HOUR_MS * 5.0), (HOUR_MS * 4.0, HOUR_MS * 5.0));
    }
}
