//! The Alerts tab's main view: the pending and firing alerts, filtered by severity and server,
//! sorted by any column (all four in the URL), each firing one acknowledgeable, any of them
//! silenceable from its row.
//!
//! Hooks for browser tests: `alerts-severity`, `alerts-server`, `alerts-count`, `empty`; the
//! table: see `alerts_table`; the forms: see `ack_form` and `silence_form`.

use leptos::prelude::*;

use crate::alert_wire::{AlertItem, Cover};
use crate::alerts::Alerts;
use crate::components::ack_form::AckForm;
use crate::components::alerts_table::{AlertColumn, AlertRow, AlertsTable, RowActions, sort_alerts};
use crate::components::error_banner::ErrorBanner;
use crate::components::filter_select::FilterSelect;
use crate::components::silence_form::{Prefill, SilenceForm};
use crate::components::sort_header::Sort;
use crate::fleet::Fleet;
use crate::format::utc;
use crate::query::Query;

const SEVERITIES: [&str; 2] = ["warning", "critical"];

#[component]
pub fn CurrentAlerts(query: Query) -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let fleet = expect_context::<Fleet>();
    let severity = query.signal("severity");
    let server = query.signal("server");
    let sort = Sort::in_query(query, AlertColumn::Severity, &[]);

    // What the active silences made here cover (as of the ticking clock).
    let covers = Memo::new(move |_| {
        let now = utc(fleet.now.get());
        alerts.silences.data.with(|d| d.iter().flatten().filter_map(|s| s.cover_at(now)).collect::<Vec<Cover>>())
    });
    let rows = Memo::new(move |_| {
        let (sev, srv) = (severity.get(), server.get());
        let mut rows: Vec<AlertRow> = alerts.current.data.with(|d| {
            covers.with(|covers| {
                d.iter()
                    .flatten()
                    .filter(|a| {
                        (sev.is_empty() || a.alert.severity.as_str() == sev) && (srv.is_empty() || a.server == srv)
                    })
                    .map(|a| {
                        let tags =
                            fleet.server(&a.server).map(|s| s.with_untracked(|s| s.tags.clone())).unwrap_or_default();
                        let silenced_by =
                            covers.iter().find(|c| c.matches(&a.alert.rule, &a.server, &tags)).map(|c| c.id);
                        AlertRow { item: a.clone(), silenced_by }
                    })
                    .collect()
            })
        });
        sort_alerts(&mut rows, sort.column.get(), sort.descending.get());
        rows
    });
    let total = Memo::new(move |_| alerts.current.data.with(|d| d.as_ref().map(Vec::len)));

    let ack_for = RwSignal::new(None::<AlertItem>);
    let silence_for = RwSignal::new(None::<Prefill>);
    let actions = RowActions {
        acknowledge: Callback::new(move |a: AlertItem| ack_for.set(Some(a))),
        silence: Callback::new(move |a: AlertItem| {
            silence_for.set(Some(Prefill { servers: a.server, rules: a.alert.rule }));
        }),
    };
    let filtered = move || !severity.get().is_empty() || !server.get().is_empty();

    view! {
        <div class="toolbar" role="search">
            <FilterSelect
                label="Severity"
                testid="alerts-severity"
                selected=severity
                choices=Signal::derive(|| SEVERITIES.map(str::to_owned).to_vec())
                on_pick=move |s: String| query.set(&[("severity", &s)])
            />
            <FilterSelect
                label="Server"
                testid="alerts-server"
                selected=server
                choices=fleet.names()
                on_pick=move |s: String| query.set(&[("server", &s)])
            />
            <span class="shown" data-testid="alerts-count" aria-live="polite">
                {move || {
                    total
                        .get()
                        .map(|all| {
                            let shown = rows.with(Vec::len);
                            if shown == all {
                                format!("{all} {}", if all == 1 { "alert" } else { "alerts" })
                            } else {
                                format!("{shown} of {all} shown")
                            }
                        })
                }}
            </span>
        </div>
        <ErrorBanner error=alerts.current.error what="Cannot load the alerts" />
        <AlertsTable rows=rows sort=sort actions=actions now=fleet.now />
        {move || match total.get() {
            None => Some(view! { <p class="placeholder">"Loading alerts…"</p> }.into_any()),
            Some(0) => {
                Some(
                    view! {
                        <p class="placeholder empty" data-testid="empty">
                            "No alerts: nothing is firing or pending."
                        </p>
                    }
                        .into_any(),
                )
            }
            Some(_) if rows.with(Vec::is_empty) && filtered() => {
                Some(
                    view! {
                        <p class="placeholder empty" data-testid="empty">
                            "No alert matches these filters. "
                            <button
                                type="button"
                                data-testid="clear-filters"
                                on:click=move |_| query.set(&[("severity", ""), ("server", "")])
                            >
                                "Clear filters"
                            </button>
                        </p>
                    }
                        .into_any(),
                )
            }
            Some(_) => None,
        }}
        {move || {
            ack_for
                .get()
                .map(|item| view! { <AckForm item=item on_close=Callback::new(move |()| ack_for.set(None)) /> })
        }}
        {move || {
            silence_for
                .get()
                .map(|prefill| {
                    view! { <SilenceForm prefill=prefill on_close=Callback::new(move |()| silence_for.set(None)) /> }
                })
        }}
    }
}
