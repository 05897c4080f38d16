//! The count of firing alerts: on the Alerts tab (the whole fleet) and on a server's card. Red
//! when one of them is critical, amber otherwise; nothing when none fires.
//!
//! Hooks for browser tests: `alerts-badge` (the tab's) and `card-alerts` (a card's), both with
//! `data-count` and `data-severity` (the worst).

use leptos::prelude::*;

use crate::alerts::{Alerts, Summary};
use crate::api::query;

fn words(s: Summary) -> String {
    let worst = s.worst.map_or("", |w| w.as_str());
    format!("{} firing {} (worst: {worst})", s.firing, if s.firing == 1 { "alert" } else { "alerts" })
}

/// After the tab's name.
#[component]
pub fn TabBadge() -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let summary = Memo::new(move |_| alerts.summary());
    move || {
        let s = summary.get();
        (s.firing > 0).then(|| {
            let severity = s.worst.map_or("warning", |w| w.as_str());
            view! {
                <span
                    class=format!("alert-count status-{severity}")
                    data-testid="alerts-badge"
                    data-count=s.firing
                    data-severity=severity
                    title=words(s)
                    aria-label=words(s)
                >
                    {s.firing}
                </span>
            }
        })
    }
}

/// On a server's card: its firing alerts' count and worst severity, linking to them.
#[component]
pub fn CardBadge(server: String) -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let name = server.clone();
    let summary = Memo::new(move |_| alerts.summary_of(&name));
    let href = format!("/alerts{}", query(&[("server", &server)]));
    move || {
        let s = summary.get();
        (s.firing > 0).then(|| {
            let severity = s.worst.map_or("warning", |w| w.as_str());
            view! {
                // One Tab stop per card (its name) keeps the keyboard quick over a long fleet;
                // the server's page lists its alerts.
                <a
                    class=format!("chip card-alerts status-{severity}")
                    href=href.clone()
                    tabindex="-1"
                    data-testid="card-alerts"
                    data-count=s.firing
                    data-severity=severity
                    title=words(s)
                    aria-label=words(s)
                >
                    <span aria-hidden="true">"⚠ "</span>
                    {format!("{} {}", s.firing, if s.firing == 1 { "alert" } else { "alerts" })}
                </a>
            }
        })
    }
}
