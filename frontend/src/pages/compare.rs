//! The Compare tab (`/compare`): one figure of several servers on one chart, the servers picked
//! one by one or by tag, over a chosen range; everything in the URL
//! (`?servers=a,b&tag=&figure=cpu&range=6h`), so a link shows a colleague the same chart.
//!
//! Hooks for browser tests: `[data-testid=page-compare]`, `compare-figure` (a `<select>`),
//! `compare-tag`, checkboxes `compare-server` with `data-server`, and the chart `chart-compare`.

use fleetwatch_common::{HistoryPoint, SeriesPoint};
use leptos::prelude::*;

use crate::api::Client;
use crate::components::chart::{Columns, PALETTE, Plot};
use crate::components::error_banner::ErrorBanner;
use crate::components::filter_select::FilterSelect;
use crate::components::range_picker::{RangePicker, Window};
use crate::components::series_chart::merge;
use crate::fleet::Fleet;
use crate::format::now_ms;
use crate::query::Query;
use crate::remote::Remote;

const DEFAULT_RANGE: &str = "6h";

/// A figure the chart can show: URL key, label, unit (as `js/chart.js` reads it), its top.
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub max: Option<f64>,
    pub value: fn(&HistoryPoint) -> Option<f64>,
}

pub const FIGURES: [Figure; 6] = [
    Figure { key: "cpu", label: "CPU", unit: "%", max: Some(100.0), value: |p| p.cpu_percent },
    Figure { key: "ram", label: "Memory", unit: "%", max: Some(100.0), value: |p| p.ram_percentage },
    Figure { key: "swap", label: "Swap", unit: "%", max: Some(100.0), value: |p| p.swap_percentage },
    Figure { key: "disk", label: "Disk (fullest mount)", unit: "%", max: Some(100.0), value: |p| p.disk_percentage },
    Figure { key: "load", label: "Load (5 min)", unit: "", max: None, value: |p| p.cpu_load_5min },
    Figure { key: "tcp", label: "TCP connections", unit: "count", max: None, value: |p| p.tcp_connections },
];

/// The figure of `key`, CPU when unknown.
pub fn figure(key: &str) -> &'static Figure {
    FIGURES.iter().find(|f| f.key == key).unwrap_or(&FIGURES[0])
}

/// The servers named in `?servers=` (comma-separated), in the given order, without repeats.
pub fn picked(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// One column per server on the union of their times (each server samples on its own clock).
pub fn columns(histories: &[Vec<HistoryPoint>], value: fn(&HistoryPoint) -> Option<f64>) -> Columns {
    let lines: Vec<Vec<SeriesPoint>> = histories
        .iter()
        .map(|h| {
            h.iter()
                .filter_map(|p| {
                    value(p).map(|v| SeriesPoint { timestamp: p.timestamp, value: v, samples: 1, min: None, max: None })
                })
                .collect()
        })
        .collect();
    merge(&lines)
}

#[component]
pub fn Compare() -> impl IntoView {
    let fleet = expect_context::<Fleet>();
    let query = Query::new();
    let window = Window::in_query(query, DEFAULT_RANGE);
    let bounds = RwSignal::new(window.get_untracked().bounds(now_ms()));
    let tag = query.signal("tag");
    let fig = Memo::new(move |_| figure(&query.get("figure")).key);
    // The servers on the chart: those picked, plus those of the tag.
    let chosen = Memo::new(move |_| {
        let mut list = picked(&query.get("servers"));
        let t = tag.get();
        if !t.is_empty() {
            fleet.each(|s| {
                if s.tags.contains(&t) && !list.contains(&s.name) {
                    list.push(s.name.clone());
                }
            });
        }
        list
    });
    let histories = Remote::<Vec<Vec<HistoryPoint>>>::new();
    Effect::new(move |_| {
        let (from, to) = window.get().bounds(now_ms());
        bounds.set((from, to));
        let names = chosen.get();
        histories.load(async move {
            let mut all = Vec::with_capacity(names.len());
            for n in &names {
                all.push(Client::default().history(n, from, to).await?);
            }
            Ok(all)
        });
    });
    let toggle = move |name: String| {
        let mut list = picked(&query.get_untracked("servers"));
        if let Some(i) = list.iter().position(|n| *n == name) {
            list.remove(i);
        } else {
            list.push(name);
        }
        query.set(&[("servers", &list.join(","))]);
    };
    let range = Signal::derive(move || bounds.get());
    let on_tag = Callback::new(move |t: String| query.set(&[("tag", &t)]));
    let tags = Signal::derive(move || fleet.tags());

    view! {
        <section class="page" data-testid="page-compare">
            <div class="server-tools">
                <h1 class="page-title">"Compare"</h1>
                <RangePicker query=query window=window default=DEFAULT_RANGE bounds=bounds />
                <div class="toolbar">
                    <label>
                        "Figure "
                        <select
                            data-testid="compare-figure"
                            on:change=move |ev| query.set(&[("figure", &event_target_value(&ev))])
                        >
                            {FIGURES
                                .iter()
                                .map(|f| {
                                    view! {
                                        <option value=f.key selected=move || fig.get() == f.key>
                                            {f.label}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <FilterSelect label="Tag" testid="compare-tag" selected=tag choices=tags on_pick=on_tag />
                </div>
                <fieldset class="compare-servers">
                    <legend>"Servers"</legend>
                    {move || {
                        fleet
                            .names()
                            .get()
                            .into_iter()
                            .map(|n| {
                                let on = n.clone();
                                let checked = move || chosen.with(|c| c.contains(&on));
                                let flip = n.clone();
                                view! {
                                    <label class="compare-server">
                                        <input
                                            type="checkbox"
                                            data-testid="compare-server"
                                            data-server=n.clone()
                                            prop:checked=checked
                                            on:change=move |_| toggle(flip.clone())
                                        />
                                        {n}
                                    </label>
                                }
                            })
                            .collect_view()
                    }}
                </fieldset>
            </div>
            <ErrorBanner error=histories.error what="Cannot load the histories" />
            {move || {
                let f = figure(fig.get());
                let names = chosen.get();
                if names.is_empty() {
                    return view! { <p class="placeholder">"Pick servers, or a tag, to compare."</p> }.into_any();
                }
                let lines: Vec<(String, String)> = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), PALETTE[i % PALETTE.len()].to_owned()))
                    .collect();
                let value = f.value;
                let data = Signal::derive(move || histories.data.with(|h| h.as_ref().map(|h| columns(h, value))));
                view! {
                    <div class="charts compare-chart">
                        <Plot
                            key="compare".to_owned()
                            title=f.label.to_owned()
                            unit=f.unit
                            max=f.max
                            lines=lines
                            data=data
                            range=range
                            moment=Signal::derive(|| None)
                            on_pick=None
                            span_gaps=true
                        />
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn p(secs: i64, cpu: f64) -> HistoryPoint {
        HistoryPoint { timestamp: Utc.timestamp_opt(secs, 0).unwrap(), cpu_percent: Some(cpu), ..Default::default() }
    }

    #[test]
    fn servers_each_get_a_column_on_the_union_of_their_times() {
        let c = columns(&[vec![p(10, 1.0), p(30, 3.0)], vec![p(20, 2.0)]], figure("cpu").value);
        assert_eq!(c.times, [10.0, 20.0, 30.0]);
        assert_eq!(c.values, [vec![Some(1.0), None, Some(3.0)], vec![None, Some(2.0), None]]);
    }

    #[test]
    fn the_url_lists_servers_once_and_unknown_figures_fall_back_to_cpu() {
        assert_eq!(picked(" a,b,,a , c"), ["a", "b", "c"]);
        assert!(picked("").is_empty());
        assert_eq!(figure("disk").label, "Disk (fullest mount)");
        assert_eq!(figure("nope").key, "cpu");
    }
}
