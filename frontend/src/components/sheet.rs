//! A small form over the page (acknowledge, silence): a panel on a dimmed backdrop, closed by
//! its Cancel button, Escape or a click on the backdrop. On a phone it spans the screen's width.

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Sheet(
    title: String,
    /// `data-testid` of the form.
    testid: &'static str,
    on_submit: Callback<()>,
    on_close: Callback<()>,
    /// The submit button's words, and whether a request is under way.
    submit: &'static str,
    busy: RwSignal<bool>,
    children: Children,
) -> impl IntoView {
    let form = NodeRef::<html::Form>::new();
    let label = title.clone();
    // The first field gets the focus, so the keyboard can go on at once.
    Effect::new(move |_| {
        if let Some(f) = form.get()
            && let Ok(Some(first)) = f.query_selector("input, textarea, select")
            && let Some(el) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&first)
            && let Err(e) = el.focus()
        {
            leptos::logging::warn!("cannot focus the form: {e:?}");
        }
    });
    view! {
        <div class="sheet-backdrop" on:click=move |_| on_close.run(())>
            <form
                class="sheet"
                role="dialog"
                aria-modal="true"
                aria-label=label
                data-testid=testid
                node_ref=form
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        on_close.run(());
                    }
                }
                on:submit=move |ev| {
                    ev.prevent_default();
                    on_submit.run(());
                }
            >
                <h2>{title}</h2>
                {children()}
                <div class="sheet-buttons">
                    <button type="button" data-testid="sheet-cancel" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button
                        type="submit"
                        class="primary"
                        data-testid="sheet-submit"
                        disabled=move || busy.get()
                        aria-busy=move || busy.get().to_string()
                    >
                        {submit}
                    </button>
                </div>
            </form>
        </div>
    }
}
