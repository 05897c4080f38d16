//! The application shell: the top bar with its tabs, the connection indicator and the theme
//! toggle, the toasts, and the route table. Each tab is a route, so a view can be bookmarked.

use fleetwatch_common::auth::{AuthMode, AuthStatus, Role};
use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::alerts::Alerts;
use crate::components::alert_badge::TabBadge;
use crate::fleet::{Fleet, Link};
use crate::format::{local_time, now_ms};
use crate::live;
use crate::pages::alerts::AlertsPage;
use crate::pages::compare::Compare;
use crate::pages::dashboard::Dashboard;
use crate::pages::overview::Overview;
use crate::pages::server::ServerPage;
use crate::pages::settings::Settings;
use crate::pages::user::UserPage;
use crate::pages::users::Users;
use crate::session;
use crate::theme::ThemeToggle;
use crate::toast::{ToastHost, Toasts};

#[component]
pub fn App(session: AuthStatus) -> impl IntoView {
    let admin = session.auth == AuthMode::Open || session.user.as_ref().is_some_and(|u| u.role == Role::Admin);
    let user = session.user.clone().filter(|u| u.via == "session");
    let open = session.auth == AuthMode::Open;
    let fleet = Fleet::new(now_ms());
    let toasts = Toasts::new();
    let alerts = Alerts::new();
    provide_context(fleet);
    provide_context(toasts);
    provide_context(alerts);
    live::start(fleet, alerts, toasts);
    alerts.start(fleet, toasts);

    view! {
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            {open
                .then(|| {
                    view! {
                        <div class="open-banner" role="status" data-testid="open-banner">
                            "Open access: no login is asked on this loopback-only address, so anyone who can reach it sees and changes everything. Add a user ("
                            <code>"fleetwatch user add NAME --role admin"</code>
                            ") to require one."
                        </div>
                    }
                })}
            <header class="topbar">
                <A href="/" attr:class="brand">
                    "Fleetwatch"
                </A>
                <Tabs admin=admin />
                <div class="topbar-end">
                    <LiveIndicator fleet=fleet />
                    {user
                        .map(|u| {
                            view! {
                                <span class="who" data-testid="who" title=format!("Logged in as {} ({})", u.name, u.role)>
                                    {u.name.clone()}
                                </span>
                                <button type="button" class="button" data-testid="logout" on:click=move |_| session::logout()>
                                    "Log out"
                                </button>
                            }
                        })}
                    <ThemeToggle />
                </div>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=|| {
                    view! {
                        <p class="placeholder" data-testid="not-found">
                            "No such page. "
                            <a href="/">"Back to the dashboard"</a>
                        </p>
                    }
                }>
                    <Route path=path!("/") view=Dashboard />
                    <Route path=path!("/overview") view=Overview />
                    <Route path=path!("/users") view=Users />
                    <Route path=path!("/users/:name") view=UserPage />
                    <Route path=path!("/compare") view=Compare />
                    <Route path=path!("/alerts") view=AlertsPage />
                    <Route path=path!("/servers/:name") view=ServerPage />
                    <Route path=path!("/settings") view=Settings />
                </Routes>
            </main>
            <footer class="page-footer">
                {move || fleet.version.get().map(|v| format!("Fleetwatch {v}"))}
            </footer>
            <ToastHost toasts=toasts />
        </Router>
    }
}

/// The tabs; a server's page gets a tab of its own while it is open.
#[component]
fn Tabs(admin: bool) -> impl IntoView {
    let location = use_location();
    let server_tab = move || {
        let path = location.pathname.get();
        path.strip_prefix("/servers/").filter(|n| !n.is_empty()).map(|encoded| {
            let name = js_sys::decode_uri_component(encoded).ok().and_then(|s| s.as_string()).unwrap_or_default();
            view! {
                <A href=path.clone() attr:data-testid="tab-server">
                    {name}
                </A>
            }
        })
    };
    view! {
        <nav class="tabs" aria-label="Tabs">
            <A href="/" exact=true attr:data-testid="tab-dashboard">
                "Dashboard"
            </A>
            <A href="/overview" attr:data-testid="tab-overview">
                "Overview"
            </A>
            <A href="/users" attr:data-testid="tab-users">
                "Users"
            </A>
            <A href="/compare" attr:data-testid="tab-compare">
                "Compare"
            </A>
            <A href="/alerts" attr:data-testid="tab-alerts">
                "Alerts"
                <TabBadge />
            </A>
            {admin
                .then(|| {
                    view! {
                        <A href="/settings" attr:data-testid="tab-settings">
                            "Settings"
                        </A>
                    }
                })}
            {server_tab}
        </nav>
    }
}

/// A dot and a word saying how fresh the page is: live, polling, paused, connecting.
#[component]
fn LiveIndicator(fleet: Fleet) -> impl IntoView {
    let state = move || fleet.link.get();
    let title = move || {
        let updated = fleet
            .updated
            .get()
            .map(|t| format!(" Last data at {}.", local_time(t, fleet.now.get())))
            .unwrap_or_default();
        let what = match state() {
            Link::Live => "Live: updates arrive as servers are collected.".to_owned(),
            Link::Polling => format!("Live updates unavailable: checking every {} s.", fleet.refresh_secs.get()),
            Link::Paused => "Paused while this tab is hidden.".to_owned(),
            Link::Connecting => "Connecting to live updates…".to_owned(),
        };
        format!("{what}{updated}")
    };
    view! {
        <span
            class=move || format!("live-indicator live-{}", state().as_str())
            data-testid="live-indicator"
            data-state=move || state().as_str()
            title=title
            role="status"
        >
            <span class="live-dot" aria-hidden="true"></span>
            <span class="live-word">
                {move || match state() {
                    Link::Live => "Live",
                    Link::Polling => "Polling",
                    Link::Paused => "Paused",
                    Link::Connecting => "Connecting",
                }}
            </span>
        </span>
    }
}
