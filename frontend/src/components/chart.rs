//! A time-series chart drawn by uPlot (see `js/chart.js`): several series, a tooltip on hover,
//! times in the viewer's time zone, the x axis spanning the picked range, and the picked moment
//! as a vertical line; a click on the plot picks a moment.
//!
//! Hooks for browser tests: `.chart[data-testid=chart-<key>]`, with `data-ready="true"` once
//! uPlot has drawn, `data-points` the number of points, `data-from`/`data-to` the x axis'
//! range and `data-moment` the picked moment (epoch seconds), and a `canvas` inside.

use fleetwatch_common::HistoryPoint;
use leptos::html::Div;
use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/chart.js")]
extern "C" {
    #[wasm_bindgen(js_name = createChart)]
    fn create_chart(el: &web_sys::HtmlElement, spec: &str, on_pick: &js_sys::Function) -> JsValue;
    #[wasm_bindgen(js_name = setChartData)]
    fn set_chart_data(handle: &JsValue, data: &js_sys::Array, from: f64, to: f64);
    #[wasm_bindgen(js_name = setChartMoment)]
    fn set_chart_moment(handle: &JsValue, secs: JsValue);
    #[wasm_bindgen(js_name = destroyChart)]
    fn destroy_chart(handle: &JsValue);
}

/// One line of a chart.
#[derive(Clone, Copy)]
pub struct Series {
    pub label: &'static str,
    pub color: &'static str,
    pub value: fn(&HistoryPoint) -> Option<f64>,
}

/// What the figures are: `%` (axis 0–100), `count`, or a unit word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Percent,
    Count,
    Load,
}

#[derive(Serialize)]
struct Spec<'a> {
    unit: &'a str,
    max: Option<f64>,
    height: u32,
    series: Vec<SeriesSpec<'a>>,
}

#[derive(Serialize)]
struct SeriesSpec<'a> {
    label: &'a str,
    color: &'a str,
}

const HEIGHT: u32 = 200;

/// uPlot's data: `[times in seconds, series 1, series 2, …]`, a missing figure as `null` (a gap).
fn columns(points: &[HistoryPoint], series: &[Series]) -> js_sys::Array {
    let data = js_sys::Array::new_with_length(series.len() as u32 + 1);
    let xs: js_sys::Array = points.iter().map(|p| JsValue::from_f64(p.timestamp.timestamp() as f64)).collect();
    data.set(0, xs.into());
    for (i, s) in series.iter().enumerate() {
        let ys: js_sys::Array = points.iter().map(|p| (s.value)(p).map_or(JsValue::NULL, JsValue::from_f64)).collect();
        data.set(i as u32 + 1, ys.into());
    }
    data
}

#[component]
pub fn Chart(
    /// Names the chart in the page and in test hooks.
    key: &'static str,
    title: &'static str,
    unit: Unit,
    series: Vec<Series>,
    #[prop(into)] points: Signal<Option<Vec<HistoryPoint>>>,
    /// The picked range, epoch ms: the x axis spans it.
    #[prop(into)]
    range: Signal<(f64, f64)>,
    /// The picked moment, epoch ms.
    #[prop(into, optional)]
    moment: Signal<Option<f64>>,
    /// Called with the moment (epoch ms) a click on the plot picks.
    #[prop(optional)]
    on_pick: Option<Callback<f64>>,
) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    let handle = StoredValue::new_local(None::<JsValue>);
    let pick: Closure<dyn Fn(f64)> = Closure::new(move |secs: f64| {
        if let Some(cb) = on_pick {
            cb.run(secs * 1000.0);
        }
    });
    // Lives as long as the chart: uPlot's click listener holds it.
    let pick = StoredValue::new_local(pick);
    let spec = Spec {
        unit: match unit {
            Unit::Percent => "%",
            Unit::Count => "count",
            Unit::Load => "",
        },
        max: (unit == Unit::Percent).then_some(100.0),
        height: HEIGHT,
        series: series.iter().map(|s| SeriesSpec { label: s.label, color: s.color }).collect(),
    };
    let spec = serde_json::to_string(&spec).unwrap_or_default();
    let series_for_data = series.clone();

    Effect::new(move |_| {
        let Some(el) = node.get() else { return };
        let (from, to) = range.get();
        points.with(|p| {
            let Some(p) = p else { return };
            let h = handle.with_value(|h| h.clone()).unwrap_or_else(|| {
                let h = pick.with_value(|f| create_chart(&el, &spec, f.as_ref().unchecked_ref()));
                handle.set_value(Some(h.clone()));
                h
            });
            set_chart_data(&h, &columns(p, &series_for_data), from / 1000.0, to / 1000.0);
        });
    });
    Effect::new(move |_| {
        let m = moment.get();
        // Tracks the points too: the chart exists once they have come.
        let ready = points.with(Option::is_some);
        if let (true, Some(h)) = (ready, handle.with_value(|h| h.clone())) {
            set_chart_moment(&h, m.map_or(JsValue::NULL, |ms| JsValue::from_f64(ms / 1000.0)));
        }
    });
    on_cleanup(move || {
        if let Some(h) = handle.try_with_value(|h| h.clone()).flatten() {
            destroy_chart(&h);
        }
    });

    let empty = move || points.with(|p| p.as_ref().is_some_and(Vec::is_empty));
    let n = move || points.with(|p| p.as_ref().map_or(0, Vec::len)).to_string();
    view! {
        <figure class="chart-box">
            <figcaption>
                {title}
                <span class="chart-series">
                    {series
                        .iter()
                        .map(|s| {
                            view! {
                                <span class="chart-key">
                                    <span class="chart-swatch" style=format!("background:{}", s.color)></span>
                                    {s.label}
                                </span>
                            }
                        })
                        .collect_view()}
                </span>
            </figcaption>
            <div class="chart" node_ref=node data-testid=format!("chart-{key}") data-points=n style=format!("min-height:{}px", HEIGHT + 30)></div>
            <p class="chart-empty" class:hidden=move || !empty()>
                "No samples in this range yet."
            </p>
        </figure>
    }
}
