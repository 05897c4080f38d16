//! The "Tag" filter of the Dashboard and Users tabs: every tag of the fleet, plus "all".

use leptos::prelude::*;

/// A `<select>` of the fleet's tags; `on_pick` gets the chosen tag ("" for all).
#[component]
pub fn TagSelect(
    /// The `data-testid` of the `<select>`, for browser tests.
    testid: &'static str,
    /// The tag chosen now ("" for all).
    #[prop(into)]
    selected: Signal<String>,
    /// Every tag of the fleet, sorted.
    #[prop(into)]
    tags: Signal<Vec<String>>,
    on_pick: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label>
            "Tag "
            <select
                data-testid=testid
                prop:value=move || selected.get()
                on:change=move |ev| on_pick(event_target_value(&ev))
            >
                <option value="">"all"</option>
                {move || {
                    let chosen = selected.get();
                    tags.get()
                        .into_iter()
                        .map(|t| {
                            let sel = t == chosen;
                            view! {
                                <option value=t.clone() selected=sel>
                                    {t.clone()}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
