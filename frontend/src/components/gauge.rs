//! A ring gauge of a percentage, coloured by the level the API gave it.

use fleetwatch_common::Level;
use leptos::prelude::*;

use crate::format::percent;

/// A percentage as a ring (`role=meter`, whose range is 0–100 by default). `value: None` (not reported) draws an empty grey ring with a dash,
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
    // The ring is a CSS conic gradient filled to `--v` percent: three elements, no SVG, which
    // keeps five hundred cards cheap to build.
    let fill = format!("--v:{:.1}", value.unwrap_or(0.0).clamp(0.0, 100.0));
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
            aria-valuenow=value.map(|v| format!("{v:.1}"))
        >
            <div class="gauge-ring" style=fill aria-hidden="true"></div>
            <span class="gauge-figure">{percent(value)}</span>
            <figcaption>{label}</figcaption>
        </figure>
    }
}
