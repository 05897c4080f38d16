//! Test data shared by the unit tests: one server's sample and details with every section.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use fleetwatch_common::{
    ContainerInfo, CpuBreakdown, CpuStats, Details, DiskIo, DiskUsage, MemoryStats, NetInterface, Sample, SystemInfo,
    TcpStats,
};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).single().unwrap_or_default()
}

pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

pub fn sample(name: &str, cpu: f64, when: DateTime<Utc>) -> Sample {
    Sample {
        server_name: name.into(),
        cpu_percent: Some(cpu),
        cpu_load_1min: Some(0.5),
        ram_percentage: Some(40.0),
        swap_percentage: Some(0.0),
        disk_percentage: Some(55.0),
        tcp_connections: Some(12),
        uptime_seconds: Some(86_400),
        timestamp: when,
        ..Default::default()
    }
}

/// Every section filled, every optional figure present, so each series name exists.
pub fn details(name: &str, when: DateTime<Utc>) -> Details {
    let core = |n: &str, busy: f64| CpuBreakdown { name: n.into(), busy, ..Default::default() };
    Details {
        server_name: name.into(),
        timestamp: when,
        cpu: Some(CpuStats {
            total: Some(CpuBreakdown {
                name: "cpu".into(),
                busy: 30.0,
                user: 20.0,
                iowait: 2.0,
                idle: 68.0,
                ..Default::default()
            }),
            cores: vec![core("cpu0", 25.0), core("cpu1", 35.0)],
            core_count: 2,
            load_1: Some(0.5),
            load_5: Some(0.4),
            load_15: Some(0.3),
            model: None,
            mhz: Some(2400.0),
        }),
        memory: Some(MemoryStats {
            total: 8_000,
            used: 3_200,
            available: 4_800,
            swap_total: 1_000,
            swap_used: 100,
            used_percent: 40.0,
            swap_percent: 10.0,
            ..Default::default()
        }),
        disks: vec![
            DiskUsage {
                mount: "/".into(),
                used_percent: 55.0,
                used_bytes: 55,
                inodes_percent: Some(10.0),
                ..Default::default()
            },
            DiskUsage {
                mount: "/var".into(),
                used_percent: 93.0,
                used_bytes: 93,
                inodes_percent: Some(20.0),
                ..Default::default()
            },
        ],
        disk_io: vec![DiskIo { device: "sda".into(), busy_percent: 5.0, ..Default::default() }],
        network: vec![NetInterface {
            name: "eth0".into(),
            rx_bytes_per_sec: 100.0,
            rx_errors: 1,
            ..Default::default()
        }],
        tcp: Some(TcpStats {
            states: [("ESTABLISHED".to_string(), 12), ("TIME_WAIT".to_string(), 3)].into(),
            listening: vec![],
        }),
        sessions: vec![],
        system: Some(SystemInfo {
            processes: Some(180),
            threads: Some(400),
            open_files: Some(2_000),
            ..Default::default()
        }),
        processes_by_cpu: vec![],
        processes_by_memory: vec![],
        containers: Some(vec![
            ContainerInfo {
                name: "web".into(),
                state: "running".into(),
                cpu_percent: Some(3.0),
                memory_bytes: Some(64),
                ..Default::default()
            },
            ContainerInfo { name: "job".into(), state: "exited".into(), exit_code: Some(0), ..Default::default() },
        ]),
        section_errors: vec![],
    }
}

/// Variables and files of a test, instead of the process's.
#[derive(Default)]
pub struct Secrets(pub BTreeMap<String, String>);

impl crate::channel::SecretSource for Secrets {
    fn env(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
    fn file(&self, path: &Path) -> Result<String, String> {
        self.0.get(&path.display().to_string()).cloned().ok_or_else(|| "No such file or directory".to_owned())
    }
}

/// Rules from an `[alerts]` section in TOML, with a 10-minute `stale_after`.
pub fn rules(toml_text: &str) -> crate::RuleSet {
    let cfg: crate::AlertsConfig = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
    let defaults = crate::Defaults { stale_after: std::time::Duration::from_secs(600), ..Default::default() };
    match cfg.validate(&defaults, &Secrets::default()) {
        Ok(a) => a.rules,
        Err(e) => panic!("{e}"),
    }
}

/// A server that answered with `sample` (and `details`).
pub fn view<'a>(sample: &'a Sample, details: Option<&'a Details>) -> crate::ServerView<'a> {
    crate::ServerView {
        name: &sample.server_name,
        tags: &[],
        latest: Some(sample),
        details,
        failure: None,
        host_key_accepted: None,
    }
}
