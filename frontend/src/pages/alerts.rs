//! The Alerts tab (`/alerts`): the pending and firing alerts (`?view=` absent), their history
//! (`?view=history`) and the silences (`?view=silences`), each view's filters in the query
//! string too. A channel whose last delivery failed shows as a warning above every view.
//!
//! Hooks for browser tests: `[data-testid=page-alerts]`, `view-<current|history|silences>`
//! links with `aria-current`, `channel-warning`; the views: see `alerts_current`,
//! `alerts_history`, `alerts_silences`.

use leptos::prelude::*;

use crate::alert_wire::SilencePhase;
use crate::alerts::Alerts;
use crate::api::query as query_string;
use crate::components::when::When;
use crate::fleet::Fleet;
use crate::format::{millis, utc};
use crate::pages::alerts_current::CurrentAlerts;
use crate::pages::alerts_history::AlertHistory;
use crate::pages::alerts_silences::Silences;
use crate::query::Query;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubView {
    Current,
    History,
    Silences,
}

impl SubView {
    const ALL: [Self; 3] = [Self::Current, Self::History, Self::Silences];

    fn parse(key: &str) -> Self {
        match key {
            "history" => Self::History,
            "silences" => Self::Silences,
            _ => Self::Current,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::History => "history",
            Self::Silences => "silences",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Current => "Current",
            Self::History => "History",
            Self::Silences => "Silences",
        }
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let fleet = expect_context::<Fleet>();
    let query = Query::new();
    let shown = Memo::new(move |_| SubView::parse(&query.get("view")));
    // Opening the tab shows fresh data.
    alerts.reload();

    let link = move |v: SubView| {
        // The server filter goes along from view to view.
        let href = move || {
            let view = if v == SubView::Current { "" } else { v.key() };
            format!("/alerts{}", query_string(&[("view", view), ("server", &query.get("server"))]))
        };
        let count = move || match v {
            SubView::Current => {
                let s = alerts.summary();
                Some(s.firing + s.pending)
            }
            SubView::Silences => {
                let now = utc(fleet.now.get());
                alerts
                    .silences
                    .data
                    .with(|d| d.as_ref().map(|d| d.iter().filter(|s| s.phase(now) != SilencePhase::Expired).count()))
            }
            SubView::History => None,
        };
        view! {
            <a
                href=href
                data-testid=format!("view-{}", v.key())
                aria-current=move || (shown.get() == v).then_some("page")
            >
                {v.title()}
                {move || count().map(|n| view! { <span class="subtab-count">{n}</span> })}
            </a>
        }
    };

    view! {
        <section class="page" data-testid="page-alerts">
            <div class="page-head">
                <h1 class="page-title">"Alerts"</h1>
                <nav class="subtabs" aria-label="Alert views">
                    {SubView::ALL.into_iter().map(link).collect_view()}
                </nav>
            </div>
            <ChannelWarning />
            {move || match shown.get() {
                SubView::Current => view! { <CurrentAlerts query=query /> }.into_any(),
                SubView::History => view! { <AlertHistory query=query /> }.into_any(),
                SubView::Silences => view! { <Silences query=query /> }.into_any(),
            }}
        </section>
    }
}

/// The channels whose last delivery failed: messages are not reaching people.
#[component]
fn ChannelWarning() -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let now = expect_context::<Fleet>().now;
    let failing = Memo::new(move |_| alerts.failing_channels());
    move || {
        let list = failing.get();
        (!list.is_empty()).then(|| {
            let items = list
                .into_iter()
                .map(|c| {
                    let at = millis(&c.at);
                    let hook = c.name.clone();
                    view! {
                        <li data-channel=hook>
                            <strong>{c.name}</strong>
                            ": "
                            {c.error.unwrap_or_else(|| "delivery failed".to_owned())}
                            " (last try "
                            <When ms=at now=now />
                            ")"
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="warning-banner" role="alert" data-testid="channel-warning">
                    <strong>"Notifications are failing: "</strong>
                    "these channels could not deliver their last message; Fleetwatch retries with backoff."
                    <ul>{items}</ul>
                </div>
            }
        })
    }
}
