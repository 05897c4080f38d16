//! The error of a view's last load, above what it still shows (the last good answer, if any).

use leptos::prelude::*;

use crate::api::ApiError;

/// `what` leads the message: `Cannot load the users`.
#[component]
pub fn ErrorBanner(error: RwSignal<Option<ApiError>>, what: &'static str) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <div class="error-banner" role="alert">
                    <strong>{what} ": "</strong>
                    {e.to_string()}
                </div>
            }
        })
    }
}
