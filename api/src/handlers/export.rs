//! `GET /api/export/{users|metrics}.{xlsx|csv|json}`: the same data as the tables and charts,
//! as downloads. Filters: users take `server`, `tag`, `q`; metrics take `server`, `from`, `to`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use fleetwatch_common::{Sample, ServerStatus, TopUser};
use fleetwatch_store::TimeRange;

use super::servers::{MAX_POINTS, time_window};
use super::users::{MAX_LIMIT, UserFilter, filtered};
use super::{fleet, known, truncate};
use crate::error::{ApiError, Result};
use crate::export::{Cell, Kind, Table, col};
use crate::state::AppState;

enum Format {
    Xlsx,
    Csv,
    Json,
}

pub async fn download(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    let (what, ext) = file.rsplit_once('.').unwrap_or((file.as_str(), ""));
    let format = match ext {
        "xlsx" => Format::Xlsx,
        "csv" => Format::Csv,
        "json" => Format::Json,
        _ => {
            return Err(ApiError::NotFound(format!("no export named {:?}: use .xlsx, .csv or .json", truncate(&file))));
        }
    };
    let tables = match what {
        "users" => users_tables(&state, &q).await?,
        "metrics" => metrics_tables(&state, &q).await?,
        _ => return Err(ApiError::NotFound(format!("no export named {:?}: try users or metrics", truncate(what)))),
    };
    let stamp = Utc::now().format("%Y%m%d-%H%M%S");
    let (body, mime) = match format {
        Format::Xlsx => (
            crate::export::xlsx(&tables).map_err(|e| ApiError::Internal(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Format::Csv => {
            (crate::export::csv(&tables).map_err(|e| ApiError::Internal(e.to_string()))?, "text/csv; charset=utf-8")
        }
        Format::Json => (crate::export::json(&tables).to_string().into_bytes(), "application/json"),
    };
    let disposition = format!("attachment; filename=\"fleetwatch-{what}-{stamp}.{ext}\"");
    let mut resp = body.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

async fn users_tables(state: &AppState, q: &HashMap<String, String>) -> Result<Vec<Table>> {
    let filter = UserFilter::from_query(state, q)?;
    let users = filtered(state, &filter, MAX_LIMIT as usize).await?;
    let mut fleet = fleet(state).await?;
    fleet.retain(|(st, _)| filter.server.as_ref().is_none_or(|s| *s == st.server_name));
    if let Some(tag) = &filter.tag {
        fleet.retain(|(st, _)| state.server(&st.server_name).is_some_and(|m| m.tags.contains(tag)));
    }
    Ok(vec![users_table(&users), overview_table(&fleet)])
}

async fn metrics_tables(state: &AppState, q: &HashMap<String, String>) -> Result<Vec<Table>> {
    let server = q.get("server").map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some(s) = &server {
        known(state, s)?;
    }
    let (from, to) = time_window(q)?;
    let mut fleet = fleet(state).await?;
    fleet.retain(|(st, _)| server.as_ref().is_none_or(|s| *s == st.server_name));
    let mut tables = vec![overview_table(&fleet)];
    for (st, _) in &fleet {
        let points = state.store.history(&st.server_name, TimeRange { from, to, max_points: Some(MAX_POINTS) }).await?;
        tables.push(Table {
            name: st.server_name.clone(),
            columns: vec![
                col("timestamp", "Time (UTC)", Kind::Time, 20.0),
                col("cpu_percent", "CPU", Kind::Percent, 9.0),
                col("ram_percentage", "RAM", Kind::Percent, 9.0),
                col("swap_percentage", "Swap", Kind::Percent, 9.0),
                col("disk_percentage", "Disk", Kind::Percent, 9.0),
                col("cpu_load_1min", "Load 1m", Kind::Number, 9.0),
                col("cpu_load_5min", "Load 5m", Kind::Number, 9.0),
                col("cpu_load_15min", "Load 15m", Kind::Number, 9.0),
                col("tcp_connections", "TCP conns", Kind::Number, 10.0),
                col("logged_users", "Sessions", Kind::Number, 9.0),
                col("samples", "Samples", Kind::Number, 8.0),
            ],
            rows: points
                .into_iter()
                .map(|p| {
                    vec![
                        p.timestamp.into(),
                        p.cpu_percent.into(),
                        p.ram_percentage.into(),
                        p.swap_percentage.into(),
                        p.disk_percentage.into(),
                        p.cpu_load_1min.into(),
                        p.cpu_load_5min.into(),
                        p.cpu_load_15min.into(),
                        p.tcp_connections.into(),
                        p.logged_users.into(),
                        Some(p.samples).into(),
                    ]
                })
                .collect(),
        });
    }
    let users =
        filtered(state, &UserFilter { server: server.clone(), ..Default::default() }, MAX_LIMIT as usize).await?;
    tables.push(users_table(&users));
    let mut processes = state.store.latest_processes(server.as_deref(), fleetwatch_store::Ranking::Cpu).await?;
    processes.retain(|p| state.server(&p.server_name).is_some());
    if !processes.is_empty() {
        tables.push(processes_table(&processes));
    }
    Ok(tables)
}

fn users_table(users: &[TopUser]) -> Table {
    Table {
        name: "Top users".into(),
        columns: vec![
            col("username", "User", Kind::Text, 16.0),
            col("server_name", "Server", Kind::Text, 16.0),
            col("cpu", "CPU (1 core = 100%)", Kind::Percent, 12.0),
            col("mem", "Memory", Kind::Percent, 10.0),
            col("rss_bytes", "Resident", Kind::Bytes, 12.0),
            col("process_count", "Processes", Kind::Number, 10.0),
            col("top_process", "Top process", Kind::Text, 20.0),
            col("timestamp", "Sampled (UTC)", Kind::Time, 20.0),
        ],
        rows: users
            .iter()
            .map(|u| {
                vec![
                    u.username.clone().into(),
                    u.server_name.clone().into(),
                    Some(u.cpu).into(),
                    Some(u.mem).into(),
                    Some(u.rss_bytes).into(),
                    Some(u.process_count).into(),
                    u.top_process.clone().into(),
                    u.timestamp.into(),
                ]
            })
            .collect(),
    }
}

fn overview_table(fleet: &[(ServerStatus, Option<Sample>)]) -> Table {
    Table {
        name: "Overview".into(),
        columns: vec![
            col("server_name", "Server", Kind::Text, 16.0),
            col("status", "Status", Kind::Text, 10.0),
            col("reason", "Offline reason", Kind::Text, 22.0),
            col("cpu_percent", "CPU", Kind::Percent, 9.0),
            col("ram_percentage", "RAM", Kind::Percent, 9.0),
            col("disk_percentage", "Disk", Kind::Percent, 9.0),
            col("cpu_load_5min", "Load 5m", Kind::Number, 9.0),
            col("logged_users", "Sessions", Kind::Number, 9.0),
            col("tcp_connections", "TCP conns", Kind::Number, 10.0),
            col("ram_total_bytes", "RAM total", Kind::Bytes, 12.0),
            col("uptime_seconds", "Uptime (s)", Kind::Number, 12.0),
            col("last_seen", "Last seen (UTC)", Kind::Time, 20.0),
        ],
        rows: fleet
            .iter()
            .map(|(st, s)| {
                let s = s.as_ref();
                vec![
                    st.server_name.clone().into(),
                    st.status.as_str().to_string().into(),
                    st.reason.map_or(Cell::Empty, |r| Cell::Text(r.as_str().into())),
                    s.and_then(|s| s.cpu_percent).into(),
                    s.and_then(|s| s.ram_percentage).into(),
                    s.and_then(|s| s.disk_percentage).into(),
                    s.and_then(|s| s.cpu_load_5min).into(),
                    s.and_then(|s| s.logged_users).into(),
                    s.and_then(|s| s.tcp_connections).into(),
                    s.and_then(|s| s.ram_total_bytes).into(),
                    s.and_then(|s| s.uptime_seconds).into(),
                    st.last_seen.map_or(Cell::Empty, Cell::Time),
                ]
            })
            .collect(),
    }
}

fn processes_table(rows: &[fleetwatch_store::ProcessRecord]) -> Table {
    Table {
        name: "Top processes".into(),
        columns: vec![
            col("server_name", "Server", Kind::Text, 16.0),
            col("rank", "Rank", Kind::Number, 6.0),
            col("pid", "PID", Kind::Number, 8.0),
            col("user", "User", Kind::Text, 14.0),
            col("command", "Command", Kind::Text, 28.0),
            col("cpu_percent", "CPU (1 core = 100%)", Kind::Percent, 12.0),
            col("rss_bytes", "Resident", Kind::Bytes, 12.0),
            col("threads", "Threads", Kind::Number, 8.0),
            col("timestamp", "Sampled (UTC)", Kind::Time, 20.0),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.server_name.clone().into(),
                    Some(r.rank).into(),
                    Some(r.process.pid).into(),
                    r.process.user.clone().into(),
                    r.process.command.clone().into(),
                    Some(r.process.cpu_percent).into(),
                    Some(r.process.rss_bytes).into(),
                    Some(r.process.threads).into(),
                    r.timestamp.into(),
                ]
            })
            .collect(),
    }
}
