//! The dashboard: every server as a status card, refreshed every 30 s.
//!
//! State is kept in plain signals rather than a `LocalResource` under an `ErrorBoundary`: a failed
//! refresh must show its error *above the last good data*, not instead of it.

use std::time::Duration;

use fleetwatch_common::{ServerInfo, Status};
use leptos::logging::error;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{ApiError, Client};
use crate::components::status_card::StatusCard;
use crate::format::{ago, local_time, now_ms};

const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// How often "2 min ago" is brought up to date between refreshes.
const CLOCK_TICK: Duration = Duration::from_secs(10);

#[component]
pub fn Dashboard() -> impl IntoView {
    let client = Client::default();
    let servers = RwSignal::new(None::<Vec<ServerInfo>>);
    let failure = RwSignal::new(None::<ApiError>);
    let loading = RwSignal::new(false);
    let updated = RwSignal::new(None::<f64>);
    let now = RwSignal::new(now_ms());

    let refresh = move || {
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        spawn_local(async move {
            let result = client.servers().await;
            let t = now_ms();
            now.set(t);
            match result {
                Ok(list) => {
                    servers.set(Some(list));
                    updated.set(Some(t));
                    failure.set(None);
                }
                Err(e) => failure.set(Some(e)),
            }
            loading.set(false);
        });
    };
    refresh();
    every(REFRESH_EVERY, refresh);
    every(CLOCK_TICK, move || now.set(now_ms()));

    let totals = Memo::new(move |_| {
        servers.with(|list| {
            list.as_ref().map(|list| {
                let of = |s: Status| list.iter().filter(|i| i.status.status == s).count();
                Totals {
                    all: list.len(),
                    warning: of(Status::Warning),
                    critical: of(Status::Critical),
                    offline: of(Status::Offline),
                }
            })
        })
    });

    view! {
        <section class="summary">
            <div class="totals">
                {move || {
                    totals
                        .get()
                        .map(|t| {
                            view! {
                                <span class="total">
                                    <strong>{t.all}</strong>
                                    {if t.all == 1 { " server" } else { " servers" }}
                                </span>
                                <span class="total">
                                    <strong>{t.all - t.offline}</strong>
                                    " online"
                                </span>
                                {chip(t.critical, "critical")}
                                {chip(t.warning, "warning")}
                                {chip(t.offline, "offline")}
                            }
                        })
                }}
            </div>
            <div class="refresh">
                <span class="updated" title=move || updated.get().map(|t| ago(t, now.get()))>
                    {move || {
                        updated
                            .get()
                            .map(|t| format!("Updated {}", local_time(t, now.get())))
                    }}
                </span>
                <button
                    type="button"
                    on:click=move |_| refresh()
                    disabled=move || loading.get()
                    aria-busy=move || loading.get().to_string()
                >
                    {move || if loading.get() { "Refreshing…" } else { "Refresh" }}
                </button>
            </div>
        </section>
        {move || {
            failure
                .get()
                .map(|e| {
                    let kept = servers.with(Option::is_some);
                    view! {
                        <div class="error-banner" role="alert">
                            <strong>
                                {if kept { "Refresh failed: " } else { "Cannot load the servers: " }}
                            </strong>
                            {e.to_string()}
                            {kept.then_some(" (showing the last data received)")}
                        </div>
                    }
                })
        }}
        {move || match servers.get() {
            None if failure.with(Option::is_none) => {
                view! { <p class="placeholder">"Loading servers…"</p> }.into_any()
            }
            None => ().into_any(),
            Some(list) if list.is_empty() => {
                view! {
                    <p class="placeholder empty">
                        "No servers yet: add " <code>"[[servers]]"</code> " to "
                        <code>"fleetwatch.toml"</code>
                    </p>
                }
                    .into_any()
            }
            Some(list) => {
                view! {
                    <section class="grid">
                        {list
                            .into_iter()
                            .map(|server| view! { <StatusCard server=server now=now /> })
                            .collect_view()}
                    </section>
                }
                    .into_any()
            }
        }}
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Totals {
    all: usize,
    warning: usize,
    critical: usize,
    offline: usize,
}

/// A count of servers in one status, shown only when there are some.
fn chip(n: usize, status: &'static str) -> Option<impl IntoView> {
    (n > 0).then(|| view! { <span class=format!("chip status-{status}")>{n} " " {status}</span> })
}

/// Calls `f` every `period` while the page is mounted.
fn every(period: Duration, f: impl Fn() + 'static) {
    match set_interval_with_handle(f, period) {
        Ok(handle) => on_cleanup(move || handle.clear()),
        Err(e) => error!("cannot start a timer: {e:?}"),
    }
}
