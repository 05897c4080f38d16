//! Everything collected about a server in one cycle beyond the headline [`crate::Sample`]:
//! served by `GET /api/servers/{name}/{cpu|memory|disks|network|processes|users|sessions|containers|system}`.
//! Rates are per second over the interval since the previous cycle on the same connection;
//! `None` or an empty list means "not available on this server", never zero.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// All sections of one cycle. Each is independent: one failing leaves the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Details {
    pub server_name: String,
    pub timestamp: DateTime<Utc>,
    pub cpu: Option<CpuStats>,
    pub memory: Option<MemoryStats>,
    pub disks: Vec<DiskUsage>,
    pub disk_io: Vec<DiskIo>,
    pub network: Vec<NetInterface>,
    pub tcp: Option<TcpStats>,
    pub sessions: Vec<Session>,
    pub system: Option<SystemInfo>,
    /// Top N by CPU over the interval.
    pub processes_by_cpu: Vec<ProcessInfo>,
    /// Top N by resident memory.
    pub processes_by_memory: Vec<ProcessInfo>,
    /// `None` where neither docker nor podman is usable by the SSH user.
    pub containers: Option<Vec<ContainerInfo>>,
    /// Sections that failed, as "section: reason".
    pub section_errors: Vec<String>,
}

/// CPU time split over the interval, in percent of the CPU (or core) the line describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CpuBreakdown {
    /// `cpu` for the total, `cpu0`, `cpu1`, … per core.
    pub name: String,
    /// 100 − idle − iowait.
    pub busy: f64,
    pub user: f64,
    pub nice: f64,
    pub system: f64,
    pub iowait: f64,
    pub irq: f64,
    pub softirq: f64,
    pub steal: f64,
    pub idle: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CpuStats {
    /// `None` on the first reading of a connection if no baseline could be taken.
    pub total: Option<CpuBreakdown>,
    pub cores: Vec<CpuBreakdown>,
    pub core_count: i64,
    pub load_1: Option<f64>,
    pub load_5: Option<f64>,
    pub load_15: Option<f64>,
    pub model: Option<String>,
    /// Current frequency of the first core, where the kernel reports it.
    pub mhz: Option<f64>,
}

/// Bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemoryStats {
    pub total: i64,
    /// total − available.
    pub used: i64,
    /// MemAvailable, or MemFree + Buffers + Cached + SReclaimable where the kernel lacks it.
    pub available: i64,
    pub free: i64,
    pub buffers: i64,
    pub cached: i64,
    pub swap_total: i64,
    pub swap_used: i64,
    pub used_percent: f64,
    pub swap_percent: f64,
    /// True when `available` was estimated because MemAvailable is missing.
    pub available_estimated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiskUsage {
    pub mount: String,
    pub device: String,
    pub fstype: String,
    pub size_bytes: i64,
    pub used_bytes: i64,
    pub available_bytes: i64,
    pub used_percent: f64,
    pub inodes_total: Option<i64>,
    pub inodes_used: Option<i64>,
    pub inodes_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiskIo {
    pub device: String,
    pub read_bytes_per_sec: f64,
    pub write_bytes_per_sec: f64,
    pub reads_per_sec: f64,
    pub writes_per_sec: f64,
    /// Time the device was busy, percent of the interval.
    pub busy_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NetInterface {
    pub name: String,
    pub rx_bytes_per_sec: f64,
    pub tx_bytes_per_sec: f64,
    pub rx_packets_per_sec: f64,
    pub tx_packets_per_sec: f64,
    /// Errors and drops during the interval.
    pub rx_errors: i64,
    pub tx_errors: i64,
    pub rx_drops: i64,
    pub tx_drops: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TcpStats {
    /// Connections per state name (`ESTABLISHED`, `TIME_WAIT`, `LISTEN`, …), IPv4 and IPv6.
    pub states: BTreeMap<String, i64>,
    pub listening: Vec<ListeningPort>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListeningPort {
    /// `tcp` or `tcp6`.
    pub protocol: String,
    pub address: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub user: String,
    pub tty: String,
    /// Remote host or address, where the login came from the network.
    pub from: Option<String>,
    pub login_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemInfo {
    pub hostname: Option<String>,
    /// `PRETTY_NAME` of os-release.
    pub os: Option<String>,
    pub os_id: Option<String>,
    pub os_version: Option<String>,
    pub kernel: Option<String>,
    pub architecture: Option<String>,
    pub uptime_seconds: Option<i64>,
    pub boot_time: Option<DateTime<Utc>>,
    pub processes: Option<i64>,
    pub threads: Option<i64>,
    pub open_files: Option<i64>,
    pub max_files: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProcessInfo {
    pub pid: i64,
    pub user: String,
    pub command: String,
    /// Percent of one core over the interval.
    pub cpu_percent: f64,
    pub rss_bytes: i64,
    pub mem_percent: f64,
    pub threads: i64,
    /// Where readable by the SSH user.
    pub open_fds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContainerInfo {
    pub name: String,
    pub image: String,
    /// running, exited, paused, …
    pub state: String,
    pub health: Option<String>,
    pub exit_code: Option<i64>,
    pub cpu_percent: Option<f64>,
    pub memory_bytes: Option<i64>,
    pub memory_limit_bytes: Option<i64>,
    pub net_rx_bytes: Option<i64>,
    pub net_tx_bytes: Option<i64>,
    pub block_read_bytes: Option<i64>,
    pub block_write_bytes: Option<i64>,
}

impl Details {
    /// Every numeric figure of this snapshot as a named series point, for history charts.
    /// Names: `cpu.<field>`, `cpu<N>.busy`, `mem.<field>`, `disk[<mount>].<field>`,
    /// `diskio[<device>].<field>`, `net[<interface>].<field>`, `tcp[<STATE>]`, `system.<field>`,
    /// `container[<name>].<field>`. Non-finite values are left out.
    pub fn series(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut push = |name: String, v: f64| {
            if v.is_finite() {
                out.push((name, v));
            }
        };
        if let Some(cpu) = &self.cpu {
            if let Some(t) = &cpu.total {
                for (k, v) in [
                    ("busy", t.busy),
                    ("user", t.user),
                    ("nice", t.nice),
                    ("system", t.system),
                    ("iowait", t.iowait),
                    ("irq", t.irq),
                    ("softirq", t.softirq),
                    ("steal", t.steal),
                    ("idle", t.idle),
                ] {
                    push(format!("cpu.{k}"), v);
                }
            }
            for core in &cpu.cores {
                push(format!("{}.busy", core.name), core.busy);
            }
            for (k, v) in [("load_1", cpu.load_1), ("load_5", cpu.load_5), ("load_15", cpu.load_15), ("mhz", cpu.mhz)] {
                if let Some(v) = v {
                    push(format!("cpu.{k}"), v);
                }
            }
        }
        if let Some(m) = &self.memory {
            for (k, v) in [
                ("used_bytes", m.used as f64),
                ("available_bytes", m.available as f64),
                ("buffers_bytes", m.buffers as f64),
                ("cached_bytes", m.cached as f64),
                ("swap_used_bytes", m.swap_used as f64),
                ("used_percent", m.used_percent),
                ("swap_percent", m.swap_percent),
            ] {
                push(format!("mem.{k}"), v);
            }
        }
        for d in &self.disks {
            push(format!("disk[{}].used_percent", d.mount), d.used_percent);
            push(format!("disk[{}].used_bytes", d.mount), d.used_bytes as f64);
            if let Some(p) = d.inodes_percent {
                push(format!("disk[{}].inodes_percent", d.mount), p);
            }
        }
        for d in &self.disk_io {
            for (k, v) in [
                ("read_bytes_per_sec", d.read_bytes_per_sec),
                ("write_bytes_per_sec", d.write_bytes_per_sec),
                ("reads_per_sec", d.reads_per_sec),
                ("writes_per_sec", d.writes_per_sec),
                ("busy_percent", d.busy_percent),
            ] {
                push(format!("diskio[{}].{k}", d.device), v);
            }
        }
        for n in &self.network {
            for (k, v) in [
                ("rx_bytes_per_sec", n.rx_bytes_per_sec),
                ("tx_bytes_per_sec", n.tx_bytes_per_sec),
                ("rx_packets_per_sec", n.rx_packets_per_sec),
                ("tx_packets_per_sec", n.tx_packets_per_sec),
                ("rx_errors", n.rx_errors as f64),
                ("tx_errors", n.tx_errors as f64),
                ("rx_drops", n.rx_drops as f64),
                ("tx_drops", n.tx_drops as f64),
            ] {
                push(format!("net[{}].{k}", n.name), v);
            }
        }
        if let Some(tcp) = &self.tcp {
            for (state, n) in &tcp.states {
                push(format!("tcp[{state}]"), *n as f64);
            }
        }
        if let Some(s) = &self.system {
            for (k, v) in [("processes", s.processes), ("threads", s.threads), ("open_files", s.open_files)] {
                if let Some(v) = v {
                    push(format!("system.{k}"), v as f64);
                }
            }
        }
        for c in self.containers.iter().flatten() {
            if let Some(v) = c.cpu_percent {
                push(format!("container[{}].cpu_percent", c.name), v);
            }
            if let Some(v) = c.memory_bytes {
                push(format!("container[{}].memory_bytes", c.name), v as f64);
            }
            // Totals since the container started, as `docker stats` gives them.
            for (k, v) in [
                ("net_rx_bytes", c.net_rx_bytes),
                ("net_tx_bytes", c.net_tx_bytes),
                ("block_read_bytes", c.block_read_bytes),
                ("block_write_bytes", c.block_write_bytes),
            ] {
                if let Some(v) = v {
                    push(format!("container[{}].{k}", c.name), v as f64);
                }
            }
        }
        // A name may repeat (two mounts of one path): keep the first, as the primary key wants.
        let mut seen = std::collections::HashSet::new();
        out.retain(|(n, _)| seen.insert(n.clone()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_names_cover_every_section_and_skip_non_finite_values() {
        let d = Details {
            cpu: Some(CpuStats {
                total: Some(CpuBreakdown { name: "cpu".into(), busy: 12.5, ..Default::default() }),
                cores: vec![CpuBreakdown { name: "cpu0".into(), busy: f64::NAN, ..Default::default() }],
                load_1: Some(0.5),
                ..Default::default()
            }),
            disks: vec![DiskUsage { mount: "/var/lib".into(), used_percent: 40.0, ..Default::default() }],
            network: vec![NetInterface { name: "eth0".into(), rx_bytes_per_sec: 10.0, ..Default::default() }],
            tcp: Some(TcpStats { states: [("ESTABLISHED".to_string(), 3)].into(), listening: vec![] }),
            containers: Some(vec![ContainerInfo {
                name: "web".into(),
                cpu_percent: Some(1.5),
                net_rx_bytes: Some(100),
                net_tx_bytes: Some(200),
                block_read_bytes: Some(300),
                block_write_bytes: None,
                ..Default::default()
            }]),
            ..Default::default()
        };
        let s: std::collections::HashMap<String, f64> = d.series().into_iter().collect();
        assert_eq!(s.get("cpu.busy"), Some(&12.5));
        assert_eq!(s.get("cpu.load_1"), Some(&0.5));
        assert!(!s.contains_key("cpu0.busy"), "NaN is left out");
        assert_eq!(s.get("disk[/var/lib].used_percent"), Some(&40.0));
        assert_eq!(s.get("net[eth0].rx_bytes_per_sec"), Some(&10.0));
        assert_eq!(s.get("tcp[ESTABLISHED]"), Some(&3.0));
        assert_eq!(s.get("container[web].cpu_percent"), Some(&1.5));
        assert_eq!(s.get("container[web].net_rx_bytes"), Some(&100.0));
        assert_eq!(s.get("container[web].net_tx_bytes"), Some(&200.0));
        assert_eq!(s.get("container[web].block_read_bytes"), Some(&300.0));
        assert!(!s.contains_key("container[web].block_write_bytes"), "not reported: no point");
    }
}
