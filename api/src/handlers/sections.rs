//! `/api/servers/{name}/{cpu|memory|disks|network|processes|users|sessions|containers|system}`
//! (optionally `?at=RFC3339` for the snapshot in force then) and the named series behind the
//! history charts, `/api/servers/{name}/metrics/series`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use fleetwatch_common::{Details, DisksSection, NetworkSection, ProcessesSection, Section};
use fleetwatch_store::TimeRange;
use serde::Serialize;

use super::servers::{max_points, time_window};
use super::{known, parse_time, truncate};
use crate::error::{ApiError, Result};
use crate::state::AppState;

pub const SECTIONS: [&str; 9] =
    ["cpu", "memory", "disks", "network", "processes", "users", "sessions", "containers", "system"];

pub async fn section(
    State(state): State<AppState>,
    Path((name, section)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    known(&state, &name)?;
    if !SECTIONS.contains(&section.as_str()) {
        return Err(ApiError::NotFound(format!(
            "no section {:?}: use one of {}",
            truncate(&section),
            SECTIONS.join(", ")
        )));
    }
    if section == "users" {
        let users = state.store.top_users(Some(&name), 1000).await?;
        let timestamp = users.first().map(|u| u.timestamp);
        let timestamp = timestamp.ok_or_else(|| ApiError::NotFound(format!("no users collected for {name} yet")))?;
        return Ok(Json(Section { server_name: name, timestamp, data: users }).into_response());
    }
    let at = q.get("at").map(|t| parse_time("at", t)).transpose()?;
    let d = state
        .store
        .details(&name, at)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no details collected for {name} yet")))?;
    let missing = |what: &str| ApiError::NotFound(format!("{what} on {name}"));
    let wrap = |d: &Details, data: serde_json::Value| {
        Json(Section { server_name: d.server_name.clone(), timestamp: d.timestamp, data }).into_response()
    };
    let data = match section.as_str() {
        "cpu" => json(d.cpu.as_ref().ok_or_else(|| missing("no CPU figures"))?),
        "memory" => json(d.memory.as_ref().ok_or_else(|| missing("no memory figures"))?),
        "disks" => json(&DisksSection { usage: d.disks.clone(), io: d.disk_io.clone() }),
        "network" => json(&NetworkSection { interfaces: d.network.clone(), tcp: d.tcp.clone() }),
        "processes" => {
            json(&ProcessesSection { by_cpu: d.processes_by_cpu.clone(), by_memory: d.processes_by_memory.clone() })
        }
        "sessions" => json(&d.sessions),
        "containers" => json(d.containers.as_ref().ok_or_else(|| missing("no usable docker or podman"))?),
        _ => json(d.system.as_ref().ok_or_else(|| missing("no system information"))?),
    }?;
    Ok(wrap(&d, data))
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Without `name`: the series names of the latest sample. With `name`: its points within
/// `from`/`to` (default: the last 24 hours), averaged into at most `max_points`.
pub async fn series(
    State(state): State<AppState>,
    Path(server): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    known(&state, &server)?;
    let Some(series) = q.get("name") else {
        return Ok(Json(state.store.series_names(&server).await?).into_response());
    };
    let (from, to) = time_window(&q)?;
    let max_points = max_points(&q)?;
    let points = state.store.series(&server, series, TimeRange { from, to, max_points: Some(max_points) }).await?;
    Ok(Json(points).into_response())
}
