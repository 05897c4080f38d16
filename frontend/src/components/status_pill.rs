//! The coloured word of a server's overall status.

use fleetwatch_common::Status;
use leptos::prelude::*;

#[component]
pub fn StatusPill(status: Status) -> impl IntoView {
    view! { <span class=format!("status-pill status-{}", status.as_str())>{status.as_str()}</span> }
}
