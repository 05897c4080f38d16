//! A table of top users; sortable by every column when the page gives it a [`Sort`].
//!
//! Hooks for browser tests: `table[data-testid=users-table]`, rows `tr[data-testid=user-row]`
//! with `data-user` and `data-server`, header buttons `th[data-column] button`.

use std::cmp::Ordering;

use fleetwatch_common::TopUser;
use leptos::prelude::*;

use crate::api::{server_href, user_href};
use crate::components::sort_header::{Sort, SortColumn, sort_header};
use crate::format::{MISSING, bytes, local_time, millis, now_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    User,
    Server,
    Cpu,
    Mem,
    Rss,
    Disk,
    Processes,
    TopProcess,
    Time,
}

impl SortColumn for Column {
    fn all() -> &'static [Self] {
        &Self::ALL
    }

    fn key(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Server => "server",
            Self::Cpu => "cpu",
            Self::Mem => "mem",
            Self::Rss => "rss",
            Self::Disk => "disk",
            Self::Processes => "processes",
            Self::TopProcess => "process",
            Self::Time => "time",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Server => "Server",
            Self::Cpu => "CPU",
            Self::Mem => "Memory",
            Self::Rss => "Resident",
            Self::Disk => "Disk",
            Self::Processes => "Processes",
            Self::TopProcess => "Top process",
            Self::Time => "Sampled",
        }
    }

    fn hint(self) -> Option<&'static str> {
        match self {
            Self::Cpu => Some("percent of one core"),
            Self::Mem => Some("percent of the server's memory"),
            Self::Rss => Some("resident memory"),
            Self::Disk => Some("space used under the configured paths"),
            _ => None,
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Self::Cpu | Self::Mem | Self::Rss | Self::Disk | Self::Processes | Self::Time)
    }
}

impl Column {
    pub const ALL: [Self; 9] = [
        Self::User,
        Self::Server,
        Self::Cpu,
        Self::Mem,
        Self::Rss,
        Self::Disk,
        Self::Processes,
        Self::TopProcess,
        Self::Time,
    ];

    fn compare(self, a: &TopUser, b: &TopUser) -> Ordering {
        match self {
            Self::User => a.username.cmp(&b.username),
            Self::Server => a.server_name.cmp(&b.server_name),
            Self::Cpu => a.cpu.total_cmp(&b.cpu),
            Self::Mem => a.mem.total_cmp(&b.mem),
            Self::Rss => a.rss_bytes.cmp(&b.rss_bytes),
            // Unknown sizes sort below every known one.
            Self::Disk => match (a.disk, b.disk) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            },
            Self::Processes => a.process_count.cmp(&b.process_count),
            Self::TopProcess => a.top_process.cmp(&b.top_process),
            Self::Time => a.timestamp.cmp(&b.timestamp),
        }
    }
}

/// Sorts by one column, ties broken by user then server so the order is stable across reloads.
pub fn sort_users(rows: &mut [TopUser], column: Column, descending: bool) {
    rows.sort_by(|a, b| {
        let o = column.compare(a, b);
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| a.username.cmp(&b.username)).then_with(|| a.server_name.cmp(&b.server_name))
    });
}

#[component]
pub fn UsersTable(
    #[prop(into)] rows: Signal<Vec<TopUser>>,
    #[prop(optional)] sort: Option<Sort<Column>>,
    /// False: the headers are plain words.
    #[prop(default = true)]
    sortable: bool,
) -> impl IntoView {
    let sort = sort.filter(|_| sortable);
    let header = move |c: Column| sort_header(c, sort);
    let now = now_ms();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="users-table">
                <thead>
                    <tr>{Column::ALL.into_iter().map(header).collect_view()}</tr>
                </thead>
                <tbody>
                    <For
                        each=move || rows.get().into_iter().enumerate()
                        key=|(i, u)| (*i, u.username.clone(), u.server_name.clone(), millis(&u.timestamp) as i64)
                        let:row
                    >
                        <UserRow user=row.1 now=now />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn UserRow(user: TopUser, now: f64) -> impl IntoView {
    let t = millis(&user.timestamp);
    let (name, server) = (user.username.clone(), user.server_name.clone());
    let href = server_href(&server);
    let user_page = user_href(&name);
    view! {
        <tr data-testid="user-row" data-user=name data-server=server>
            <td>
                <a href=user_page>{user.username}</a>
            </td>
            <td>
                <a href=href>{user.server_name}</a>
            </td>
            <td class="num">{format!("{:.1}%", user.cpu)}</td>
            <td class="num">{format!("{:.1}%", user.mem)}</td>
            <td class="num">{bytes(user.rss_bytes)}</td>
            <td class="num">{user.disk.map_or_else(|| MISSING.to_owned(), |d| bytes(d as i64))}</td>
            <td class="num">{user.process_count}</td>
            <td class="mono">{user.top_process}</td>
            <td class="num">{local_time(t, now)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn user(name: &str, server: &str, cpu: f64, disk: Option<f64>) -> TopUser {
        TopUser {
            username: name.into(),
            server_name: server.into(),
            cpu,
            mem: 1.0,
            disk,
            process_count: 1,
            top_process: "sh".into(),
            timestamp: Utc.timestamp_opt(0, 0).single().unwrap_or_default(),
            rss_bytes: 1,
        }
    }

    fn order(rows: &[TopUser]) -> Vec<&str> {
        rows.iter().map(|u| u.username.as_str()).collect()
    }

    #[test]
    fn sorting_goes_both_ways_with_stable_ties() {
        let mut rows =
            vec![user("b", "s1", 5.0, None), user("a", "s1", 5.0, Some(1.0)), user("c", "s2", 9.0, Some(3.0))];
        sort_users(&mut rows, Column::Cpu, true);
        assert_eq!(order(&rows), ["c", "a", "b"]);
        sort_users(&mut rows, Column::Cpu, false);
        assert_eq!(order(&rows), ["a", "b", "c"]);
        sort_users(&mut rows, Column::Disk, true);
        assert_eq!(order(&rows), ["c", "a", "b"], "unknown disk last");
        sort_users(&mut rows, Column::User, false);
        assert_eq!(order(&rows), ["a", "b", "c"]);
    }

    #[test]
    fn every_column_has_a_key_that_reads_back() {
        for c in Column::ALL {
            assert_eq!(Column::parse(c.key()), Some(c));
        }
        assert_eq!(Column::parse("nope"), None);
    }
}
