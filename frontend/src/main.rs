//! Entry point of the Fleetwatch dashboard: install the panic hook and mount the app.
//! It talks to the server only through the JSON API (`api.rs`), with the wire types of `common`:
//! it never copies a DTO and holds no secret.

mod action;
mod alert_wire;
mod alerts;
mod api;
mod app;
mod components;
mod fleet;
mod format;
mod live;
mod ordered_children;
mod pages;
mod perf;
mod query;
mod remote;
mod series_groups;
mod session;
mod theme;
mod toast;
mod windowing;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(session::Root);
}
