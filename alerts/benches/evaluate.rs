//! The cost of one evaluation: 20 rules (the 9 built-in ones and 11 of the kinds a sysadmin
//! writes, several with a glob over mounts, cores, devices or containers) over 1,000 servers
//! whose samples carry every section. Budget: ≤ 5 ms per cycle (issue #12).
//!
//! `cargo bench -p fleetwatch-alerts` (release build); prints one line per measurement. On a
//! shared machine the minimum is the cost of the work; the median and p90 add waiting for a core.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use fleetwatch_alerts::{
    AlertBook, AlertsConfig, Defaults, Failure, SecretSource, ServerView, evaluate, group, render,
};
use fleetwatch_common::{
    ContainerInfo, CpuBreakdown, CpuStats, Details, DiskIo, DiskUsage, MemoryStats, NetInterface, OfflineReason,
    Sample, SystemInfo, TcpStats,
};

const SERVERS: usize = 1_000;
const CYCLES: usize = 50;

const RULES: &str = r#"
channels = [
    { name = "hook", kind = "webhook", url = "https://receiver.example/fleetwatch" },
    { name = "phone", kind = "ntfy", url = "https://ntfy.example/fleet-alerts" },
]

rules = [
    { name = "load", metric = "cpu_load_5min", warning = 8, critical = 16, for_secs = 300 },
    { name = "iowait", metric = "cpu.iowait", warning = 20 },
    { name = "core-busy", metric = "cpu*.busy", warning = 95, for_secs = 600 },
    { name = "inodes", metric = "disk[*].inodes_percent", warning = 90, critical = 98 },
    { name = "disk-busy", metric = "diskio[*].busy_percent", warning = 90 },
    { name = "rx-errors", metric = "net[*].rx_errors", warning = 100 },
    { name = "time-wait", metric = "tcp[TIME_WAIT]", warning = 5000 },
    { name = "connections", metric = "tcp_connections", warning = 5000 },
    { name = "container-cpu", metric = "container[*].cpu_percent", warning = 90 },
    { name = "memory", metric = "mem.used_percent", warning = 90, clear = 80 },
    { name = "processes", metric = "system.processes", warning = 2000, servers = ["web-*"] },
]
"#;

struct NoSecrets;

impl SecretSource for NoSecrets {
    fn env(&self, _: &str) -> Option<String> {
        None
    }
    fn file(&self, _: &Path) -> Result<String, String> {
        Err("none".into())
    }
}

/// A server as the collector stores it: 4 cores, 3 mounts, 2 devices, 2 interfaces, TCP
/// states, 3 containers. About one in twenty is over some level.
fn server(i: usize, t: chrono::DateTime<Utc>) -> (Sample, Details) {
    let name = if i.is_multiple_of(2) { format!("web-{i:04}") } else { format!("db-{i:04}") };
    let hot = i.is_multiple_of(20);
    let pct = |base: f64| if hot { 96.0 } else { base + (i % 7) as f64 };
    let core = |n: usize| CpuBreakdown { name: format!("cpu{n}"), busy: pct(20.0), ..Default::default() };
    let disk = |mount: &str, used: f64| DiskUsage {
        mount: mount.into(),
        device: "/dev/sda1".into(),
        fstype: "ext4".into(),
        size_bytes: 100 << 30,
        used_bytes: 40 << 30,
        available_bytes: 60 << 30,
        used_percent: used,
        inodes_total: Some(1_000_000),
        inodes_used: Some(100_000),
        inodes_percent: Some(10.0),
    };
    let container = |n: &str| ContainerInfo {
        name: n.into(),
        image: "nginx:1.27".into(),
        state: "running".into(),
        health: Some("healthy".into()),
        cpu_percent: Some(pct(5.0)),
        memory_bytes: Some(64 << 20),
        ..Default::default()
    };
    let sample = Sample {
        server_name: name.clone(),
        cpu_percent: Some(pct(30.0)),
        cpu_load_5min: Some(1.0),
        ram_percentage: Some(pct(50.0)),
        swap_percentage: Some(0.0),
        disk_percentage: Some(pct(60.0)),
        tcp_connections: Some(120),
        timestamp: t,
        ..Default::default()
    };
    let details = Details {
        server_name: name,
        timestamp: t,
        cpu: Some(CpuStats {
            total: Some(CpuBreakdown { name: "cpu".into(), busy: pct(30.0), iowait: 1.0, ..Default::default() }),
            cores: (0..4).map(core).collect(),
            core_count: 4,
            load_1: Some(1.0),
            load_5: Some(1.0),
            load_15: Some(1.0),
            model: Some("Xeon".into()),
            mhz: Some(2_400.0),
        }),
        memory: Some(MemoryStats { total: 8 << 30, used: 4 << 30, used_percent: pct(50.0), ..Default::default() }),
        disks: vec![disk("/", pct(60.0)), disk("/var", 40.0), disk("/home", 20.0)],
        disk_io: ["sda", "sdb"].map(|d| DiskIo { device: d.into(), busy_percent: 3.0, ..Default::default() }).into(),
        network: ["eth0", "eth1"]
            .map(|n| NetInterface { name: n.into(), rx_bytes_per_sec: 1e6, ..Default::default() })
            .into(),
        tcp: Some(TcpStats {
            states: [("ESTABLISHED", 120), ("TIME_WAIT", 30), ("LISTEN", 12), ("CLOSE_WAIT", 1)]
                .map(|(s, n)| (s.to_string(), n))
                .into(),
            listening: vec![],
        }),
        system: Some(SystemInfo {
            processes: Some(250),
            threads: Some(900),
            open_files: Some(3_000),
            ..Default::default()
        }),
        containers: Some(vec![container("web"), container("worker"), container("cache")]),
        ..Default::default()
    };
    (sample, details)
}

fn main() {
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().unwrap_or_default();
    let cfg: AlertsConfig = match toml::from_str(RULES) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let defaults = Defaults { stale_after: Duration::from_secs(86_400), ..Defaults::default() };
    let alerting = match cfg.validate(&defaults, &NoSecrets) {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(alerting.rules.rules.len(), 20);
    let data: Vec<(Sample, Details)> = (0..SERVERS).map(|i| server(i, t0)).collect();
    let tags = vec!["prod".to_string()];
    let views: Vec<ServerView<'_>> = data
        .iter()
        .map(|(s, d)| ServerView {
            name: &s.server_name,
            tags: &tags,
            latest: Some(s),
            details: Some(d),
            failure: None,
            host_key_accepted: None,
        })
        .collect();

    let mut book = AlertBook::default();
    let mut times = Vec::with_capacity(CYCLES);
    let mut changes = 0;
    for cycle in 0..CYCLES + 5 {
        let now = t0 + chrono::Duration::seconds(60 * cycle as i64);
        let start = Instant::now();
        let transitions = evaluate(&mut book, &alerting.rules, &views, &alerting.silences, now);
        let took = start.elapsed();
        changes += transitions.len();
        if cycle >= 5 {
            times.push(took);
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "evaluate: {} rules x {SERVERS} servers: min {:.2} ms, median {:.2} ms, p90 {:.2} ms, max {:.2} ms per cycle over {CYCLES} cycles (budget 5 ms); {} alerts open, {changes} transitions",
        alerting.rules.rules.len(),
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10]),
        ms(times[times.len() - 1]),
        book.len(),
    );

    // A storm: every server goes offline in one cycle.
    let failure = Some(Failure { reason: OfflineReason::Timeout, detail: Some("no answer in 10 s") });
    let down: Vec<ServerView<'_>> = views.iter().map(|v| ServerView { failure, ..*v }).collect();
    let now = t0 + chrono::Duration::seconds(60 * (CYCLES as i64 + 10));
    let start = Instant::now();
    let transitions = evaluate(&mut book, &alerting.rules, &down, &alerting.silences, now);
    let messages = group(&alerting.rules, &transitions);
    let ctx = render::RenderContext { public_url: Some("https://fleet.example"), max_listed: 20 };
    let rendered: Vec<_> = messages
        .iter()
        .filter_map(|m| alerting.channels.iter().find(|c| c.name == m.channel).map(|c| render(c, m, &ctx)))
        .collect();
    println!(
        "storm: {SERVERS} servers offline at once: {} transitions -> {} messages for {} channels in {:.2} ms",
        transitions.len(),
        rendered.len(),
        alerting.channels.len(),
        ms(start.elapsed()),
    );
}
