//! `/api/servers/{name}/{cpu|memory|disks|network|processes|users|sessions|containers|system}`
//! (optionally `?at=RFC3339` for the snapshot in force then) and the named series behind the
//! history charts, `/api/servers/{name}/metrics/series`.

use std::str::FromStr;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fleetwatch_common::{Details, DisksSection, NetworkSection, ProcessesSection, Section};
use serde::Serialize;

use super::known;
use crate::error::{ApiError, Result, echo};
use crate::extract::{Path, Query};
use crate::fleet::Fleet;
use crate::params::{At, Interval, Points, SeriesName, Window};

/// The parts of a server's latest collection that `/api/servers/{name}/{section}` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionName {
    Cpu,
    Memory,
    Disks,
    Network,
    Processes,
    Users,
    Sessions,
    Containers,
    System,
}

impl SectionName {
    pub const ALL: [Self; 9] = [
        Self::Cpu,
        Self::Memory,
        Self::Disks,
        Self::Network,
        Self::Processes,
        Self::Users,
        Self::Sessions,
        Self::Containers,
        Self::System,
    ];

    /// The name in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
            Self::Disks => "disks",
            Self::Network => "network",
            Self::Processes => "processes",
            Self::Users => "users",
            Self::Sessions => "sessions",
            Self::Containers => "containers",
            Self::System => "system",
        }
    }
}

impl FromStr for SectionName {
    /// A 404 naming the sections there are.
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| {
            let all: Vec<&str> = Self::ALL.iter().map(|n| n.as_str()).collect();
            ApiError::NotFound(format!("no section {:?}: use one of {}", echo(s), all.join(", ")))
        })
    }
}

/// `GET /api/servers/{server_name}/{section}?at=`.
#[utoipa::path(
    get,
    path = "/api/servers/{server_name}/{section}",
    tag = "servers",
    params(("server_name" = String, Path, description = "A configured server's name"), ("section" = crate::schemas::SectionPath, Path, description = "Which part of the details"), crate::params::At),
    responses((status = 200, description = "One section of the latest details (or of those in force at `at`)", body = crate::schemas::SectionAnswer))
)]
pub async fn section(
    State(fleet): State<Fleet>,
    Path((name, section)): Path<(String, String)>,
    Query(At { at }): Query<At>,
) -> Result<Response> {
    known(&fleet, &name)?;
    let section: SectionName = section.parse()?;
    if section == SectionName::Users {
        let users = match at {
            Some(at) => fleet.store().users_at(&name, at).await?,
            None => fleet.store().top_users(Some(&name), 1000).await?,
        };
        let timestamp = users.first().map(|u| u.timestamp);
        let timestamp = timestamp.ok_or_else(|| ApiError::NotFound(format!("no users collected for {name} yet")))?;
        return Ok(Json(Section { server_name: name, timestamp, data: users }).into_response());
    }
    let d = fleet
        .store()
        .details(&name, at)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no details collected for {name} yet")))?;
    let data = pick(&d, section)?;
    Ok(Json(Section { server_name: d.server_name, timestamp: d.timestamp, data }).into_response())
}

/// The part of `d` that `section` shows; a 404 when that part was not collected.
fn pick(d: &Details, section: SectionName) -> Result<serde_json::Value> {
    let missing = |what: &str| ApiError::NotFound(format!("{what} on {}", d.server_name));
    match section {
        SectionName::Cpu => json(d.cpu.as_ref().ok_or_else(|| missing("no CPU figures"))?),
        SectionName::Memory => json(d.memory.as_ref().ok_or_else(|| missing("no memory figures"))?),
        SectionName::Disks => json(&DisksSection { usage: d.disks.clone(), io: d.disk_io.clone() }),
        SectionName::Network => json(&NetworkSection { interfaces: d.network.clone(), tcp: d.tcp.clone() }),
        SectionName::Processes => {
            json(&ProcessesSection { by_cpu: d.processes_by_cpu.clone(), by_memory: d.processes_by_memory.clone() })
        }
        SectionName::Sessions => json(&d.sessions),
        SectionName::Containers => json(d.containers.as_ref().ok_or_else(|| missing("no usable docker or podman"))?),
        SectionName::System => json(d.system.as_ref().ok_or_else(|| missing("no system information"))?),
        // Read from the users table, not the details (answered by `section`).
        SectionName::Users => Err(ApiError::Internal("the users section is not in the details".into())),
    }
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string()))
}

/// `GET /api/servers/{server_name}/metrics/series?name=&from=&to=&max_points=&interval=`.
/// Without `name`: the series names of the latest sample. With `name`: its points within
/// `from`/`to` (default: the last 24 hours), averaged into at most `max_points` (or one per
/// `interval`: `1m`, `5m`, `15m`, `1h`), each with the lowest and highest value within it
/// (`min`, `max`). Long windows are read from the rollup tiers.
#[utoipa::path(
    get,
    path = "/api/servers/{server_name}/metrics/series",
    tag = "servers",
    params(("server_name" = String, Path, description = "A configured server's name"), crate::params::SeriesName, crate::params::Window, crate::params::Points, crate::params::Interval),
    responses((status = 200, description = "Without `name`: the series names; with it: its points", body = crate::schemas::SeriesAnswer))
)]
pub async fn series(
    State(fleet): State<Fleet>,
    Path(server): Path<String>,
    Query(SeriesName { name }): Query<SeriesName>,
    Query(window): Query<Window>,
    Query(points): Query<Points>,
    Query(interval): Query<Interval>,
) -> Result<Response> {
    known(&fleet, &server)?;
    let Some(series) = name else {
        return Ok(Json(fleet.store().series_names(&server).await?).into_response());
    };
    let range = interval.apply(window.range(points.max_points.0)?);
    Ok(Json(fleet.store().series(&server, &series, range).await?).into_response())
}
