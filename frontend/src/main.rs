//! Entry point of the Fleetwatch dashboard: install the panic hook and mount the app.

mod api;
mod app;
mod components;
mod format;
mod pages;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
