//! The page of one user (`/users/:name`): their activity across the fleet over a chosen range
//! (kept in the URL, default 7 days), per server per UTC day, with the range's totals and a
//! spreadsheet of the same. Reached from the Users tab and from any process row.
//!
//! Hooks for browser tests: `[data-testid=page-user]` with `data-user`, `user-totals`,
//! `table-user-days` (rows in day order, newest first), `export-user`.

use fleetwatch_common::UserDay;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{Client, server_href, user_export_url};
use crate::components::data_table::{Col, data_table};
use crate::components::error_banner::ErrorBanner;
use crate::components::range_picker::{RangePicker, Window};
use crate::format::{MISSING, bytes, now_ms};
use crate::query::Query;
use crate::remote::Remote;

const DEFAULT_RANGE: &str = "7d";

/// Seconds as `3 h 12 min`, `4 min 5 s` or `12 s`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as i64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

fn opt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| MISSING.to_owned(), |v| format!("{v:.1}%"))
}

fn opt_num(v: Option<f64>) -> String {
    v.map_or_else(|| MISSING.to_owned(), |v| format!("{v:.1}"))
}

const DAY_COLS: [Col<UserDay>; 10] = [
    Col::text("Day (UTC)", |d| d.day.to_string()),
    Col::link("Server", |d| d.server_name.clone(), |d| server_href(&d.server_name)),
    Col::num("CPU time", |d| duration(d.cpu_seconds)),
    Col::num("CPU peak", |d| opt_pct(d.cpu_percent_max)),
    Col::num("Memory avg / peak", |d| format!("{} / {}", opt_pct(d.mem_percent_avg), opt_pct(d.mem_percent_max))),
    Col::num("Resident peak", |d| d.rss_bytes_max.map_or_else(|| MISSING.to_owned(), bytes)),
    Col::num("Processes avg / peak", |d| {
        format!(
            "{} / {}",
            opt_num(d.processes_avg),
            d.processes_max.map_or_else(|| MISSING.to_owned(), |n| n.to_string())
        )
    }),
    Col::num("Sessions", |d| d.sessions.map_or_else(|| MISSING.to_owned(), |n| n.to_string())),
    Col::num("Session time", |d| d.session_seconds.map_or_else(|| MISSING.to_owned(), duration)),
    Col::num("Disk", |d| d.disk_bytes.map_or_else(|| MISSING.to_owned(), |b| bytes(b as i64))),
];

/// Newest day first, then by server.
pub fn ordered(mut days: Vec<UserDay>) -> Vec<UserDay> {
    days.sort_by(|a, b| b.day.cmp(&a.day).then_with(|| a.server_name.cmp(&b.server_name)));
    days
}

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.with(|p| p.get("name")).unwrap_or_default());
    let query = Query::new();
    let window = Window::in_query(query, DEFAULT_RANGE);
    let bounds = RwSignal::new(window.get_untracked().bounds(now_ms()));
    let days = Remote::<Vec<UserDay>>::new();

    Effect::new(move |_| {
        let (from, to) = window.get().bounds(now_ms());
        bounds.set((from, to));
        let n = name.get();
        days.load(async move { Client::default().user_history(&n, from, to).await.map(ordered) });
    });
    let export = move || {
        let (f, t) = bounds.get();
        user_export_url("xlsx", &name.get(), f, t)
    };
    let totals = move || {
        days.data.with(|d| {
            d.as_ref().map(|d| {
                let cpu: f64 = d.iter().map(|x| x.cpu_seconds).sum();
                let mut servers: Vec<&str> = d.iter().map(|x| x.server_name.as_str()).collect();
                servers.sort_unstable();
                servers.dedup();
                let peak = d.iter().filter_map(|x| x.rss_bytes_max).max();
                let sessions: i64 = d.iter().filter_map(|x| x.sessions).sum();
                format!(
                    "{} of CPU time on {} server{} · resident peak {} · {sessions} session{}",
                    duration(cpu),
                    servers.len(),
                    if servers.len() == 1 { "" } else { "s" },
                    peak.map_or_else(|| MISSING.to_owned(), bytes),
                    if sessions == 1 { "" } else { "s" },
                )
            })
        })
    };

    view! {
        <section class="page" data-testid="page-user" data-user=move || name.get()>
            <div class="server-tools">
                <h1 class="page-title">"User " {move || name.get()}</h1>
                <RangePicker query=query window=window default=DEFAULT_RANGE bounds=bounds />
                <p class="muted" data-testid="user-totals">
                    {move || if days.loading.get() { "Loading…".to_owned() } else { totals().unwrap_or_default() }}
                </p>
                <a class="button" data-testid="export-user" href=export download>
                    "Export to Excel"
                </a>
            </div>
            <ErrorBanner error=days.error what="Cannot load the user's activity" />
            <section class="panel wide">
                <h2>"Per server and day"</h2>
                {move || {
                    days.data
                        .with(|d| {
                            d.as_ref()
                                .map(|d| {
                                    data_table("user-days", "No activity of this user in the range.", &DAY_COLS, d)
                                })
                        })
                }}
            </section>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_sysadmin_says_them() {
        assert_eq!(duration(12.4), "12 s");
        assert_eq!(duration(245.0), "4 min 5 s");
        assert_eq!(duration(3.0 * 3600.0 + 12.0 * 60.0 + 7.0), "3 h 12 min");
        assert_eq!(duration(-1.0), "0 s");
    }
}
