//! The tables the exports hold. Each is a list of fields: a column (key, title, kind, width)
//! beside how its cell is read from a row's item, so a column and its value never drift apart.

use fleetwatch_common::{HistoryPoint, Sample, TopUser, UserDay, UserTotal};
use fleetwatch_store::ProcessRecord;

use super::{Cell, Column, Kind, Table, col};
use crate::fleet::ServerView;

/// A column and how to read its cell from one item.
type Field<T> = (Column, fn(&T) -> Cell);

/// A table of `items`, one row each.
fn table<T>(name: impl Into<String>, fields: &[Field<T>], items: &[T]) -> Table {
    Table {
        name: name.into(),
        columns: fields.iter().map(|(c, _)| c.clone()).collect(),
        rows: items.iter().map(|item| fields.iter().map(|(_, cell)| cell(item)).collect()).collect(),
    }
}

/// One server's history, oldest first.
pub fn history_table(server: &str, points: &[HistoryPoint]) -> Table {
    let fields: &[Field<HistoryPoint>] = &[
        (col("timestamp", "Time (UTC)", Kind::Time, 20.0), |p| p.timestamp.into()),
        (col("cpu_percent", "CPU", Kind::Percent, 9.0), |p| p.cpu_percent.into()),
        (col("ram_percentage", "RAM", Kind::Percent, 9.0), |p| p.ram_percentage.into()),
        (col("swap_percentage", "Swap", Kind::Percent, 9.0), |p| p.swap_percentage.into()),
        (col("disk_percentage", "Disk", Kind::Percent, 9.0), |p| p.disk_percentage.into()),
        (col("cpu_load_1min", "Load 1m", Kind::Number, 9.0), |p| p.cpu_load_1min.into()),
        (col("cpu_load_5min", "Load 5m", Kind::Number, 9.0), |p| p.cpu_load_5min.into()),
        (col("cpu_load_15min", "Load 15m", Kind::Number, 9.0), |p| p.cpu_load_15min.into()),
        (col("tcp_connections", "TCP conns", Kind::Number, 10.0), |p| p.tcp_connections.into()),
        (col("logged_users", "Sessions", Kind::Number, 9.0), |p| p.logged_users.into()),
        (col("samples", "Samples", Kind::Number, 8.0), |p| Some(p.samples).into()),
    ];
    table(server, fields, points)
}

/// Users, highest CPU first.
pub fn users_table(users: &[TopUser]) -> Table {
    let fields: &[Field<TopUser>] = &[
        (col("username", "User", Kind::Text, 16.0), |u| u.username.clone().into()),
        (col("server_name", "Server", Kind::Text, 16.0), |u| u.server_name.clone().into()),
        (col("cpu", "CPU (1 core = 100%)", Kind::Percent, 12.0), |u| Some(u.cpu).into()),
        (col("mem", "Memory", Kind::Percent, 10.0), |u| Some(u.mem).into()),
        (col("rss_bytes", "Resident", Kind::Bytes, 12.0), |u| Some(u.rss_bytes).into()),
        (col("process_count", "Processes", Kind::Number, 10.0), |u| Some(u.process_count).into()),
        (col("top_process", "Top process", Kind::Text, 20.0), |u| u.top_process.clone().into()),
        (col("timestamp", "Sampled (UTC)", Kind::Time, 20.0), |u| u.timestamp.into()),
        (col("disk", "Disk", Kind::Bytes, 12.0), |u| u.disk.into()),
    ];
    table("Top users", fields, users)
}

/// Each user on each server on each UTC day, oldest first.
pub fn user_days_table(days: &[UserDay]) -> Table {
    let fields: &[Field<UserDay>] = &[
        (col("day", "Day (UTC)", Kind::Time, 20.0), |d| {
            d.day.and_hms_opt(0, 0, 0).map_or(Cell::Empty, |t| Cell::Time(t.and_utc()))
        }),
        (col("username", "User", Kind::Text, 16.0), |d| d.username.clone().into()),
        (col("server_name", "Server", Kind::Text, 16.0), |d| d.server_name.clone().into()),
        (col("cpu_seconds", "CPU time (s)", Kind::Number, 12.0), |d| Some(d.cpu_seconds).into()),
        (col("cpu_percent_max", "Peak CPU (1 core = 100%)", Kind::Percent, 12.0), |d| d.cpu_percent_max.into()),
        (col("mem_percent_avg", "Memory avg", Kind::Percent, 11.0), |d| d.mem_percent_avg.into()),
        (col("mem_percent_max", "Memory peak", Kind::Percent, 11.0), |d| d.mem_percent_max.into()),
        (col("rss_bytes_avg", "Resident avg", Kind::Bytes, 12.0), |d| d.rss_bytes_avg.into()),
        (col("rss_bytes_max", "Resident peak", Kind::Bytes, 12.0), |d| d.rss_bytes_max.into()),
        (col("processes_avg", "Processes avg", Kind::Number, 11.0), |d| d.processes_avg.into()),
        (col("processes_max", "Processes peak", Kind::Number, 11.0), |d| d.processes_max.into()),
        (col("sessions", "Sessions", Kind::Number, 9.0), |d| d.sessions.into()),
        (col("session_seconds", "Session time (s)", Kind::Number, 12.0), |d| d.session_seconds.into()),
        (col("disk_bytes", "Disk", Kind::Bytes, 12.0), |d| d.disk_bytes.into()),
        (col("samples", "Samples", Kind::Number, 8.0), |d| Some(d.samples).into()),
    ];
    table("User days", fields, days)
}

/// Each user's totals over the window, most CPU time first.
pub fn user_totals_table(totals: &[UserTotal]) -> Table {
    let fields: &[Field<UserTotal>] = &[
        (col("username", "User", Kind::Text, 16.0), |t| t.username.clone().into()),
        (col("servers", "Servers", Kind::Text, 20.0), |t| t.servers.join(", ").into()),
        (col("days", "Days", Kind::Number, 6.0), |t| Some(t.days).into()),
        (col("cpu_seconds", "CPU time (s)", Kind::Number, 12.0), |t| Some(t.cpu_seconds).into()),
        (col("cpu_percent_max", "Peak CPU (1 core = 100%)", Kind::Percent, 12.0), |t| t.cpu_percent_max.into()),
        (col("mem_percent_avg", "Memory avg", Kind::Percent, 11.0), |t| t.mem_percent_avg.into()),
        (col("mem_percent_max", "Memory peak", Kind::Percent, 11.0), |t| t.mem_percent_max.into()),
        (col("rss_bytes_avg", "Resident avg", Kind::Bytes, 12.0), |t| t.rss_bytes_avg.into()),
        (col("rss_bytes_max", "Resident peak", Kind::Bytes, 12.0), |t| t.rss_bytes_max.into()),
        (col("processes_avg", "Processes avg", Kind::Number, 11.0), |t| t.processes_avg.into()),
        (col("processes_max", "Processes peak", Kind::Number, 11.0), |t| t.processes_max.into()),
        (col("sessions", "Sessions", Kind::Number, 9.0), |t| t.sessions.into()),
        (col("session_seconds", "Session time (s)", Kind::Number, 12.0), |t| t.session_seconds.into()),
        (col("disk_bytes", "Disk", Kind::Bytes, 12.0), |t| t.disk_bytes.into()),
        (col("samples", "Samples", Kind::Number, 8.0), |t| Some(t.samples).into()),
    ];
    table("User totals", fields, totals)
}

/// Status and headline figures of each server.
pub fn overview_table(fleet: &[ServerView<'_>]) -> Table {
    let fields: &[Field<ServerView<'_>>] = &[
        (col("server_name", "Server", Kind::Text, 16.0), |v| v.status.server_name.clone().into()),
        (col("status", "Status", Kind::Text, 10.0), |v| v.status.status.as_str().to_string().into()),
        (col("reason", "Offline reason", Kind::Text, 22.0), |v| {
            v.status.reason.map_or(Cell::Empty, |r| Cell::Text(r.as_str().into()))
        }),
        (col("cpu_percent", "CPU", Kind::Percent, 9.0), |v| figure(v, |s| s.cpu_percent)),
        (col("ram_percentage", "RAM", Kind::Percent, 9.0), |v| figure(v, |s| s.ram_percentage)),
        (col("disk_percentage", "Disk", Kind::Percent, 9.0), |v| figure(v, |s| s.disk_percentage)),
        (col("cpu_load_5min", "Load 5m", Kind::Number, 9.0), |v| figure(v, |s| s.cpu_load_5min)),
        (col("logged_users", "Sessions", Kind::Number, 9.0), |v| figure(v, |s| s.logged_users)),
        (col("tcp_connections", "TCP conns", Kind::Number, 10.0), |v| figure(v, |s| s.tcp_connections)),
        (col("ram_total_bytes", "RAM total", Kind::Bytes, 12.0), |v| figure(v, |s| s.ram_total_bytes)),
        (col("uptime_seconds", "Uptime (s)", Kind::Number, 12.0), |v| figure(v, |s| s.uptime_seconds)),
        (col("last_seen", "Last seen (UTC)", Kind::Time, 20.0), |v| v.status.last_seen.map_or(Cell::Empty, Cell::Time)),
    ];
    table("Overview", fields, fleet)
}

/// A figure of a server's latest sample; empty without one.
fn figure<N>(v: &ServerView<'_>, read: fn(&Sample) -> Option<N>) -> Cell
where
    Cell: From<Option<N>>,
{
    v.latest.as_ref().and_then(read).into()
}

/// The top processes of the latest samples.
pub fn processes_table(rows: &[ProcessRecord]) -> Table {
    let fields: &[Field<ProcessRecord>] = &[
        (col("server_name", "Server", Kind::Text, 16.0), |r| r.server_name.clone().into()),
        (col("rank", "Rank", Kind::Number, 6.0), |r| Some(r.rank).into()),
        (col("pid", "PID", Kind::Number, 8.0), |r| Some(r.process.pid).into()),
        (col("user", "User", Kind::Text, 14.0), |r| r.process.user.clone().into()),
        (col("command", "Command", Kind::Text, 28.0), |r| r.process.command.clone().into()),
        (col("cpu_percent", "CPU (1 core = 100%)", Kind::Percent, 12.0), |r| Some(r.process.cpu_percent).into()),
        (col("rss_bytes", "Resident", Kind::Bytes, 12.0), |r| Some(r.process.rss_bytes).into()),
        (col("threads", "Threads", Kind::Number, 8.0), |r| Some(r.process.threads).into()),
        (col("timestamp", "Sampled (UTC)", Kind::Time, 20.0), |r| r.timestamp.into()),
    ];
    table("Top processes", fields, rows)
}
