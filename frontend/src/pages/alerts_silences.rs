//! The Alerts tab's silences: those made at run time (`/api/silences`), active and upcoming
//! ones (expired ones too with `?expired=1`), each deletable, and a button for a new one.
//! Maintenance windows from the configuration file are not listed here: they live in the file.
//!
//! Hooks for browser tests: `new-silence`, `show-expired`, `silences-table` with rows
//! `tr[data-testid=silence-row]` (`data-id`, `data-phase`), their `silence-delete` buttons.

use leptos::prelude::*;

use crate::action;
use crate::alert_wire::{SilenceItem, SilencePhase};
use crate::alerts::Alerts;
use crate::api::Client;
use crate::components::error_banner::ErrorBanner;
use crate::components::silence_form::{Prefill, SilenceForm};
use crate::fleet::Fleet;
use crate::format::{MISSING, local_time, millis, until, utc};
use crate::query::Query;

/// What a silence matches, in words: `servers web-* · rules disk-*`.
pub fn matchers(s: &SilenceItem) -> String {
    let parts = [("servers", &s.spec.servers), ("tags", &s.spec.tags), ("rules", &s.spec.rules)];
    parts
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k} {}", v.join(", ")))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[component]
pub fn Silences(query: Query) -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let fleet = expect_context::<Fleet>();
    let show_expired = Signal::derive(move || query.get("expired") == "1");
    let creating = RwSignal::new(false);
    let listed = Memo::new(move |_| {
        let now = utc(fleet.now.get());
        let all = show_expired.get();
        alerts.silences.data.with(|d| {
            d.iter()
                .flatten()
                .map(|s| (s.clone(), s.phase(now)))
                .filter(|(_, p)| all || *p != SilencePhase::Expired)
                .collect::<Vec<_>>()
        })
    });

    view! {
        <div class="toolbar">
            <button type="button" class="primary" data-testid="new-silence" on:click=move |_| creating.set(true)>
                "New silence"
            </button>
            <label>
                <input
                    type="checkbox"
                    data-testid="show-expired"
                    prop:checked=show_expired
                    on:change=move |ev| query.set(&[("expired", if event_target_checked(&ev) { "1" } else { "" })])
                />
                "Show expired"
            </label>
        </div>
        <ErrorBanner error=alerts.silences.error what="Cannot load the silences" />
        <div class="table-wrap">
            <table class="data-table" data-testid="silences-table">
                <thead>
                    <tr>
                        <th scope="col" class="num">
                            "#"
                        </th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Silences"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"Until"</th>
                        <th scope="col">"Comment"</th>
                        <th scope="col">"Made"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || listed.get() key=|(s, p)| (s.id, *p) let:entry>
                        <SilenceRow silence=entry.0 phase=entry.1 now=fleet.now />
                    </For>
                </tbody>
            </table>
        </div>
        {move || {
            let loaded = alerts.silences.data.with(Option::is_some);
            (loaded && listed.with(Vec::is_empty))
                .then(|| {
                    view! {
                        <p class="placeholder empty" data-testid="empty">
                            "No active or upcoming silence. Silence an alert from its row, or make one here."
                        </p>
                    }
                })
        }}
        {move || {
            creating
                .get()
                .then(|| {
                    view! {
                        <SilenceForm
                            prefill=Prefill::default()
                            on_close=Callback::new(move |()| creating.set(false))
                        />
                    }
                })
        }}
    }
}

#[component]
fn SilenceRow(silence: SilenceItem, phase: SilencePhase, now: RwSignal<f64>) -> impl IntoView {
    let alerts = expect_context::<Alerts>();
    let busy = RwSignal::new(false);
    let id = silence.id;
    let spec = &silence.spec;
    let from = spec.start.as_ref().map(millis);
    let to = spec.end.as_ref().map(millis);
    let created = millis(&silence.created);
    let by = silence.created_by.clone();
    let window =
        spec.cron.as_ref().map(|c| format!("recurring: {c} (UTC), {} s each", spec.duration_secs.unwrap_or(0)));
    let delete = move |_| {
        action::run(
            busy,
            (format!("Silence #{id} deleted"), format!("Cannot delete silence #{id}")),
            async move { Client::default().delete_silence(id).await },
            move |()| alerts.reload(),
        );
    };
    view! {
        <tr data-testid="silence-row" data-id=id data-phase=phase.as_str()>
            <td class="num">{id}</td>
            <td>
                <span class=format!("phase phase-{}", phase.as_str())>{phase.as_str()}</span>
            </td>
            <td class="mono">{matchers(&silence)}</td>
            <td>
                {move || {
                    from.map_or_else(
                        || "when made".to_owned(),
                        |f| {
                            let n = now.get();
                            if f > n { format!("{} ({})", local_time(f, n), until(f, n)) } else { local_time(f, n) }
                        },
                    )
                }}
            </td>
            <td>
                {move || {
                    let n = now.get();
                    let end = to.map(|t| format!("{} ({})", local_time(t, n), until(t, n)));
                    match (end, window.clone()) {
                        (Some(e), Some(w)) => format!("{e}; {w}"),
                        (Some(e), None) => e,
                        (None, Some(w)) => w,
                        (None, None) => MISSING.to_owned(),
                    }
                }}
            </td>
            <td class="wrap">{silence.spec.comment.clone()}</td>
            <td>{move || format!("{} by {by}", local_time(created, now.get()))}</td>
            <td>
                <button
                    type="button"
                    data-testid="silence-delete"
                    aria-label=format!("Delete silence #{id}")
                    on:click=delete
                    disabled=move || busy.get()
                >
                    "Delete"
                </button>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetwatch_alerts::SilenceSpec;

    #[test]
    fn matchers_read_as_words() {
        let s = SilenceItem {
            id: 1,
            created_by: "api".into(),
            created: chrono::DateTime::default(),
            spec: SilenceSpec {
                servers: vec!["web-*".into(), "db-1".into()],
                rules: vec!["disk".into()],
                ..SilenceSpec::default()
            },
        };
        assert_eq!(matchers(&s), "servers web-*, db-1 · rules disk");
    }
}
