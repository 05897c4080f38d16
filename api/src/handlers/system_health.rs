//! Seed 001's host-health endpoints, for one server (`?server=`, else the local machine if
//! configured, else the first server): `GET /api/system/health` (current figures),
//! `/api/system/health/metrics?hours=&interval=` (history with its summary),
//! `/api/system/health/containers` and `/api/system/health/containers/{id}` (one container's
//! history; `id` is the container's name, as `docker ps` shows it).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use fleetwatch_common::{ContainerInfo, HistoryPoint, SeriesPoint, Status};
use fleetwatch_store::TimeRange;
use serde::Serialize;

use super::chosen;
use crate::error::{ApiError, Result, echo};
use crate::extract::{Path, Query};
use crate::fleet::Fleet;
use crate::params::{HoursBack, Interval, ServerFilter};

/// `GET /api/system/health`: the server's status and latest headline figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SystemHealth {
    pub server_name: String,
    /// `online`, `warning`, `critical` or `offline`, by the dashboard's rules.
    pub status: Status,
    /// Why it is offline, in a safe sentence; `None` when it is not.
    pub detail: Option<String>,
    /// When the figures were collected; `None` before the first collection.
    pub timestamp: Option<DateTime<Utc>>,
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
    pub swap_percent: Option<f64>,
    pub disk_percent: Option<f64>,
    /// 1, 5 and 15 minutes.
    pub load_average: [Option<f64>; 3],
    pub uptime_seconds: Option<i64>,
    pub tcp_connections: Option<i64>,
    pub logged_users: Option<i64>,
    pub containers: Option<ContainerCounts>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContainerCounts {
    pub total: usize,
    pub running: usize,
    /// Health check reported `unhealthy`.
    pub unhealthy: usize,
}

/// `GET /api/system/health?server=`.
#[utoipa::path(
    get,
    path = "/api/system/health",
    tag = "system",
    params(crate::params::ServerFilter),
    responses((status = 200, description = "OK", body = SystemHealth))
)]
pub async fn health(State(fleet): State<Fleet>, Query(filter): Query<ServerFilter>) -> Result<Json<SystemHealth>> {
    let server = chosen(&fleet, filter.server.as_deref())?;
    let store = fleet.store();
    let (status, latest, details) = tokio::try_join!(
        fleet.status(&server.name),
        store.latest_sample(&server.name),
        store.details(&server.name, None)
    )?;
    let containers = details.and_then(|d| d.containers).map(|c| ContainerCounts {
        total: c.len(),
        running: c.iter().filter(|c| c.state == "running").count(),
        unhealthy: c.iter().filter(|c| c.health.as_deref() == Some("unhealthy")).count(),
    });
    let s = latest.as_ref();
    Ok(Json(SystemHealth {
        server_name: server.name.clone(),
        status: status.status,
        detail: status.detail,
        timestamp: s.map(|s| s.timestamp),
        cpu_percent: s.and_then(|s| s.cpu_percent),
        memory_percent: s.and_then(|s| s.ram_percentage),
        swap_percent: s.and_then(|s| s.swap_percentage),
        disk_percent: s.and_then(|s| s.disk_percentage),
        load_average: [
            s.and_then(|s| s.cpu_load_1min),
            s.and_then(|s| s.cpu_load_5min),
            s.and_then(|s| s.cpu_load_15min),
        ],
        uptime_seconds: s.and_then(|s| s.uptime_seconds),
        tcp_connections: s.and_then(|s| s.tcp_connections),
        logged_users: s.and_then(|s| s.logged_users),
        containers,
    }))
}

/// Average and maximum of one figure over the window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AvgMax {
    pub avg: Option<f64>,
    pub max: Option<f64>,
}

/// `GET /api/system/health/metrics`: the points (one per `interval` when given, else every
/// sample up to 1,000 points) and the window's summary per figure.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthMetrics {
    pub server_name: String,
    pub hours: u32,
    pub interval: Option<String>,
    pub metrics: Vec<HistoryPoint>,
    /// Keyed by figure: `cpu_percent`, `ram_percentage`, `disk_percentage`, … Computed from
    /// every stored sample of the window (or its rollups), not from the points above.
    pub summary: std::collections::BTreeMap<String, AvgMax>,
}

/// `GET /api/system/health/metrics?server=&hours=&interval=`.
#[utoipa::path(
    get,
    path = "/api/system/health/metrics",
    tag = "system",
    params(crate::params::ServerFilter, crate::params::HoursBack, crate::params::Interval),
    responses((status = 200, description = "OK", body = HealthMetrics))
)]
pub async fn metrics(
    State(fleet): State<Fleet>,
    Query(filter): Query<ServerFilter>,
    Query(HoursBack { hours }): Query<HoursBack>,
    Query(interval): Query<Interval>,
) -> Result<Json<HealthMetrics>> {
    let server = chosen(&fleet, filter.server.as_deref())?;
    let to = Utc::now();
    let from = to - chrono::Duration::hours(i64::from(hours.0));
    let range = interval.apply(TimeRange { from, to, max_points: Some(crate::params::DEFAULT_POINTS) });
    let store = fleet.store();
    let (points, figures) = tokio::try_join!(
        store.history(&server.name, range),
        store.summary(&server.name, &[], TimeRange { from, to, max_points: None })
    )?;
    let summary = figures.into_iter().map(|f| (f.figure, AvgMax { avg: f.avg, max: f.max })).collect();
    Ok(Json(HealthMetrics {
        server_name: server.name.clone(),
        hours: hours.0,
        interval: interval.interval.map(|s| s.as_str().to_owned()),
        metrics: points,
        summary,
    }))
}

/// `GET /api/system/health/containers`: the containers of the latest collection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthContainers {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    pub containers: Vec<ContainerInfo>,
}

/// `GET /api/system/health/containers?server=`; 404 when the server has no usable docker or
/// podman (or nothing was collected yet).
#[utoipa::path(
    get,
    path = "/api/system/health/containers",
    tag = "system",
    params(crate::params::ServerFilter),
    responses((status = 200, description = "OK", body = HealthContainers))
)]
pub async fn containers(
    State(fleet): State<Fleet>,
    Query(filter): Query<ServerFilter>,
) -> Result<Json<HealthContainers>> {
    let server = chosen(&fleet, filter.server.as_deref())?;
    let d = fleet
        .store()
        .details(&server.name, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("nothing collected for {} yet", server.name)))?;
    let containers =
        d.containers.ok_or_else(|| ApiError::NotFound(format!("no usable docker or podman on {}", server.name)))?;
    Ok(Json(HealthContainers { server_name: d.server_name, timestamp: d.timestamp, containers }))
}

/// `GET /api/system/health/containers/{id}`: the container as last collected and its CPU and
/// memory over the window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContainerHistory {
    pub server_name: String,
    pub hours: u32,
    pub container: ContainerInfo,
    /// When `container` was collected.
    pub timestamp: DateTime<Utc>,
    pub cpu_percent: Vec<SeriesPoint>,
    pub memory_bytes: Vec<SeriesPoint>,
}

/// `GET /api/system/health/containers/{id}?server=&hours=&interval=`.
#[utoipa::path(
    get,
    path = "/api/system/health/containers/{id}",
    tag = "system",
    params(("id" = String, Path, description = "A container's id or name"), crate::params::ServerFilter, crate::params::HoursBack, crate::params::Interval),
    responses((status = 200, description = "OK", body = ContainerHistory))
)]
pub async fn container(
    State(fleet): State<Fleet>,
    Path(id): Path<String>,
    Query(filter): Query<ServerFilter>,
    Query(HoursBack { hours }): Query<HoursBack>,
    Query(interval): Query<Interval>,
) -> Result<Json<ContainerHistory>> {
    let server = chosen(&fleet, filter.server.as_deref())?;
    let store = fleet.store();
    let d = store
        .details(&server.name, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("nothing collected for {} yet", server.name)))?;
    let container = d
        .containers
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.name == id)
        .ok_or_else(|| ApiError::NotFound(format!("no container {:?} on {}", echo(&id), server.name)))?;
    let to = Utc::now();
    let from = to - chrono::Duration::hours(i64::from(hours.0));
    let range = interval.apply(TimeRange { from, to, max_points: Some(crate::params::DEFAULT_POINTS) });
    let (cpu_name, mem_name) = (format!("container[{id}].cpu_percent"), format!("container[{id}].memory_bytes"));
    let (cpu, mem) =
        tokio::try_join!(store.series(&server.name, &cpu_name, range), store.series(&server.name, &mem_name, range))?;
    Ok(Json(ContainerHistory {
        server_name: d.server_name,
        hours: hours.0,
        container,
        timestamp: d.timestamp,
        cpu_percent: cpu,
        memory_bytes: mem,
    }))
}
