//! The Overview tab: totals and fleet averages, the servers working hardest, the current
//! alerts, and the fleet's top users. Totals and alerts come from `/api/system/overview`, asked
//! again when live news arrives; the top servers follow the live data directly.
//!
//! Hooks for browser tests: `[data-testid=page-overview]`, `.stat[data-stat]`, `alerts`,
//! `top-servers-cpu|ram|disk`, `overview-users`.

use std::time::Duration;

use fleetwatch_common::{AlertKind, Sample, ServerInfo, Status};
use leptos::prelude::*;

use crate::api::{Client, server_href};
use crate::components::error_banner::ErrorBanner;
use crate::components::users_table::UsersTable;
use crate::fleet::Fleet;
use crate::format::percent;
use crate::remote::{Remote, on_fleet_news};

const TOP_SERVERS: usize = 5;
const TOP_USERS: u32 = 10;
/// The overview is asked again at most this often while live updates pour in.
const REFETCH_GAP: Duration = Duration::from_secs(5);

#[component]
pub fn Overview() -> impl IntoView {
    let fleet = expect_context::<Fleet>();
    let overview = Remote::new();
    let users = Remote::new();
    on_fleet_news(fleet, REFETCH_GAP, move || {
        overview.load(async { Client::default().overview().await });
        users.load(async { Client::default().top_users("", "", TOP_USERS).await });
    });

    let stat = move |key: &'static str, label: &'static str, value: Box<dyn Fn() -> String + Send + Sync>| {
        view! {
            <div class="stat" data-stat=key>
                <span class="stat-value">{value}</span>
                <span class="stat-label">{label}</span>
            </div>
        }
    };
    let ov = overview.data;
    let get = move |f: fn(&fleetwatch_common::Overview) -> String| {
        Box::new(move || ov.with(|o| o.as_ref().map_or_else(|| "…".to_owned(), f)))
            as Box<dyn Fn() -> String + Send + Sync>
    };

    view! {
        <section class="page" data-testid="page-overview">
            <h1 class="page-title">"Overview"</h1>
            <ErrorBanner error=overview.error what="Cannot load the overview" />
            <div class="stats">
                {stat("servers", "servers", get(|o| o.total_servers.to_string()))}
                {stat("online", "online", get(|o| o.online_servers.to_string()))}
                {stat("offline", "offline", get(|o| o.offline_servers.to_string()))}
                {stat("users", "users", get(|o| o.total_users.to_string()))}
                {stat("avg-cpu", "average CPU", get(|o| percent(o.avg_cpu)))}
                {stat("avg-ram", "average RAM", get(|o| percent(o.avg_ram)))}
                {stat("avg-disk", "average disk", get(|o| percent(o.avg_disk)))}
            </div>
            <div class="panels">
                <TopServers fleet=fleet what="CPU" key="cpu" value=|s| s.cpu_percent />
                <TopServers fleet=fleet what="RAM" key="ram" value=|s| s.ram_percentage />
                <TopServers fleet=fleet what="disk" key="disk" value=|s| s.disk_percentage />
                <section class="panel" data-testid="alerts">
                    <h2>"Alerts"</h2>
                    {move || {
                        ov.with(|o| {
                            let Some(o) = o else {
                                return view! { <p class="muted">"Loading…"</p> }.into_any();
                            };
                            if o.alerts.is_empty() {
                                return view! {
                                    <p class="muted">"No alerts: every server is within its thresholds."</p>
                                }
                                    .into_any();
                            }
                            view! {
                                <ul class="alerts">
                                    {o
                                        .alerts
                                        .iter()
                                        .map(|a| {
                                            let kind = match a.kind {
                                                AlertKind::Warning => "warning",
                                                AlertKind::Critical => "critical",
                                                AlertKind::Offline => "offline",
                                            };
                                            view! {
                                                <li class=format!("alert status-{kind}") data-server=a.server.clone()>
                                                    <span class="status-pill">{kind}</span>
                                                    <a href=server_href(&a.server)>{a.server.clone()}</a>
                                                    <span class="alert-message">{a.message.clone()}</span>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        })
                    }}
                </section>
            </div>
            <section class="panel wide" data-testid="overview-users">
                <h2>
                    "Top users " <a class="panel-link" href="/users">
                        "all users →"
                    </a>
                </h2>
                <UsersTable rows=Signal::derive(move || users.data.get().unwrap_or_default()) sortable=false />
                {move || {
                    users
                        .error
                        .get()
                        .map(|e| view! { <p class="error-text">"Cannot load the top users: " {e.to_string()}</p> })
                }}
            </section>
        </section>
    }
}

/// The servers highest on one figure, live. Offline servers are left out: their figures are old.
#[component]
fn TopServers(fleet: Fleet, what: &'static str, key: &'static str, value: fn(&Sample) -> Option<f64>) -> impl IntoView {
    let top = Memo::new(move |_| {
        let mut rows: Vec<(String, f64, Status)> = Vec::new();
        fleet.each(|s: &ServerInfo| {
            if s.status.status != Status::Offline
                && let Some(v) = s.latest.as_ref().and_then(value)
            {
                rows.push((s.name.clone(), v, s.status.status));
            }
        });
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(TOP_SERVERS);
        rows
    });
    view! {
        <section class="panel" data-testid=format!("top-servers-{key}")>
            <h2>{format!("Top servers by {what}")}</h2>
            {move || {
                let rows = top.get();
                if rows.is_empty() {
                    return view! {
                        <p class="muted">"No figures yet: servers appear here once collected."</p>
                    }
                        .into_any();
                }
                view! {
                    <ol class="bars">
                        {rows
                            .into_iter()
                            .map(|(name, v, status)| {
                                view! {
                                    <li class=format!("status-{}", status.as_str())>
                                        <a href=server_href(&name)>{name.clone()}</a>
                                        <span class="bar" aria-hidden="true">
                                            <span style=format!("width:{:.1}%", v.clamp(0.0, 100.0))></span>
                                        </span>
                                        <span class="bar-value">{percent(Some(v))}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}
