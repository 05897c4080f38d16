//! The login page, and the setup page that makes the first admin from the one-time link the
//! server logged (`/setup?token=…`).
//!
//! Hooks for browser tests: `login-form`, `login-name`, `login-password`, `login-submit`,
//! `login-error`; `setup-form`, `setup-name`, `setup-password`, `setup-submit`, `setup-error`.

use fleetwatch_common::auth::AuthStatus;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::Client;

#[component]
pub fn LoginPage(on_done: Callback<AuthStatus>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let (n, p) = (name.get_untracked(), password.get_untracked());
        spawn_local(async move {
            match Client::default().login(n.trim(), &p).await {
                Ok(status) => on_done.run(status),
                Err(e) => {
                    password.set(String::new());
                    error.set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <main class="login" id="main">
            <form class="login-card" data-testid="login-form" on:submit=submit>
                <h1>"Fleetwatch"</h1>
                <p class="muted">"Log in to see the fleet."</p>
                <label>
                    "Name"
                    <input
                        type="text"
                        autocomplete="username"
                        required
                        data-testid="login-name"
                        prop:value=name
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        autocomplete="current-password"
                        required
                        data-testid="login-password"
                        prop:value=password
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </label>
                {move || {
                    error
                        .get()
                        .map(|e| {
                            view! {
                                <p class="error-banner" role="alert" data-testid="login-error">
                                    {e}
                                </p>
                            }
                        })
                }}
                <button type="submit" class="button primary" data-testid="login-submit" disabled=busy>
                    "Log in"
                </button>
            </form>
        </main>
    }
}

/// The `token` of this page's query string.
fn setup_token() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
        .and_then(|p| p.get("token"))
        .unwrap_or_default()
}

#[component]
pub fn SetupPage(on_done: Callback<AuthStatus>) -> impl IntoView {
    let token = setup_token();
    let name = RwSignal::new(String::from("admin"));
    let password = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let has_token = !token.is_empty();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if password.get_untracked() != again.get_untracked() {
            error.set(Some("The two passwords differ.".into()));
            return;
        }
        busy.set(true);
        let (t, n, p) = (token.clone(), name.get_untracked(), password.get_untracked());
        spawn_local(async move {
            match Client::default().setup(&t, n.trim(), &p).await {
                Ok(status) => {
                    if let Some(w) = web_sys::window()
                        && let Err(e) = w
                            .history()
                            .and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/")))
                    {
                        leptos::logging::warn!("cannot drop the setup token from the address: {e:?}");
                    }
                    on_done.run(status)
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.try_set(false);
        });
    };
    view! {
        <main class="login" id="main">
            <form class="login-card" data-testid="setup-form" on:submit=submit>
                <h1>"Set up Fleetwatch"</h1>
                {if has_token {
                    view! { <p class="muted">"Create the first admin. This link works once."</p> }.into_any()
                } else {
                    view! {
                        <p class="error-banner" role="alert">
                            "No user exists yet. Open the setup link the server printed at start, or run "
                            <code>"fleetwatch user add NAME --role admin"</code>
                            " on the server."
                        </p>
                    }
                        .into_any()
                }}
                <label>
                    "Admin name"
                    <input
                        type="text"
                        autocomplete="username"
                        required
                        data-testid="setup-name"
                        prop:value=name
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Password (10 characters or more)"
                    <input
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength="10"
                        data-testid="setup-password"
                        prop:value=password
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Password again"
                    <input
                        type="password"
                        autocomplete="new-password"
                        required
                        data-testid="setup-again"
                        prop:value=again
                        on:input=move |ev| again.set(event_target_value(&ev))
                    />
                </label>
                {move || {
                    error
                        .get()
                        .map(|e| {
                            view! {
                                <p class="error-banner" role="alert" data-testid="setup-error">
                                    {e}
                                </p>
                            }
                        })
                }}
                <button type="submit" class="button primary" data-testid="setup-submit" disabled=move || busy.get() || !has_token>
                    "Create admin"
                </button>
            </form>
        </main>
    }
}
