//! Acknowledging a firing alert: stops its re-notification until it resolves. An optional
//! comment goes with it (the API logs it).
//!
//! Hooks for browser tests: `ack-form`, `ack-comment`, and the sheet's `sheet-submit`.

use leptos::prelude::*;

use crate::action;
use crate::alert_wire::AlertItem;
use crate::alerts::Alerts;
use crate::api::Client;
use crate::components::sheet::Sheet;

#[component]
pub fn AckForm(item: AlertItem, on_close: Callback<()>) -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let comment = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let (server, rule, instance) = item.key();
    let what =
        if instance.is_empty() { format!("{rule} on {server}") } else { format!("{rule} ({instance}) on {server}") };
    let title = format!("Acknowledge {what}");
    let submit = Callback::new(move |()| {
        let (s, r, i, c) = (server.clone(), rule.clone(), instance.clone(), comment.get_untracked());
        action::run(
            busy,
            (format!("Acknowledged {what}"), format!("Cannot acknowledge {what}")),
            async move { Client::default().acknowledge(&s, &r, &i, &c).await },
            move |()| {
                alerts.reload();
                on_close.run(());
            },
        );
    });
    view! {
        <Sheet title=title testid="ack-form" on_submit=submit on_close=on_close submit="Acknowledge" busy=busy>
            <p class="muted">"No more reminders until it resolves. It stays listed, marked acknowledged."</p>
            <label class="field">
                "Comment (optional)"
                <input
                    type="text"
                    data-testid="ack-comment"
                    maxlength="500"
                    placeholder="e.g. looking into it"
                    prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))
                />
            </label>
        </Sheet>
    }
}
