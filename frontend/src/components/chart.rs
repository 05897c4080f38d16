//! A time-series chart drawn by uPlot (see `js/chart.js`): several series, a tooltip on hover,
//! times in the viewer's time zone, the x axis spanning the picked range, the picked moment as a
//! vertical line, and one crosshair shared by every chart of the page; a click on the plot picks
//! a moment. [`Plot`] draws columns of values, each point with its min–max band when the
//! figures come averaged (so a spike is never averaged away); [`Chart`] draws headline figures
//! of history points; `series_chart` draws stored series.
//!
//! Hooks for browser tests: `.chart[data-testid=chart-<key>]`, with `data-ready="true"` once
//! uPlot has drawn, `data-points` the number of points, `data-bands` how many lines have a
//! band, `data-from`/`data-to` the x axis' range and `data-moment` the picked moment (epoch
//! seconds), a `canvas` inside, and the uPlot instance as the element's `uplot` property (its
//! `data` and `bands` are what is drawn).

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

/// One line of a headline chart.
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

impl Unit {
    pub fn as_js(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Count => "count",
            Unit::Load => "",
        }
    }
}

/// A line's colour by its position: enough distinct ones for a 16-core strip.
pub const PALETTE: [&str; 16] = [
    "#2f6fde", "#d63a3a", "#1f9d55", "#e8871e", "#8e5cd9", "#2f9fb0", "#c9a400", "#d6458f", "#5b7083", "#7cb342",
    "#a0522d", "#00897b", "#5c6bc0", "#f06292", "#9e9d24", "#6d4c41",
];

/// What uPlot draws: times in epoch seconds and one column of values per line (`None`: a gap),
/// and, per line, the lowest and highest sample within each point (`bands`; empty when the
/// figures carry none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    pub times: Vec<f64>,
    pub values: Vec<Vec<Option<f64>>>,
    pub bands: Vec<Vec<Option<(f64, f64)>>>,
}

impl Columns {
    /// `[times, line…]`, then with `bands` `[low…, high…]` per line (`null` where a point has
    /// none), as `js/chart.js` reads them.
    fn to_js(&self, bands: bool) -> js_sys::Array {
        let data = js_sys::Array::new();
        let xs: js_sys::Array = self.times.iter().map(|t| JsValue::from_f64(*t)).collect();
        data.push(&xs);
        let column = |col: &mut dyn Iterator<Item = Option<f64>>| -> js_sys::Array {
            col.map(|v| v.map_or(JsValue::NULL, JsValue::from_f64)).collect()
        };
        for col in &self.values {
            data.push(&column(&mut col.iter().copied()));
        }
        if bands {
            for side in [0, 1] {
                for i in 0..self.values.len() {
                    let band = self.bands.get(i);
                    let mut vals = (0..self.times.len()).map(|j| {
                        band.and_then(|b| b.get(j).copied().flatten()).map(|(lo, hi)| if side == 0 { lo } else { hi })
                    });
                    data.push(&column(&mut vals));
                }
            }
        }
        data
    }

    /// How many lines have a band at one point at least.
    fn banded(&self) -> usize {
        self.bands.iter().filter(|b| b.iter().any(Option::is_some)).count()
    }
}

#[derive(Serialize)]
struct Spec<'a> {
    unit: &'a str,
    max: Option<f64>,
    height: u32,
    span_gaps: bool,
    bands: bool,
    series: Vec<SeriesSpec<'a>>,
}

#[derive(Serialize)]
struct SeriesSpec<'a> {
    label: &'a str,
    color: &'a str,
}

const HEIGHT: u32 = 200;

fn columns(points: &[HistoryPoint], series: &[Series]) -> Columns {
    Columns {
        times: points.iter().map(|p| p.timestamp.timestamp() as f64).collect(),
        values: series.iter().map(|s| points.iter().map(|p| (s.value)(p)).collect()).collect(),
        bands: Vec::new(),
    }
}

/// Headline figures of history points.
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
    let lines: Vec<(String, String)> = series.iter().map(|s| (s.label.to_owned(), s.color.to_owned())).collect();
    let data = Signal::derive(move || points.with(|p| p.as_ref().map(|p| columns(p, &series))));
    view! {
        <Plot
            key=key.to_owned()
            title=title.to_owned()
            unit=unit.as_js()
            max=(unit == Unit::Percent).then_some(100.0)
            lines=lines
            data=data
            range=range
            moment=moment
            on_pick=on_pick
        />
    }
}

/// A chart of `lines` (label, colour) over `data`.
#[component]
pub fn Plot(
    key: String,
    title: String,
    /// `%`, `count`, `bytes`, `bytes/s`, `/s` or `""`, as `js/chart.js` formats them.
    unit: &'static str,
    /// A fixed top of the y axis (100 for percentages).
    max: Option<f64>,
    lines: Vec<(String, String)>,
    #[prop(into)] data: Signal<Option<Columns>>,
    #[prop(into)] range: Signal<(f64, f64)>,
    #[prop(into)] moment: Signal<Option<f64>>,
    on_pick: Option<Callback<f64>>,
    /// Join a line across missing points (lines sampled on different clocks).
    #[prop(optional)]
    span_gaps: bool,
    /// Draw each line's min–max band (`Columns::bands`).
    #[prop(optional)]
    bands: bool,
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
        unit,
        max,
        height: HEIGHT,
        span_gaps,
        bands,
        series: lines.iter().map(|(label, color)| SeriesSpec { label, color }).collect(),
    };
    let spec = serde_json::to_string(&spec).unwrap_or_default();

    Effect::new(move |_| {
        let Some(el) = node.get() else { return };
        let (from, to) = range.get();
        data.with(|d| {
            let Some(d) = d else { return };
            let h = handle.with_value(|h| h.clone()).unwrap_or_else(|| {
                let h = pick.with_value(|f| create_chart(&el, &spec, f.as_ref().unchecked_ref()));
                handle.set_value(Some(h.clone()));
                h
            });
            set_chart_data(&h, &d.to_js(bands), from / 1000.0, to / 1000.0);
        });
    });
    Effect::new(move |_| {
        let m = moment.get();
        // Tracks the data too: the chart exists once it has come.
        let ready = data.with(Option::is_some);
        if let (true, Some(h)) = (ready, handle.with_value(|h| h.clone())) {
            set_chart_moment(&h, m.map_or(JsValue::NULL, |ms| JsValue::from_f64(ms / 1000.0)));
        }
    });
    on_cleanup(move || {
        if let Some(h) = handle.try_with_value(|h| h.clone()).flatten() {
            destroy_chart(&h);
        }
    });

    let empty = move || data.with(|d| d.as_ref().is_some_and(|d| d.times.is_empty()));
    let n = move || data.with(|d| d.as_ref().map_or(0, |d| d.times.len())).to_string();
    let banded = move || data.with(|d| d.as_ref().map_or(0, Columns::banded)).to_string();
    view! {
        <figure class="chart-box">
            <figcaption>
                {title}
                <span class="chart-series">
                    {lines
                        .into_iter()
                        .map(|(label, color)| {
                            view! {
                                <span class="chart-key">
                                    <span class="chart-swatch" style=format!("background:{color}")></span>
                                    {label}
                                </span>
                            }
                        })
                        .collect_view()}
                </span>
            </figcaption>
            <div class="chart" node_ref=node data-testid=format!("chart-{key}") data-points=n data-bands=banded style=format!("min-height:{}px", HEIGHT + 30)></div>
            <p class="chart-empty" class:hidden=move || !empty()>
                "No samples in this range yet."
            </p>
        </figure>
    }
}
