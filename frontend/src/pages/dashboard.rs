//! The Dashboard tab: a status card per server, filtered by tag and status and searched by name
//! (all three kept in the URL), with a refresh button. Cards follow the live updates one by one;
//! only those near the viewport are built (see [`Cards`]).
//!
//! Hooks for browser tests: `[data-testid=page-dashboard]`, `search`, `filter-tag`,
//! `filter-status`, `refresh`, `clear-filters`, `shown-count`, `server-grid` (the cards' grid).

use fleetwatch_common::Status;
use leptos::html;
use leptos::prelude::*;

use crate::components::filter_select::FilterSelect;
use crate::components::status_card::StatusCard;
use crate::fleet::{Filter, Fleet};
use crate::format::{ago, local_time};
use crate::live;
use crate::ordered_children::ordered_children;
use crate::query::Query;
use crate::toast::Toasts;
use crate::windowing;

/// How many grey cards hold the place of the real ones while the first load runs.
const SKELETONS: usize = 6;

#[component]
pub fn Dashboard() -> impl IntoView {
    let fleet = expect_context::<Fleet>();
    let toasts = expect_context::<Toasts>();
    let query = Query::new();
    let filter =
        Memo::new(move |_| Filter { query: query.get("q"), tag: query.get("tag"), status: query.get("status") });
    let visible = Memo::new(move |_| {
        let f = filter.get();
        let mut names = Vec::new();
        fleet.each(|s| {
            if f.matches(s) {
                names.push(s.name.clone());
            }
        });
        names
    });
    let totals = Memo::new(move |_| fleet.totals());
    let tags = Memo::new(move |_| fleet.tags());
    let now = fleet.now;

    let status_chip = move |n: usize, status: Status| {
        let word = status.as_str();
        (n > 0).then(|| {
            let active = move || query.get("status") == word;
            view! {
                <button
                    type="button"
                    class=format!("chip status-{word}")
                    aria-pressed=move || active().to_string()
                    title=move || if active() { "Show every status" } else { "Show only these" }
                    on:click=move |_| query.set(&[("status", if active() { "" } else { word })])
                >
                    {n}
                    " "
                    {word}
                </button>
            }
        })
    };

    view! {
        <section class="page" data-testid="page-dashboard">
            <h1 class="visually-hidden">"Dashboard"</h1>
            <div class="summary">
                <div class="totals">
                    {move || {
                        let t = totals.get();
                        fleet
                            .loaded()
                            .then(|| {
                                view! {
                                    <span class="total">
                                        <strong>{t.all}</strong>
                                        {if t.all == 1 { " server" } else { " servers" }}
                                    </span>
                                    <span class="total">
                                        <strong>{t.online()}</strong>
                                        " online"
                                    </span>
                                    {status_chip(t.critical, Status::Critical)}
                                    {status_chip(t.warning, Status::Warning)}
                                    {status_chip(t.offline, Status::Offline)}
                                }
                            })
                    }}
                </div>
                <div class="refresh">
                    <span
                        class="updated"
                        title=move || fleet.updated.get().map(|t| ago(t, now.get()))
                    >
                        {move || {
                            fleet
                                .updated
                                .get()
                                .map(|t| format!("Updated {}", local_time(t, now.get())))
                        }}
                    </span>
                    <button
                        type="button"
                        data-testid="refresh"
                        on:click=move |_| live::refresh(fleet, toasts, true)
                        disabled=move || fleet.loading.get()
                        aria-busy=move || fleet.loading.get().to_string()
                    >
                        {move || if fleet.loading.get() { "Refreshing…" } else { "Refresh" }}
                    </button>
                </div>
            </div>
            <div class="toolbar" role="search">
                <input
                    type="search"
                    data-testid="search"
                    placeholder="Search by name"
                    aria-label="Search servers by name or address"
                    prop:value=move || query.get("q")
                    on:input=move |ev| query.set_typed(&[("q", &event_target_value(&ev))])
                />
                <FilterSelect
                    label="Tag"
                    testid="filter-tag"
                    selected=Signal::derive(move || query.get("tag"))
                    choices=tags
                    on_pick=move |t: String| query.set(&[("tag", &t)])
                />
                <label>
                    "Status "
                    <select
                        data-testid="filter-status"
                        prop:value=move || query.get("status")
                        on:change=move |ev| query.set(&[("status", &event_target_value(&ev))])
                    >
                        <option value="">"all"</option>
                        {[Status::Healthy, Status::Warning, Status::Critical, Status::Offline]
                            .into_iter()
                            .map(|s| {
                                view! {
                                    <option
                                        value=s.as_str()
                                        selected=move || query.get("status") == s.as_str()
                                    >
                                        {s.as_str()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <span class="shown" data-testid="shown-count" aria-live="polite">
                    {move || {
                        let (shown, all) = (visible.with(Vec::len), totals.get().all);
                        (fleet.loaded() && shown != all).then(|| format!("{shown} of {all} shown"))
                    }}
                </span>
            </div>
            {move || failure_banner(fleet)}
            <Cards fleet=fleet visible=visible filter=filter query=query />
        </section>
    }
}

/// The error of the last load, above the last good data when there is some.
fn failure_banner(fleet: Fleet) -> Option<impl IntoView> {
    fleet.failure.get().map(|e| {
        let kept = fleet.loaded();
        view! {
            <div class="error-banner" role="alert">
                <strong>{if kept { "Refresh failed: " } else { "Cannot load the servers: " }}</strong>
                {e.to_string()}
                {kept.then_some(" (showing the last data received)")}
            </div>
        }
    })
}

/// The cards of the servers shown. Only those within a screen of the viewport are built
/// ([`windowing`]): five hundred servers cost as much as the few dozen cards near the screen, and
/// scrolling builds the next ones as they come near. Each built card follows its server's signal,
/// so a live update redraws that card alone.
#[component]
fn Cards(fleet: Fleet, visible: Memo<Vec<String>>, filter: Memo<Filter>, query: Query) -> impl IntoView {
    let now = fleet.now;
    let grid = NodeRef::<html::Section>::new();
    let window = windowing::use_window(grid, Signal::derive(move || visible.with(Vec::len)));
    let built = Memo::new(move |_| {
        let w = window.get();
        visible.with(|v| v.get(w.start.min(v.len())..w.end.min(v.len())).map(<[String]>::to_vec).unwrap_or_default())
    });
    // The cards follow the skeleton in the grid (which holds only one or the other).
    ordered_children(grid, built, move |name| {
        fleet
            .server(&name)
            .map(|server| move || server.try_get().map(|s| view! { <StatusCard server=s now=now /> }))
            .into_any()
    });
    let empty = move || {
        if !fleet.loaded() {
            return None;
        }
        if fleet.names().with(Vec::is_empty) {
            return Some(
                view! {
                    <p class="placeholder empty" data-testid="empty">
                        "No servers yet: add " <code>"[[servers]]"</code> " to "
                        <code>"fleetwatch.toml"</code> " (see " <code>"fleetwatch default-config"</code>
                        ") and restart."
                    </p>
                }
                .into_any(),
            );
        }
        (visible.with(Vec::is_empty) && !filter.with(Filter::is_empty)).then(|| {
            view! {
                <p class="placeholder empty" data-testid="empty">
                    "No server matches these filters. "
                    <button
                        type="button"
                        data-testid="clear-filters"
                        on:click=move |_| query.set(&[("q", ""), ("tag", ""), ("status", "")])
                    >
                        "Clear filters"
                    </button>
                </p>
            }
            .into_any()
        })
    };
    view! {
        {empty}
        // The skeleton sits in the same grid as the cards: nothing moves when they arrive, and the
        // grid is measured before the data comes.
        <section
            class="grid"
            node_ref=grid
            data-testid="server-grid"
            aria-label=move || if fleet.loaded() { "Servers" } else { "Loading servers" }
            aria-busy=move || (!fleet.loaded()).to_string()
            style:padding-top=move || format!("{:.1}px", window.get().pad_top)
            style:padding-bottom=move || format!("{:.1}px", window.get().pad_bottom)
        >
            {move || {
                (!fleet.loaded())
                    .then(|| {
                        (0..SKELETONS)
                            .map(|_| view! { <div class="server-card skeleton"></div> })
                            .collect_view()
                    })
            }}
        </section>
    }
}
