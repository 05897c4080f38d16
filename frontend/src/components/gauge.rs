//! A ring gauge of a percentage, coloured by the level the API gave it.

use fleetwatch_common::Level;
use leptos::prelude::*;

use crate::format::percent;

/// The ring's radius in a 36×36 box, chosen so that its circumference is 100: the dash length
/// is then the percentage itself.
const RADIUS: &str = "15.9155";

/// A percentage as a ring. `value: None` (not reported) draws an empty grey ring with a dash,
/// never a zero.
#[component]
pub fn Gauge(
    /// What is measured: `CPU`, `RAM`, `Disk`.
    label: &'static str,
    value: Option<f64>,
    level: Level,
    /// More words for the tooltip, e.g. `3.1 GiB of 7.8 GiB`.
    detail: Option<String>,
) -> impl IntoView {
    let class = match value {
        Some(_) => format!("gauge level-{}", level.as_str()),
        None => "gauge level-unknown".to_owned(),
    };
    let dash = format!("{:.1} 100", value.unwrap_or(0.0).clamp(0.0, 100.0));
    let mut title = format!("{label} {}", percent(value));
    if value.is_some() && level != Level::Normal {
        title.push_str(&format!(" ({})", level.as_str()));
    }
    if let Some(d) = detail {
        title.push_str(&format!(": {d}"));
    }
    view! {
        <figure
            class=class
            title=title
            role="meter"
            aria-label=label
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=value.map(|v| format!("{v:.1}"))
        >
            <svg viewBox="0 0 36 36" aria-hidden="true">
                <circle class="gauge-track" cx="18" cy="18" r=RADIUS />
                <circle class="gauge-value" cx="18" cy="18" r=RADIUS stroke-dasharray=dash />
            </svg>
            <span class="gauge-figure">{percent(value)}</span>
            <figcaption>{label}</figcaption>
        </figure>
    }
}
