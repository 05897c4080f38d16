//! Host faults at fleet scale (issue #14): `fleetsim` serves N simulated SSH hosts on 127.2.x.y,
//! some of them faulty (hang before the banner, fail auth, answer slowly, answer garbage, drop
//! the connection mid-output, append 5 MiB), and this process runs Fleetwatch's `Collector`
//! against all of them, storing into a SQLite file, for many cycles on a short schedule. Per
//! cycle it prints the wall time, the healthy hosts stored in that cycle against those
//! expected, the reasons per fault class, and what the collector holds (open file descriptors,
//! TCP connections to the simulator, tokio tasks, RSS); at the end, those counts after the
//! warm-up cycle and after the last one.
//!
//! ```text
//! cargo bench -p fleetwatch-collector --bench faults -- [--hosts 1000] [--cycles 100]
//!       [--interval-secs 5] [--fleetsim-bin PATH] [--base 127.2.0.1] [--port 2222]
//!       [--connect-timeout 2] [--command-timeout 5] [--retries 1]
//!       [--hang-every 97] [--authfail-every 89] [--slow-every 83] [--slow-ms 2000]
//!       [--garbage-every 79] [--drop-every 73] [--bigout-every 71] [--dry-run]
//! ```
//!
//! `--dry-run` collects without storing (`Collector::check`; nothing counts as stored then), to
//! tell the store's share of the memory from the collection's.
//!
//! `--fleetsim-bin PATH` (or `FLEETSIM_BIN`) is the `fleetsim` binary; without it,
//! `target/release/fleetsim` under `FLEETSIM_DIR` or `../shared/fleetsim` (see `fleet.rs`).
//! The fault rates default to coprime values, so no host has two faults. A cycle starts every
//! `--interval-secs`, or at once when the previous one took longer (counted as late).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fleetwatch_collector::{Collector, ServerReport};
use fleetwatch_config::{CollectorSettings, Credentials, HostKeyPolicy, Server, SshServer};
use fleetwatch_store::Store;

const USER: &str = "fleet";
/// The fault flags of fleetsim, in the order their classes are printed.
const FAULTS: [&str; 6] = ["hang", "authfail", "slow", "garbage", "drop", "bigout"];

struct Args {
    hosts: usize,
    cycles: usize,
    interval: Duration,
    fleetsim_bin: Option<PathBuf>,
    base: String,
    port: u16,
    connect_timeout: u64,
    command_timeout: u64,
    retries: u32,
    /// `--<fault>-every K` for each of [`FAULTS`].
    every: BTreeMap<&'static str, usize>,
    slow_ms: u64,
    /// Collect without storing (`Collector::check`): to tell the store's share of the memory.
    dry_run: bool,
}

fn args() -> Args {
    let mut a = Args {
        hosts: 1000,
        cycles: 100,
        interval: Duration::from_secs(5),
        fleetsim_bin: std::env::var_os("FLEETSIM_BIN").map(PathBuf::from),
        base: "127.2.0.1".into(),
        port: 2222,
        connect_timeout: 2,
        command_timeout: 5,
        retries: 1,
        every: FAULTS.into_iter().zip([97, 89, 83, 79, 73, 71]).collect(),
        slow_ms: 2000,
        dry_run: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--hosts" => a.hosts = value().parse().expect("--hosts N"),
            "--cycles" => a.cycles = value().parse().expect("--cycles N"),
            "--interval-secs" => a.interval = Duration::from_secs(value().parse().expect("--interval-secs S")),
            "--fleetsim-bin" => a.fleetsim_bin = Some(value().into()),
            "--base" => a.base = value(),
            "--port" => a.port = value().parse().expect("--port P"),
            "--connect-timeout" => a.connect_timeout = value().parse().expect("--connect-timeout S"),
            "--command-timeout" => a.command_timeout = value().parse().expect("--command-timeout S"),
            "--retries" => a.retries = value().parse().expect("--retries N"),
            "--slow-ms" => a.slow_ms = value().parse().expect("--slow-ms MS"),
            "--dry-run" => a.dry_run = true,
            "--bench" => {}
            other => {
                let fault = other.strip_prefix("--").and_then(|f| f.strip_suffix("-every"));
                match fault.and_then(|f| FAULTS.into_iter().find(|n| *n == f)) {
                    Some(f) => {
                        a.every.insert(f, value().parse().expect("--<fault>-every K"));
                    }
                    None => panic!("unknown argument {other:?}"),
                }
            }
        }
    }
    a
}

/// The fleetsim binary: `--fleetsim-bin`/`FLEETSIM_BIN`, else `target/release/fleetsim` under
/// `FLEETSIM_DIR` or `../shared/fleetsim` (from the workspace root or its parent).
fn fleetsim_bin(a: &Args) -> PathBuf {
    if let Some(bin) = &a.fleetsim_bin {
        assert!(bin.is_file(), "--fleetsim-bin {}: no such file", bin.display());
        return bin.clone();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dirs: Vec<PathBuf> = match std::env::var_os("FLEETSIM_DIR") {
        Some(d) => vec![d.into()],
        None => vec![root.join("../shared/fleetsim"), root.join("../../shared/fleetsim")],
    };
    dirs.into_iter().map(|d| d.join("target/release/fleetsim")).find(|b| b.is_file()).unwrap_or_else(|| {
        panic!("fleetsim not built: pass --fleetsim-bin PATH (or FLEETSIM_BIN, or FLEETSIM_DIR with target/release)")
    })
}

/// The simulator, killed when dropped.
struct Sim {
    child: Child,
    stats: PathBuf,
    fingerprint: String,
    /// Each host's faults by index (`ok` for none), from `--inventory`.
    faults: Vec<String>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        // The benchmark's own child: kill is enough.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    fn start(bin: &Path, work: &Path, a: &Args) -> Self {
        let stats = work.join("sim-stats.txt");
        let inventory = work.join("inventory.txt");
        let mut cmd = Command::new(bin);
        cmd.args(["--hosts", &a.hosts.to_string(), "--base", &a.base, "--port", &a.port.to_string()])
            .arg("--host-key")
            .arg(work.join("hostkey"))
            .arg("--authorized-key")
            .arg(work.join("client.pub"))
            .args(["--user", USER, "--stats-interval-secs", "3600", "--refresh-secs", "5"])
            .args(["--slow-ms", &a.slow_ms.to_string()])
            .arg("--stats-file")
            .arg(&stats)
            .arg("--inventory")
            .arg(&inventory);
        for (fault, k) in &a.every {
            cmd.args([format!("--{fault}-every"), k.to_string()]);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("start fleetsim");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut fingerprint = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            println!("  {line}");
            if let Some(rest) = line.strip_prefix("fleetsim host key ") {
                fingerprint = rest.split_whitespace().next().map(str::to_owned);
            }
            if line.starts_with("fleetsim listening") {
                break;
            }
        }
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let faults = std::fs::read_to_string(&inventory)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split_whitespace().nth(3).unwrap_or("ok").to_owned())
            .collect();
        Self { child, stats, fingerprint: fingerprint.expect("fleetsim printed no host key"), faults }
    }

    /// Its stats line (rewritten every second).
    fn stats(&self) -> String {
        std::fs::read_to_string(&self.stats).unwrap_or_default().trim().to_owned()
    }
}

fn servers(a: &Args, work: &Path, fingerprint: &str) -> Vec<Server> {
    let base: Ipv4Addr = a.base.parse().expect("--base is an IPv4 address");
    let mut addr = u32::from(base);
    let mut out = Vec::with_capacity(a.hosts);
    while out.len() < a.hosts {
        let last = addr & 0xff;
        if last != 0 && last != 255 {
            out.push(Server {
                name: format!("sim-{:04}", out.len()),
                tags: vec!["sim".into()],
                schedule: None,
                push: false,
                ssh: Some(SshServer {
                    host: Ipv4Addr::from(addr).to_string(),
                    port: a.port,
                    user: USER.into(),
                    credentials: Credentials::Key { path: work.join("client"), passphrase: None },
                    host_key: HostKeyPolicy::Pinned(fingerprint.to_owned()),
                }),
            });
        }
        addr += 1;
    }
    out
}

/// What this process holds: open file descriptors, TCP connections to the simulator's port
/// (any state but TIME_WAIT, which nobody holds), tokio tasks, RSS in MiB.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Held {
    fds: usize,
    tcp: usize,
    tasks: usize,
    rss_mib: f64,
}

fn held(port: u16) -> Held {
    let fds = std::fs::read_dir("/proc/self/fd").unwrap().count();
    let tcp = std::fs::read_to_string("/proc/net/tcp")
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let remote = socket_addr(f[2]);
            // 06 TIME_WAIT, 0A LISTEN; the simulator's side has its port as the local one.
            f[3] != "06" && f[3] != "0A" && remote.port() == port && remote.ip().to_string().starts_with("127.2.")
        })
        .count();
    let tasks = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    Held { fds, tcp, tasks, rss_mib: status_mib("VmRSS:") }
}

/// `0100007F:08AE` (as /proc/net/tcp prints it) → 127.0.0.1:2222.
fn socket_addr(hex: &str) -> SocketAddr {
    let (ip, port) = hex.split_once(':').unwrap();
    let ip = u32::from_str_radix(ip, 16).unwrap();
    SocketAddr::new(Ipv4Addr::from(ip.to_le_bytes()).into(), u16::from_str_radix(port, 16).unwrap())
}

/// A line of `/proc/self/status` in kB, as MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// `reason` (with the stage for a timeout: "timeout (handshake)") of a failed report, or
/// "stored".
fn outcome(r: &ServerReport) -> String {
    match &r.result {
        Ok(_) => "stored".into(),
        Err(e) => {
            let text = e.to_string();
            let detail = if text.contains("handshake") {
                " (handshake)"
            } else if text.contains("running the scripts") {
                " (running)"
            } else if text.contains("connection was lost") {
                " (lost mid-output)"
            } else {
                ""
            };
            format!("{}{detail}", e.reason().as_str())
        }
    }
}

fn fmt_held(h: &Held) -> String {
    format!("fds {} tcp {} tasks {} rss {:.0} MiB", h.fds, h.tcp, h.tasks, h.rss_mib)
}

async fn run(store: Arc<dyn Store>, sim: &Sim, a: &Args, work: &Path) {
    let settings = CollectorSettings {
        connect_timeout_secs: a.connect_timeout,
        command_timeout_secs: a.command_timeout,
        retries: a.retries,
        ..CollectorSettings::default()
    };
    let collector = Collector::new(servers(a, work, &sim.fingerprint), store.clone(), settings);
    let expected: Vec<usize> = (0..a.hosts).filter(|i| matches!(sim.faults[*i].as_str(), "ok" | "slow")).collect();
    println!(
        "\ncollector: {} hosts, {} expected stored every cycle (no fault, or slow under the command timeout), \
         connect timeout {} s, command timeout {} s, retries {}, a cycle every {:?}",
        a.hosts,
        expected.len(),
        a.connect_timeout,
        a.command_timeout,
        a.retries,
        a.interval
    );
    let mut before = None;
    let mut walls = Vec::new();
    let mut late = 0;
    let mut short = 0;
    let mut next = tokio::time::Instant::now();
    for cycle in 1..=a.cycles {
        tokio::time::sleep_until(next).await;
        next += a.interval;
        let started = Utc::now();
        let t = Instant::now();
        let reports = if a.dry_run { collector.check().await } else { collector.run_cycle().await };
        let wall = t.elapsed();
        walls.push(wall);
        if tokio::time::Instant::now() > next {
            late += 1;
            next = tokio::time::Instant::now();
        }
        // Stored on time: the healthy hosts whose latest stored sample is of this cycle.
        let latest: BTreeMap<String, chrono::DateTime<Utc>> =
            store.latest_samples().await.unwrap().into_iter().map(|s| (s.server_name, s.timestamp)).collect();
        let stored =
            expected.iter().filter(|i| latest.get(&format!("sim-{i:04}")).is_some_and(|at| *at >= started)).count();
        short += expected.len() - stored;
        let mut classes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for r in &reports {
            let i: usize = r.name.trim_start_matches("sim-").parse().unwrap();
            *classes.entry(sim.faults[i].clone()).or_default().entry(outcome(r)).or_default() += 1;
        }
        let reasons: Vec<String> = classes
            .iter()
            .filter(|(class, _)| class.as_str() != "ok")
            .map(|(class, outs)| {
                let outs: Vec<String> = outs.iter().map(|(o, n)| format!("{o} {n}")).collect();
                format!("{class}: {}", outs.join(", "))
            })
            .collect();
        let h = held(a.port);
        println!(
            "cycle {cycle:3}: wall {:6.2} s, stored {stored}/{} healthy, {} | {}",
            wall.as_secs_f64(),
            expected.len(),
            fmt_held(&h),
            reasons.join("; ")
        );
        if cycle == 1 {
            before = Some(h);
        }
    }
    // Let anything the last cycle dropped finish closing before the last count.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = held(a.port);
    let before = before.unwrap();
    walls.sort();
    let pct = |p: usize| walls[(walls.len() - 1) * p / 100].as_secs_f64();
    println!(
        "\nwall per cycle: median {:.2} s, p90 {:.2} s, max {:.2} s; {late} cycles overran the interval",
        pct(50),
        pct(90),
        pct(100)
    );
    println!("healthy host-cycles not stored on time: {short} of {}", expected.len() * a.cycles);
    println!("held after cycle 1:         {}", fmt_held(&before));
    println!("held after cycle {:<3} (+2 s): {}", a.cycles, fmt_held(&after));
    println!("fleetsim: {}", sim.stats());
    collector.shutdown().await;
}

fn main() {
    let a = args();
    let bin = fleetsim_bin(&a);
    let work = tempfile::tempdir().unwrap();
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(work.path().join("client"))
        .status()
        .expect("ssh-keygen");
    assert!(status.success());
    println!("fleetsim ({}), {} hosts from {}:{}", bin.display(), a.hosts, a.base, a.port);
    let sim = Sim::start(&bin, work.path(), &a);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let url = format!("sqlite://{}", work.path().join("fw.db").display());
    rt.block_on(async {
        let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
        store.migrate().await.unwrap();
        run(store, &sim, &a, work.path()).await;
    });
}
