//! Seed 000's single-host endpoints, `GET /api/metrics/{cpu,memory,disk,all}`, and seed 002's
//! `GET /api/metrics/recent`: the latest stored figures of one server (`?server=`, else the
//! local machine if configured, else the first server) under the seeds' psutil-style names.
//! They read the same stored collection as the dashboard; nothing is measured on the API host.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use fleetwatch_common::{Details, HistoryPoint, ProcessInfo};
use fleetwatch_store::TimeRange;
use serde::Serialize;

use super::chosen;
use crate::error::{ApiError, Result};
use crate::extract::Query;
use crate::fleet::Fleet;
use crate::params::{Recent, ServerFilter};

/// `GET /api/metrics/cpu`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CpuMetrics {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    /// Busy share of all cores over the last interval, 0–100.
    pub cpu_percent: Option<f64>,
    pub cpu_count: Option<i64>,
    /// 1, 5 and 15 minutes.
    pub load_average: [Option<f64>; 3],
    /// Busy share of each core, in core order.
    pub per_cpu_percent: Vec<f64>,
    pub user: Option<f64>,
    pub system: Option<f64>,
    pub iowait: Option<f64>,
    pub steal: Option<f64>,
    pub idle: Option<f64>,
    pub frequency_mhz: Option<f64>,
    pub model: Option<String>,
}

/// `GET /api/metrics/memory`: bytes, and percentages 0–100.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemoryMetrics {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    pub total: Option<i64>,
    pub available: Option<i64>,
    pub used: Option<i64>,
    pub free: Option<i64>,
    pub percent: Option<f64>,
    pub buffers: Option<i64>,
    pub cached: Option<i64>,
    pub swap: SwapMetrics,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SwapMetrics {
    pub total: Option<i64>,
    pub used: Option<i64>,
    pub free: Option<i64>,
    pub percent: Option<f64>,
}

/// `GET /api/metrics/disk`: every real mount, fullest first, and the block devices' I/O.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DiskMetrics {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    pub partitions: Vec<Partition>,
    pub io: Vec<DiskIoMetrics>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Partition {
    pub device: String,
    pub mountpoint: String,
    pub fstype: String,
    pub total: i64,
    pub used: i64,
    pub free: i64,
    pub percent: f64,
    pub inodes_percent: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DiskIoMetrics {
    pub device: String,
    pub read_bytes_per_sec: f64,
    pub write_bytes_per_sec: f64,
    pub reads_per_sec: f64,
    pub writes_per_sec: f64,
    pub busy_percent: f64,
}

/// `GET /api/metrics/all`: the three above in one answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AllMetrics {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    pub cpu: CpuMetrics,
    pub memory: MemoryMetrics,
    pub disk: DiskMetrics,
}

/// The latest stored details of the chosen server; 404 before its first collection.
async fn latest(fleet: &Fleet, filter: &ServerFilter) -> Result<Details> {
    let server = chosen(fleet, filter.server.as_deref())?;
    fleet
        .store()
        .details(&server.name, None)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no figures collected for {} yet", server.name)))
}

fn cpu(d: &Details) -> CpuMetrics {
    let c = d.cpu.as_ref();
    let total = c.and_then(|c| c.total.as_ref());
    CpuMetrics {
        server_name: d.server_name.clone(),
        timestamp: d.timestamp,
        cpu_percent: total.map(|t| t.busy),
        cpu_count: c.map(|c| c.core_count),
        load_average: [c.and_then(|c| c.load_1), c.and_then(|c| c.load_5), c.and_then(|c| c.load_15)],
        per_cpu_percent: c.map(|c| c.cores.iter().map(|k| k.busy).collect()).unwrap_or_default(),
        user: total.map(|t| t.user),
        system: total.map(|t| t.system),
        iowait: total.map(|t| t.iowait),
        steal: total.map(|t| t.steal),
        idle: total.map(|t| t.idle),
        frequency_mhz: c.and_then(|c| c.mhz),
        model: c.and_then(|c| c.model.clone()),
    }
}

fn memory(d: &Details) -> MemoryMetrics {
    let m = d.memory.as_ref();
    MemoryMetrics {
        server_name: d.server_name.clone(),
        timestamp: d.timestamp,
        total: m.map(|m| m.total),
        available: m.map(|m| m.available),
        used: m.map(|m| m.used),
        free: m.map(|m| m.free),
        percent: m.map(|m| m.used_percent),
        buffers: m.map(|m| m.buffers),
        cached: m.map(|m| m.cached),
        swap: SwapMetrics {
            total: m.map(|m| m.swap_total),
            used: m.map(|m| m.swap_used),
            free: m.map(|m| (m.swap_total - m.swap_used).max(0)),
            percent: m.map(|m| m.swap_percent),
        },
    }
}

fn disk(d: &Details) -> DiskMetrics {
    let mut partitions: Vec<Partition> = d
        .disks
        .iter()
        .map(|u| Partition {
            device: u.device.clone(),
            mountpoint: u.mount.clone(),
            fstype: u.fstype.clone(),
            total: u.size_bytes,
            used: u.used_bytes,
            free: u.available_bytes,
            percent: u.used_percent,
            inodes_percent: u.inodes_percent,
        })
        .collect();
    partitions.sort_by(|a, b| b.percent.total_cmp(&a.percent).then_with(|| a.mountpoint.cmp(&b.mountpoint)));
    let io = d
        .disk_io
        .iter()
        .map(|i| DiskIoMetrics {
            device: i.device.clone(),
            read_bytes_per_sec: i.read_bytes_per_sec,
            write_bytes_per_sec: i.write_bytes_per_sec,
            reads_per_sec: i.reads_per_sec,
            writes_per_sec: i.writes_per_sec,
            busy_percent: i.busy_percent,
        })
        .collect();
    DiskMetrics { server_name: d.server_name.clone(), timestamp: d.timestamp, partitions, io }
}

/// `GET /api/metrics/cpu?server=`.
#[utoipa::path(
    get,
    path = "/api/metrics/cpu",
    tag = "metrics",
    params(crate::params::ServerFilter),
    responses((status = 200, description = "OK", body = CpuMetrics))
)]
pub async fn cpu_metrics(State(fleet): State<Fleet>, Query(filter): Query<ServerFilter>) -> Result<Json<CpuMetrics>> {
    Ok(Json(cpu(&latest(&fleet, &filter).await?)))
}

/// `GET /api/metrics/memory?server=`.
#[utoipa::path(
    get,
    path = "/api/metrics/memory",
    tag = "metrics",
    params(crate::params::ServerFilter),
    responses((status = 200, description = "OK", body = MemoryMetrics))
)]
pub async fn memory_metrics(
    State(fleet): State<Fleet>,
    Query(filter): Query<ServerFilter>,
) -> Result<Json<MemoryMetrics>> {
    Ok(Json(memory(&latest(&fleet, &filter).await?)))
}

/// `GET /api/metrics/disk?server=`.
#[utoipa::path(
    get,
    path = "/api/metrics/disk",
    tag = "metrics",
    params(crate::params::ServerFilter),
    responses((status = 200, description = "OK", body = DiskMetrics))
)]
pub async fn disk_metrics(State(fleet): State<Fleet>, Query(filter): Query<ServerFilter>) -> Result<Json<DiskMetrics>> {
    Ok(Json(disk(&latest(&fleet, &filter).await?)))
}

/// `GET /api/metrics/all?server=`.
#[utoipa::path(
    get,
    path = "/api/metrics/all",
    tag = "metrics",
    params(crate::params::ServerFilter),
    responses((status = 200, description = "OK", body = AllMetrics))
)]
pub async fn all_metrics(State(fleet): State<Fleet>, Query(filter): Query<ServerFilter>) -> Result<Json<AllMetrics>> {
    let d = latest(&fleet, &filter).await?;
    Ok(Json(AllMetrics {
        server_name: d.server_name.clone(),
        timestamp: d.timestamp,
        cpu: cpu(&d),
        memory: memory(&d),
        disk: disk(&d),
    }))
}

/// One process of seed 002's top five.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopProcess {
    pub pid: i64,
    pub name: String,
    pub username: String,
    pub cpu_percent: f64,
    pub memory_percent: f64,
    pub rss_bytes: i64,
    pub num_threads: i64,
    /// Open file descriptors; `None` where the account may not read the process's `fd/`.
    pub open_files: Option<i64>,
}

impl From<&ProcessInfo> for TopProcess {
    fn from(p: &ProcessInfo) -> Self {
        Self {
            pid: p.pid,
            name: p.command.clone(),
            username: p.user.clone(),
            cpu_percent: p.cpu_percent,
            memory_percent: p.mem_percent,
            rss_bytes: p.rss_bytes,
            num_threads: p.threads,
            open_files: p.open_fds,
        }
    }
}

/// `GET /api/metrics/recent`: the chosen server's samples of the last `minutes` (oldest first)
/// and the five busiest processes of its latest collection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecentMetrics {
    pub server_name: String,
    pub minutes: u32,
    pub metrics: Vec<HistoryPoint>,
    /// By CPU, busiest first, with threads and open files.
    pub top_processes: Vec<TopProcess>,
    /// When the processes were collected.
    pub processes_timestamp: Option<DateTime<Utc>>,
}

/// `GET /api/metrics/recent?server=&minutes=`.
#[utoipa::path(
    get,
    path = "/api/metrics/recent",
    tag = "metrics",
    params(crate::params::ServerFilter, crate::params::Recent),
    responses((status = 200, description = "OK", body = RecentMetrics))
)]
pub async fn recent(
    State(fleet): State<Fleet>,
    Query(filter): Query<ServerFilter>,
    Query(Recent { minutes }): Query<Recent>,
) -> Result<Json<RecentMetrics>> {
    let server = chosen(&fleet, filter.server.as_deref())?;
    let since = Utc::now() - chrono::Duration::minutes(i64::from(minutes.0));
    let range = TimeRange::since(since);
    let (metrics, details) =
        tokio::try_join!(fleet.store().history(&server.name, range), fleet.store().details(&server.name, None))?;
    let (top_processes, processes_timestamp) = match &details {
        Some(d) => {
            let mut by_cpu: Vec<&ProcessInfo> = d.processes_by_cpu.iter().collect();
            by_cpu.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent).then(a.pid.cmp(&b.pid)));
            (by_cpu.into_iter().take(5).map(TopProcess::from).collect(), Some(d.timestamp))
        }
        None => (Vec::new(), None),
    };
    Ok(Json(RecentMetrics {
        server_name: server.name.clone(),
        minutes: minutes.0,
        metrics,
        top_processes,
        processes_timestamp,
    }))
}
