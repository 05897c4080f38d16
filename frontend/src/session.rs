//! Before the app: ask the API whether login is needed (`/api/auth/me`), then show the setup
//! page (no user yet, login required), the login page, or the app with who is logged in.

use fleetwatch_common::auth::{AuthMode, AuthStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{ApiError, Client};
use crate::app::App;
use crate::pages::login::{LoginPage, SetupPage};

#[component]
pub fn Root() -> impl IntoView {
    let status = RwSignal::new(None::<Result<AuthStatus, ApiError>>);
    spawn_local(async move {
        status.set(Some(Client::default().auth_status().await));
    });
    let on_login = Callback::new(move |s: AuthStatus| status.set(Some(Ok(s))));
    move || match status.get() {
        None => view! { <p class="placeholder">"Loading…"</p> }.into_any(),
        Some(Err(e)) => view! {
            <div class="error-banner" role="alert">
                <strong>"Cannot reach the Fleetwatch server: "</strong>
                {e.to_string()}
            </div>
        }
        .into_any(),
        Some(Ok(s)) => match (s.auth, s.user.is_some()) {
            (AuthMode::Setup, _) => view! { <SetupPage on_done=on_login /> }.into_any(),
            (AuthMode::Required, false) => view! { <LoginPage on_done=on_login /> }.into_any(),
            _ => view! { <App session=s /> }.into_any(),
        },
    }
}

/// Ends the session and starts over at the login page.
pub fn logout() {
    spawn_local(async move {
        if let Err(e) = Client::default().logout().await {
            leptos::logging::warn!("logout failed: {e}");
        }
        if let Some(window) = web_sys::window()
            && let Err(e) = window.location().assign("/")
        {
            leptos::logging::warn!("cannot go to the start page: {e:?}");
        }
    });
}
