//! A past time both ways: how long ago (kept true by the ticking clock) and the local time.

use leptos::prelude::*;

use crate::api::iso;
use crate::format::{ago, local_time};

/// `5 min ago · 14:03:12` (the date too when not today); `ms` is epoch ms.
#[component]
pub fn When(
    ms: f64,
    /// The browser's clock in ms, ticking.
    #[prop(into)]
    now: Signal<f64>,
) -> impl IntoView {
    view! {
        <time class="when" datetime=iso(ms) title=move || local_time(ms, now.get())>
            {move || ago(ms, now.get())}
            <span class="when-abs">{move || format!(" · {}", local_time(ms, now.get()))}</span>
        </time>
    }
}
