//! The application shell: the top bar with its tabs, and the route table.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::pages::dashboard::Dashboard;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="topbar">
                <span class="brand">"Fleetwatch"</span>
                <nav class="tabs">
                    <A href="/" exact=true>
                        "Dashboard"
                    </A>
                </nav>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="placeholder">"No such page."</p> }>
                    <Route path=path!("/") view=Dashboard />
                </Routes>
            </main>
        </Router>
    }
}
