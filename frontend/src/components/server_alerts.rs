//! A server's pending and firing alerts on its page, worst first, linking to the Alerts tab
//! filtered by the server (where they can be acknowledged and silenced).
//!
//! Hooks for browser tests: `server-alerts`, items `li[data-testid=server-alert]` with
//! `data-rule`, `data-state` and `data-severity`.

use leptos::prelude::*;

use crate::alerts::Alerts;
use crate::api::query;
use crate::components::when::When;
use crate::format::{figure, millis};

#[component]
pub fn ServerAlerts(server: String) -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let now = expect_context::<crate::fleet::Fleet>().now;
    let name = server.clone();
    let mine = Memo::new(move |_| {
        let mut list: Vec<_> =
            alerts.current.data.with(|d| d.iter().flatten().filter(|a| a.server == name).cloned().collect());
        list.sort_by(|a, b| {
            (b.is_firing(), b.alert.severity)
                .cmp(&(a.is_firing(), a.alert.severity))
                .then_with(|| a.key().cmp(&b.key()))
        });
        list
    });
    let href = format!("/alerts{}", query(&[("server", &server)]));
    view! {
        <section class="panel server-alerts" data-testid="server-alerts" aria-label="Alerts of this server">
            <h2>
                "Alerts" <a class="panel-link" href=href>
                    "acknowledge, silence, history →"
                </a>
            </h2>
            {move || {
                let list = mine.get();
                if list.is_empty() {
                    let loaded = alerts.current.data.with(Option::is_some);
                    return view! {
                        <p class="muted">{if loaded { "Nothing firing or pending." } else { "Loading…" }}</p>
                    }
                        .into_any();
                }
                let items = list
                    .into_iter()
                    .map(|a| {
                        let severity = a.alert.severity.as_str();
                        let state = if a.is_firing() { "firing" } else { "pending" };
                        let since = millis(&a.alert.firing_since.unwrap_or(a.alert.since));
                        let acked = a.alert.acknowledged.as_ref().map(|k| format!("acknowledged by {}", k.by));
                        view! {
                            <li
                                class="alert"
                                data-testid="server-alert"
                                data-rule=a.alert.rule.clone()
                                data-state=state
                                data-severity=severity
                            >
                                <span class=format!("status-pill status-{severity}")>{severity}</span>
                                <strong class="mono">{a.alert.rule.clone()}</strong>
                                {(!a.alert.instance.is_empty()).then(|| view! { <span class="mono">{a.alert.instance.clone()}</span> })}
                                <span>{state} " · " {figure(a.alert.value)}</span>
                                <span class="alert-message">
                                    "since " <When ms=since now=now />
                                </span>
                                {acked.map(|t| view! { <span class="muted">{t}</span> })}
                                {a.alert.detail.clone().map(|d| view! { <span class="alert-message">{d}</span> })}
                            </li>
                        }
                    })
                    .collect_view();
                view! { <ul class="alerts">{items}</ul> }.into_any()
            }}
        </section>
    }
}
