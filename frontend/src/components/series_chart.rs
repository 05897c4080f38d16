//! The server page's "All figures": a chart for every group of stored series
//! (`crate::series_groups`), each following the picked range and moment like the headline charts.
//!
//! Hooks for browser tests: `[data-testid=all-figures]`, and each chart's `chart-<group key>`
//! (`chart-cpu-cores`, `chart-disk-root`, `chart-net-eth0`, …; see `components::chart`).

use std::collections::BTreeMap;

use fleetwatch_common::SeriesPoint;
use leptos::prelude::*;

use crate::api::Client;
use crate::components::chart::{Columns, PALETTE, Plot};
use crate::remote::Remote;
use crate::series_groups::{Group, GroupUnit, groups};

/// One column per line, on the union of their times (a line without a point at a time: a gap),
/// with each point's min–max band where the API gave one.
pub fn merge(lines: &[Vec<SeriesPoint>]) -> Columns {
    type Cell = Option<(f64, Option<(f64, f64)>)>;
    let mut rows: BTreeMap<i64, Vec<Cell>> = BTreeMap::new();
    for (i, points) in lines.iter().enumerate() {
        for p in points {
            let band = p.min.zip(p.max);
            rows.entry(p.timestamp.timestamp_millis()).or_insert_with(|| vec![None; lines.len()])[i] =
                Some((p.value, band));
        }
    }
    let mut values = vec![Vec::with_capacity(rows.len()); lines.len()];
    let mut bands = vec![Vec::with_capacity(rows.len()); lines.len()];
    let mut times = Vec::with_capacity(rows.len());
    for (t, row) in rows {
        times.push(t as f64 / 1000.0);
        for ((col, band), cell) in values.iter_mut().zip(bands.iter_mut()).zip(row) {
            col.push(cell.map(|c| c.0));
            band.push(cell.and_then(|c| c.1));
        }
    }
    // No band at all: none to draw.
    if bands.iter().flatten().all(Option::is_none) {
        bands.clear();
    }
    Columns { times, values, bands }
}

/// Every group's chart for `server` over `range` (epoch ms), reloaded when `reload` changes.
#[component]
pub fn AllFigures(
    server: String,
    #[prop(into)] range: Signal<(f64, f64)>,
    #[prop(into)] reload: Signal<u64>,
    #[prop(into)] moment: Signal<Option<f64>>,
    on_pick: Callback<f64>,
) -> impl IntoView {
    let names = Remote::<Vec<String>>::new();
    {
        let server = server.clone();
        Effect::new(move |_| {
            reload.track();
            let s = server.clone();
            names.load(async move { Client::default().series_names(&s).await });
        });
    }
    let charts = Memo::new(move |_| names.data.with(|n| n.as_deref().map(groups).unwrap_or_default()));
    view! {
        <section class="all-figures" data-testid="all-figures">
            <h2>"All figures"</h2>
            <div class="charts">
                <For each=move || charts.get() key=|g| g.key.clone() let:group>
                    <GroupChart server=server.clone() group=group range=range reload=reload moment=moment on_pick=on_pick />
                </For>
            </div>
        </section>
    }
}

#[component]
fn GroupChart(
    server: String,
    group: Group,
    range: Signal<(f64, f64)>,
    reload: Signal<u64>,
    moment: Signal<Option<f64>>,
    on_pick: Callback<f64>,
) -> impl IntoView {
    let data = Remote::<Columns>::new();
    let names: Vec<String> = group.lines.iter().map(|l| l.1.clone()).collect();
    Effect::new(move |_| {
        reload.track();
        let (from, to) = range.get();
        let (s, names) = (server.clone(), names.clone());
        data.load(async move {
            let mut lines = Vec::with_capacity(names.len());
            for n in &names {
                lines.push(Client::default().series(&s, n, from, to).await?);
            }
            Ok(merge(&lines))
        });
    });
    let lines: Vec<(String, String)> = group
        .lines
        .iter()
        .enumerate()
        .map(|(i, (label, _))| (label.clone(), PALETTE[i % PALETTE.len()].to_owned()))
        .collect();
    view! {
        <Plot
            key=group.key
            title=group.title
            unit=group.unit.as_js()
            max=(group.unit == GroupUnit::Percent).then_some(100.0)
            lines=lines
            data=Signal::derive(move || data.data.get())
            range=range
            moment=moment
            on_pick=Some(on_pick)
            bands=true
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn p(secs: i64, value: f64) -> SeriesPoint {
        SeriesPoint { timestamp: Utc.timestamp_opt(secs, 0).unwrap(), value, samples: 1, min: None, max: None }
    }

    #[test]
    fn lines_meet_on_the_union_of_their_times_with_gaps() {
        let c = merge(&[vec![p(10, 1.0), p(20, 2.0)], vec![p(20, 5.0), p(30, 6.0)]]);
        assert_eq!(c.times, [10.0, 20.0, 30.0]);
        assert_eq!(c.values, [vec![Some(1.0), Some(2.0), None], vec![None, Some(5.0), Some(6.0)]]);
        assert!(c.bands.is_empty(), "points without min and max give no band");
        assert_eq!(merge(&[]), Columns::default());
    }

    #[test]
    fn each_point_keeps_its_min_max_band() {
        let banded = |secs, value, min, max| SeriesPoint { min: Some(min), max: Some(max), ..p(secs, value) };
        let c = merge(&[vec![banded(10, 2.0, 1.0, 9.0)], vec![banded(20, 5.0, 5.0, 5.0)]]);
        assert_eq!(c.values, [vec![Some(2.0), None], vec![None, Some(5.0)]]);
        assert_eq!(c.bands, [vec![Some((1.0, 9.0)), None], vec![None, Some((5.0, 5.0))]]);
    }
}
