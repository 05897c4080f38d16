//! The time range control of the server page's charts and of the alert history: preset buttons
//! and a custom range, kept in the query string (`?range=6h`, or `?range=custom&from=…&to=…` in
//! the viewer's local time).
//!
//! Hooks for browser tests: `range-<key>` buttons with `aria-pressed`, `range-custom`,
//! `range-from`, `range-to`.

use leptos::prelude::*;

use crate::query::Query;
use crate::toast::Toasts;

const HOUR_MS: f64 = 3_600_000.0;

/// The preset ranges: key and hours.
pub const RANGES: [(&str, f64); 6] =
    [("1h", 1.0), ("6h", 6.0), ("12h", 12.0), ("24h", 24.0), ("7d", 168.0), ("30d", 720.0)];

/// A time window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// The last so many hours, up to now.
    Last(f64),
    /// Fixed bounds, epoch ms.
    Between(f64, f64),
}

impl Window {
    /// From the query parameters; anything unreadable gives the `default` preset.
    pub fn parse(range: &str, from: Option<f64>, to: Option<f64>, default: &str) -> Self {
        if range == "custom"
            && let (Some(f), Some(t)) = (from, to)
            && f < t
        {
            return Self::Between(f, t);
        }
        let hours = RANGES.iter().find(|(k, _)| *k == range).or_else(|| RANGES.iter().find(|(k, _)| *k == default));
        Self::Last(hours.map_or(6.0, |(_, h)| *h))
    }

    /// The window in the current page's query string (tracked).
    pub fn in_query(query: Query, default: &'static str) -> Memo<Self> {
        Memo::new(move |_| {
            Self::parse(&query.get("range"), parse_local(&query.get("from")), parse_local(&query.get("to")), default)
        })
    }

    /// `(from, to)` in epoch ms at `now`.
    pub fn bounds(self, now: f64) -> (f64, f64) {
        match self {
            Self::Last(h) => (now - h * HOUR_MS, now),
            Self::Between(f, t) => (f, t),
        }
    }

    /// The key of its button: a preset's, or `custom`.
    pub fn key(self, default: &'static str) -> &'static str {
        match self {
            Self::Between(..) => "custom",
            Self::Last(h) => RANGES.iter().find(|(_, x)| *x == h).map_or(default, |(k, _)| k),
        }
    }
}

/// A `datetime-local` value (the viewer's time zone) as epoch ms.
pub fn parse_local(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(s)).get_time();
    (!ms.is_nan()).then_some(ms)
}

/// Epoch ms as a `datetime-local` value in the viewer's time zone.
pub fn to_local_input(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The preset buttons, "Custom…" and its form. `window` is [`Window::in_query`] of the same
/// query; `bounds` the window shown now, which the custom form starts from.
#[component]
pub fn RangePicker(
    query: Query,
    window: Memo<Window>,
    default: &'static str,
    #[prop(into)] bounds: Signal<(f64, f64)>,
) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let current = move || window.get().key(default);
    let custom_open = RwSignal::new(query.get_untracked("range") == "custom");
    let draft_from = RwSignal::new(String::new());
    let draft_to = RwSignal::new(String::new());
    let open_custom = move |_| {
        let (f, t) = bounds.get_untracked();
        draft_from.set(to_local_input(f));
        draft_to.set(to_local_input(t));
        custom_open.update(|o| *o = !*o);
    };
    let apply_custom = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (f, t) = (draft_from.get_untracked(), draft_to.get_untracked());
        match (parse_local(&f), parse_local(&t)) {
            (Some(a), Some(b)) if a < b => query.set(&[("range", "custom"), ("from", &f), ("to", &t)]),
            _ => toasts.error("Pick a start before the end"),
        }
    };
    view! {
        <div class="range" role="group" aria-label="Time range">
            {RANGES
                .iter()
                .map(|(key, _)| {
                    let key = *key;
                    view! {
                        <button
                            type="button"
                            data-testid=format!("range-{key}")
                            aria-pressed=move || (current() == key).to_string()
                            on:click=move |_| {
                                custom_open.set(false);
                                query.set(&[("range", key), ("from", ""), ("to", "")])
                            }
                        >
                            {key}
                        </button>
                    }
                })
                .collect_view()}
            <button
                type="button"
                data-testid="range-custom"
                aria-pressed=move || (current() == "custom").to_string()
                aria-expanded=move || custom_open.get().to_string()
                on:click=open_custom
            >
                "Custom…"
            </button>
        </div>
        <form class="custom-range" class:hidden=move || !custom_open.get() on:submit=apply_custom>
            <label>
                "From "
                <input
                    type="datetime-local"
                    data-testid="range-from"
                    prop:value=move || draft_from.get()
                    on:input=move |ev| draft_from.set(event_target_value(&ev))
                />
            </label>
            <label>
                "To "
                <input
                    type="datetime-local"
                    data-testid="range-to"
                    prop:value=move || draft_to.get()
                    on:input=move |ev| draft_to.set(event_target_value(&ev))
                />
            </label>
            <button type="submit">"Show"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_from_the_query_with_a_default() {
        assert_eq!(Window::parse("7d", None, None, "6h"), Window::Last(168.0));
        assert_eq!(Window::parse("", None, None, "6h"), Window::Last(6.0));
        assert_eq!(Window::parse("", None, None, "24h"), Window::Last(24.0));
        assert_eq!(Window::parse("bogus", None, None, "6h"), Window::Last(6.0));
        assert_eq!(Window::parse("custom", Some(1.0), Some(2.0), "6h"), Window::Between(1.0, 2.0));
        assert_eq!(Window::parse("custom", Some(2.0), Some(1.0), "6h"), Window::Last(6.0), "backwards");
        assert_eq!(Window::Last(1.0).bounds(HOUR_MS * 5.0), (HOUR_MS * 4.0, HOUR_MS * 5.0));
        assert_eq!(Window::Last(168.0).key("6h"), "7d");
        assert_eq!(Window::Between(1.0, 2.0).key("6h"), "custom");
    }
}
