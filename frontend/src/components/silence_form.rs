//! Making a silence: which alerts (server and rule globs, tags), for how long (1 h, 4 h, 1 day,
//! or until a chosen time), and why. Opened from an alert's row it is filled in with that
//! alert's server and rule. A silenced alert is still recorded and shown, only not notified.
//!
//! Hooks for browser tests: `silence-form`, `silence-servers`, `silence-rules`, `silence-tags`,
//! `silence-for-<1h|4h|1d|custom>` (with `aria-pressed`), `silence-until`, `silence-comment`,
//! and the sheet's `sheet-submit`.

use fleetwatch_alerts::SilenceSpec;
use leptos::prelude::*;

use crate::action;
use crate::alerts::Alerts;
use crate::api::Client;
use crate::components::range_picker::{parse_local, to_local_input};
use crate::components::sheet::Sheet;
use crate::format::{now_ms, utc};
use crate::toast::Toasts;

/// The preset lengths: key, words, seconds.
const PRESETS: [(&str, &str, f64); 3] =
    [("1h", "1 hour", 3_600.0), ("4h", "4 hours", 14_400.0), ("1d", "1 day", 86_400.0)];
const CUSTOM: &str = "custom";

/// A comma-separated list, trimmed, without empty entries.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// The silence the form describes, from now until `end_ms`.
pub fn spec(servers: &str, rules: &str, tags: &str, end_ms: f64, comment: &str) -> SilenceSpec {
    SilenceSpec {
        servers: split_list(servers),
        rules: split_list(rules),
        tags: split_list(tags),
        end: Some(utc(end_ms)),
        comment: comment.trim().to_owned(),
        ..SilenceSpec::default()
    }
}

/// What the form starts with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prefill {
    pub servers: String,
    pub rules: String,
}

#[component]
pub fn SilenceForm(prefill: Prefill, on_close: Callback<()>) -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let toasts = expect_context::<Toasts>();
    let servers = RwSignal::new(prefill.servers);
    let rules = RwSignal::new(prefill.rules);
    let tags = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let length = RwSignal::new(PRESETS[0].0);
    let until = RwSignal::new(String::new());
    let busy = RwSignal::new(false);

    let end_ms = move || match PRESETS.iter().find(|(k, _, _)| *k == length.get_untracked()) {
        Some((_, _, secs)) => Some(now_ms() + secs * 1000.0),
        None => parse_local(&until.get_untracked()).filter(|t| *t > now_ms()),
    };
    let submit = Callback::new(move |()| {
        let Some(end) = end_ms() else {
            toasts.error("Pick an end in the future for the silence");
            return;
        };
        let silence = spec(
            &servers.get_untracked(),
            &rules.get_untracked(),
            &tags.get_untracked(),
            end,
            &comment.get_untracked(),
        );
        action::run(
            busy,
            ("Silence created".to_owned(), "Cannot create the silence".to_owned()),
            async move { Client::default().create_silence(&silence).await },
            move |_| {
                alerts.reload();
                on_close.run(());
            },
        );
    });
    let preset = move |key: &'static str, words: &'static str| {
        view! {
            <button
                type="button"
                data-testid=format!("silence-for-{key}")
                aria-pressed=move || (length.get() == key).to_string()
                on:click=move |_| {
                    if key == CUSTOM && until.get_untracked().is_empty() {
                        until.set(to_local_input(now_ms() + 2.0 * 3_600_000.0));
                    }
                    length.set(key);
                }
            >
                {words}
            </button>
        }
    };
    let text_field = move |label: &'static str, testid: &'static str, hint: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field">
                {label}
                <input
                    type="text"
                    data-testid=testid
                    placeholder=hint
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <Sheet
            title="New silence".to_owned()
            testid="silence-form"
            on_submit=submit
            on_close=on_close
            submit="Silence"
            busy=busy
        >
            <p class="muted">
                "Matching alerts are still recorded and shown; only their notifications are held back."
            </p>
            {text_field("Servers", "silence-servers", "names or globs, comma-separated: web-*, db-1", servers)}
            {text_field("Rules", "silence-rules", "rule names or globs: disk-*", rules)}
            {text_field("Tags (optional)", "silence-tags", "the server carries one of: prod, web", tags)}
            <fieldset class="field">
                <legend>"For"</legend>
                <div class="range" role="group" aria-label="How long">
                    {PRESETS.iter().map(|(k, w, _)| preset(k, w)).collect_view()} {preset(CUSTOM, "Until…")}
                </div>
                <input
                    type="datetime-local"
                    data-testid="silence-until"
                    aria-label="Until"
                    class:hidden=move || length.get() != CUSTOM
                    prop:value=move || until.get()
                    on:input=move |ev| until.set(event_target_value(&ev))
                />
            </fieldset>
            {text_field("Comment", "silence-comment", "why: deploy, maintenance…", comment)}
        </Sheet>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_split_on_commas_and_trimmed() {
        assert_eq!(split_list(" web-1, db-* ,,"), ["web-1", "db-*"]);
        assert!(split_list("  ").is_empty());
    }

    #[test]
    fn the_spec_ends_when_asked_and_leaves_empty_fields_out() {
        let s = spec("web-1", "cpu-high", "", 1_764_000_000_000.0, "  deploy ");
        assert_eq!(s.servers, ["web-1"]);
        assert_eq!(s.rules, ["cpu-high"]);
        assert!(s.tags.is_empty() && s.start.is_none() && s.cron.is_none());
        assert_eq!(s.end.map(|e| e.timestamp()), Some(1_764_000_000));
        assert_eq!(s.comment, "deploy");
        let json = serde_json::to_value(&s).unwrap_or_default();
        assert!(json.get("tags").is_none(), "empty lists are not sent: {json}");
    }
}
