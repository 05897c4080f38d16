//! A filter of a list page: a `<select>` of the choices there are (the fleet's tags, its
//! servers), plus "all".

use leptos::prelude::*;

/// `on_pick` gets the chosen value ("" for all). Not generic: one copy of its code serves every
/// filter.
#[component]
pub fn FilterSelect(
    /// The words before it: `Tag`, `Server`.
    label: &'static str,
    /// The `data-testid` of the `<select>`, for browser tests.
    testid: &'static str,
    /// The value chosen now ("" for all).
    #[prop(into)]
    selected: Signal<String>,
    /// Every choice, sorted.
    #[prop(into)]
    choices: Signal<Vec<String>>,
    #[prop(into)] on_pick: Callback<String>,
) -> impl IntoView {
    view! {
        <label>
            {label}
            " "
            <select
                data-testid=testid
                prop:value=move || selected.get()
                on:change=move |ev| on_pick.run(event_target_value(&ev))
            >
                <option value="">"all"</option>
                {move || {
                    let chosen = selected.get();
                    choices
                        .get()
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
