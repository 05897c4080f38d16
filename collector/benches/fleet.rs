//! The collector's data path at fleet scale, side by side with the bare-client reference
//! (issue #13): `fleetsim` serves N simulated SSH hosts on 127.2.x.y (real output of this
//! machine), `fleetload` (its bare russh client: one connection per host, one exec per cycle, no
//! parsing, no storing) runs its cycles against them, then this process runs Fleetwatch's own
//! `Collector` (connections, program, parse, sample, store into a SQLite file or PostgreSQL)
//! against the same hosts, and prints both and their ratios.
//!
//! ```text
//! cargo bench -p fleetwatch-collector --bench fleet -- [--hosts 1000] [--cycles 3]
//!       [--fleetsim DIR] [--base 127.2.0.1] [--port 2222] [--postgres URL] [--concurrency N]
//!       [--spin 200] [--dry-run] [--quiet-net] [--fleetload-cipher NAME] [--every SECONDS]
//! ```
//!
//! `--every S` starts the collector's cycles S seconds apart (a soak at a schedule: with
//! `--cycles 360 --every 10`, an hour); each cycle prints the resident size and open files.
//! `fleetload` then waits S seconds between its cycles too, so that both meet the simulator
//! after its cached run (5 s) has expired, as a host polled at that schedule does.
//!
//! `--fleetload-cipher` has the bare client negotiate that cipher (`aes256-gcm@openssh.com`
//! is the one Fleetwatch prefers on CPUs with AES instructions; its default is russh's first
//! choice, ChaCha20-Poly1305).
//!
//! `--dry-run` runs the collector's cycles without storing anything (`Collector::check`), to
//! tell the store's share of the CPU from the rest.
//!
//! `--quiet-net` runs the simulator's real executions in a fresh network namespace
//! (`unshare --net`, root only), so its hosts stop reporting the simulator's own 1,000 listening
//! sockets: the lower bound of a host's network output, beside the default upper one.
//!
//! `--fleetsim DIR` (or `FLEETSIM_DIR`) is the fleetsim checkout with `target/release/fleetsim`
//! and `fleetload` built (`cargo build --release` there); default `../shared/fleetsim` from the
//! workspace root and from its parent. The two clients run one after the other (never at the
//! same time: they would share the cores), each after a warm-up cycle; the figures are of the
//! steady cycles that follow:
//!
//! - `wall`: one steady cycle over all hosts (median).
//! - `CPU per host-poll`: the client's own user + system CPU (`/proc/self/stat`; `fleetload`'s
//!   getrusage) over the steady cycles, divided by the host-polls.
//! - `peak RSS`: `VmHWM` of this process (the collector) after its cycles; `fleetload`'s RSS as
//!   it prints it after its last cycle.
//! - `output per host-cycle`: the simulator's `bytes_sent` (stdout + stderr) over its `execs`
//!   during the client's steady cycles.
//!
//! `--spin N` then times the in-process steps of one host-poll on one steady output (captured
//! from this machine with `sh -s`, as the simulator does): writing the program, `parse_output`,
//! `sample::build`, N times each, to show where the per-host CPU goes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fleetwatch_collector::Collector;
use fleetwatch_collector::parse::{ParseOptions, parse_output};
use fleetwatch_collector::program::program;
use fleetwatch_collector::protocol::ProgramOptions;
use fleetwatch_collector::sample::build;
use fleetwatch_config::{CollectorSettings, Credentials, HostKeyPolicy, Server, SshServer};
use fleetwatch_store::Store;

const USER: &str = "fleet";

struct Args {
    hosts: usize,
    cycles: usize,
    fleetsim: Option<PathBuf>,
    base: String,
    port: u16,
    postgres: Option<String>,
    concurrency: Option<usize>,
    spin: usize,
    /// Run the collector's cycles without storing (`Collector::check`): the store's share.
    dry_run: bool,
    /// The simulator's real runs in a network namespace of their own (`unshare --net`), so the
    /// hosts do not report the simulator's own 1,000 listening sockets (nor any network).
    quiet_net: bool,
    /// Passed to `fleetload --cipher` (its default: russh's first choice).
    fleetload_cipher: Option<String>,
    /// Seconds from one collector cycle's start to the next (a soak at a schedule); `None`:
    /// back to back.
    every: Option<u64>,
}

fn args() -> Args {
    let mut a = Args {
        hosts: 1000,
        cycles: 3,
        fleetsim: std::env::var_os("FLEETSIM_DIR").map(PathBuf::from),
        base: "127.2.0.1".into(),
        port: 2222,
        postgres: None,
        concurrency: None,
        spin: 200,
        dry_run: false,
        quiet_net: false,
        fleetload_cipher: None,
        every: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--hosts" => a.hosts = value().parse().expect("--hosts N"),
            "--cycles" => a.cycles = value().parse().expect("--cycles N"),
            "--fleetsim" => a.fleetsim = Some(value().into()),
            "--base" => a.base = value(),
            "--port" => a.port = value().parse().expect("--port P"),
            "--postgres" => a.postgres = Some(value()),
            "--concurrency" => a.concurrency = Some(value().parse().expect("--concurrency N")),
            "--spin" => a.spin = value().parse().expect("--spin N"),
            "--dry-run" => a.dry_run = true,
            "--quiet-net" => a.quiet_net = true,
            "--fleetload-cipher" => a.fleetload_cipher = Some(value()),
            "--every" => a.every = Some(value().parse().expect("--every SECONDS")),
            "--bench" => {}
            other => panic!("unknown argument {other:?}"),
        }
    }
    a
}

fn fleetsim_dir(a: &Args) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates: Vec<PathBuf> = match &a.fleetsim {
        Some(d) => vec![d.clone()],
        None => vec![root.join("../shared/fleetsim"), root.join("../../shared/fleetsim")],
    };
    candidates
        .into_iter()
        .find(|d| d.join("target/release/fleetsim").is_file() && d.join("target/release/fleetload").is_file())
        .unwrap_or_else(|| {
            panic!("fleetsim not built: pass --fleetsim DIR (or FLEETSIM_DIR) where `cargo build --release` was run")
        })
}

/// user + system CPU of this process so far (`/proc/self/stat` fields 14–15, in clock ticks).
fn own_cpu() -> Duration {
    let (user, system) = own_cpu_split();
    user + system
}

/// User and system CPU of this process so far.
fn own_cpu_split() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks = |i: usize| Duration::from_secs_f64(rest[i].parse::<u64>().unwrap() as f64 / clock_ticks());
    (ticks(11), ticks(12))
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let out = Command::new("getconf").arg("CLK_TCK").output().ok();
        out.and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100.0)
    })
}

/// A `VmHWM`/`VmRSS` line of `/proc/self/status`, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// The simulator and what it was told.
struct Sim {
    child: Child,
    stats: PathBuf,
    fingerprint: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        // SIGTERM would be kinder, but kill is enough for a benchmark's own child.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    fn start(dir: &Path, work: &Path, a: &Args) -> Self {
        let stats = work.join("sim-stats.txt");
        let mut sim = Command::new(dir.join("target/release/fleetsim"));
        if a.quiet_net {
            // fleetsim runs `sh -c C` found on its PATH: this `sh` runs the real one in a fresh,
            // empty network namespace (needs root, as the simulator's 127.2/16 addresses do not).
            let bin = work.join("quiet-bin");
            std::fs::create_dir_all(&bin).unwrap();
            let sh = bin.join("sh");
            std::fs::write(&sh, "#!/bin/sh\nexec unshare --net /bin/sh \"$@\"\n").unwrap();
            std::fs::set_permissions(&sh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
            let path = std::env::var("PATH").unwrap_or_default();
            sim.env("PATH", format!("{}:{path}", bin.display()));
        }
        let mut child = sim
            .args(["--hosts", &a.hosts.to_string(), "--base", &a.base, "--port", &a.port.to_string()])
            .arg("--host-key")
            .arg(work.join("hostkey"))
            .arg("--authorized-key")
            .arg(work.join("client.pub"))
            .args(["--user", USER, "--stats-interval-secs", "3600", "--refresh-secs", "5"])
            .arg("--stats-file")
            .arg(&stats)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fleetsim");
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
        Self { child, stats, fingerprint: fingerprint.expect("fleetsim printed no host key") }
    }

    /// (`execs`, `bytes_sent`, `cpu_ms`) of the stats file, after it was rewritten (every second).
    fn counters(&self) -> (u64, u64, u64) {
        std::thread::sleep(Duration::from_millis(1100));
        let text = std::fs::read_to_string(&self.stats).unwrap_or_default();
        let get = |k: &str| {
            text.split_whitespace()
                .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('=')?.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (get("execs"), get("bytes_sent"), get("cpu_ms"))
    }
}

/// What one client measured over its steady cycles.
#[derive(Debug, Default)]
struct Figures {
    walls: Vec<Duration>,
    cpu_per_poll: Duration,
    rss_mib: f64,
    bytes_per_poll: f64,
    sim_cpu_per_poll: Duration,
    failed: usize,
}

impl Figures {
    fn wall(&self) -> Duration {
        let mut w = self.walls.clone();
        w.sort();
        w.get(w.len() / 2).copied().unwrap_or_default()
    }
}

fn run_fleetload(dir: &Path, work: &Path, sim: &Sim, a: &Args) -> Figures {
    let before = sim.counters();
    let out = Command::new(dir.join("target/release/fleetload"))
        .args(["--hosts", &a.hosts.to_string(), "--base", &a.base, "--port", &a.port.to_string()])
        .args(["--user", USER, "--cycles", &(a.cycles + 1).to_string(), "--pin", &sim.fingerprint])
        .arg("--key")
        .arg(work.join("client"))
        .arg("--script")
        .arg(dir.join("scripts/probe.sh"))
        .args(["--sim-pid", &sim.child.id().to_string()])
        .args(a.fleetload_cipher.iter().flat_map(|c| ["--cipher", c.as_str()]))
        // At the collector's schedule, so that the simulator's cache of real runs (5 s) has
        // expired at every cycle for both, as it does for the collector.
        .args(a.every.iter().flat_map(|e| ["--interval-secs".to_owned(), e.to_string()]))
        .output()
        .expect("run fleetload");
    let after = sim.counters();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut f = Figures::default();
    let mut cpu = Duration::ZERO;
    let mut sim_cpu = Duration::ZERO;
    for line in text.lines() {
        println!("  {line}");
        let Some(rest) = line.strip_prefix("cycle ") else { continue };
        let n: usize = rest.split(':').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        if n < 2 {
            continue; // the warm-up cycle (the simulator's one real run)
        }
        f.walls.push(Duration::from_secs_f64(field_ms(line, "wall ") / 1000.0));
        cpu += Duration::from_secs_f64(field_ms(line, "client cpu ") / 1000.0);
        sim_cpu += Duration::from_secs_f64(field_ms(line, "sim cpu ") / 1000.0);
        f.rss_mib = field_ms(line, "client rss ");
    }
    let polls = (a.hosts * a.cycles).max(1) as u32;
    f.cpu_per_poll = cpu / polls;
    f.sim_cpu_per_poll = sim_cpu / polls;
    // Every cycle, the warm-up included, sends the same script: the bytes per exec are the same.
    f.bytes_per_poll = (after.1 - before.1) as f64 / (after.0 - before.0).max(1) as f64;
    f
}

/// The number after `key` in a fleetload line ("wall 52.1ms", "client rss 113.2MiB"), in ms for
/// durations (s are converted) and as printed otherwise.
fn field_ms(line: &str, key: &str) -> f64 {
    let Some(at) = line.find(key) else { return 0.0 };
    let rest = &line[at + key.len()..];
    let num: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let v: f64 = num.parse().unwrap_or(0.0);
    let unit = &rest[num.len()..];
    if unit.starts_with("ms") || unit.starts_with("MiB") {
        v
    } else if unit.starts_with("µs") {
        v / 1000.0
    } else if unit.starts_with('s') {
        v * 1000.0
    } else {
        v
    }
}

fn servers(a: &Args, work: &Path, fingerprint: &str) -> Vec<Server> {
    let base: std::net::Ipv4Addr = a.base.parse().expect("--base is an IPv4 address");
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
                    host: std::net::Ipv4Addr::from(addr).to_string(),
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

async fn run_collector(store: Arc<dyn Store>, sim: &Sim, a: &Args, work: &Path) -> Figures {
    let mut settings = CollectorSettings { retries: 1, command_timeout_secs: 60, ..CollectorSettings::default() };
    settings.concurrency = a.concurrency;
    println!("  collector concurrency {}", settings.concurrency_for(a.hosts));
    let collector = Collector::new(servers(a, work, &sim.fingerprint), store, settings);
    let t = Instant::now();
    let first = one_cycle(&collector, a.dry_run).await;
    let failed = first.iter().filter(|r| r.result.is_err()).count();
    println!("  warm-up cycle (connect + baseline): {:?}, {failed} failed", t.elapsed());
    if let Some(r) = first.iter().find(|r| r.result.is_err()) {
        println!("  first failure: {}: {:?}", r.name, r.result.as_ref().err());
    }
    let mut f = Figures::default();
    let before = sim.counters();
    let cpu0 = own_cpu();
    let (user0, system0) = own_cpu_split();
    let start = Instant::now();
    for cycle in 1..=a.cycles {
        if let Some(every) = a.every {
            let due = start + Duration::from_secs(every * (cycle as u64 - 1));
            tokio::time::sleep_until(due.into()).await;
        }
        let t = Instant::now();
        let reports = one_cycle(&collector, a.dry_run).await;
        let wall = t.elapsed();
        let failed = reports.iter().filter(|r| r.result.is_err()).count();
        f.failed += failed;
        let fds = std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count);
        println!(
            "  cycle {cycle}: wall {wall:?}, {failed} failed, rss {:.0} MiB, {fds} open files",
            status_mib("VmRSS:")
        );
        f.walls.push(wall);
    }
    let cpu = own_cpu() - cpu0;
    let (user1, system1) = own_cpu_split();
    let after = sim.counters();
    let polls = (a.hosts * a.cycles).max(1) as u32;
    println!("  CPU per host-poll: user {:?}, system {:?}", (user1 - user0) / polls, (system1 - system0) / polls);
    f.cpu_per_poll = cpu / polls;
    f.sim_cpu_per_poll = Duration::from_millis(after.2 - before.2) / polls;
    f.bytes_per_poll = (after.1 - before.1) as f64 / (after.0 - before.0).max(1) as f64;
    f.rss_mib = status_mib("VmHWM:");
    collector.shutdown().await;
    f
}

/// One cycle: stored, or only collected (`--dry-run`).
async fn one_cycle(c: &Collector, dry_run: bool) -> Vec<fleetwatch_collector::ServerReport> {
    if dry_run { c.check().await } else { c.run_cycle().await }
}

fn print_side_by_side(hosts: usize, label: &str, fw: &Figures, bare: &Figures) {
    let ratio = |x: f64, y: f64| if y > 0.0 { format!("{:.1}×", x / y) } else { "-".into() };
    println!("\n| {hosts} hosts, steady cycle | Fleetwatch ({label}) | fleetload | ratio |");
    println!("|---|---|---|---|");
    let (w, bw) = (fw.wall().as_secs_f64() * 1000.0, bare.wall().as_secs_f64() * 1000.0);
    println!("| wall per cycle (median) | {w:.0} ms | {bw:.0} ms | {} |", ratio(w, bw));
    let (c, bc) = (fw.cpu_per_poll.as_secs_f64() * 1e6, bare.cpu_per_poll.as_secs_f64() * 1e6);
    println!("| client CPU per host-poll | {c:.0} µs | {bc:.0} µs | {} |", ratio(c, bc));
    let (s, bs) = (fw.sim_cpu_per_poll.as_secs_f64() * 1e6, bare.sim_cpu_per_poll.as_secs_f64() * 1e6);
    println!("| simulator CPU per host-poll | {s:.0} µs | {bs:.0} µs | {} |", ratio(s, bs));
    println!("| peak RSS | {:.0} MiB | {:.0} MiB | {} |", fw.rss_mib, bare.rss_mib, ratio(fw.rss_mib, bare.rss_mib));
    println!(
        "| output per host-cycle | {:.1} KB | {:.1} KB | {} |",
        fw.bytes_per_poll / 1000.0,
        bare.bytes_per_poll / 1000.0,
        ratio(fw.bytes_per_poll, bare.bytes_per_poll)
    );
    println!("| failed host-polls | {} | - | |", fw.failed);
}

/// Runs `sh -s` with `text` on stdin, as the simulator does; returns stdout.
fn sh(text: &str) -> String {
    let mut child = Command::new("sh")
        .arg("-s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let text = text.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().ok();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where one host-poll's CPU goes in this process, on one steady output of this machine.
fn spin(n: usize) {
    if n == 0 {
        return;
    }
    let first_program = program(&ProgramOptions::next(None));
    let first_out = sh(&first_program);
    let first = build("bench", Utc::now(), &parse_output(&first_out, &ParseOptions::default()), None).unwrap();
    let opts = ProgramOptions::next(Some(&first.carried));
    let out = sh(&program(&opts));
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        t.elapsed() / n as u32
    };
    let t_program = time(&mut || {
        std::hint::black_box(program(&ProgramOptions::next(Some(&first.carried))));
    });
    let t_parse = time(&mut || {
        std::hint::black_box(parse_output(&out, &ParseOptions::default()));
    });
    let snap = parse_output(&out, &ParseOptions::default());
    let t_build = time(&mut || {
        std::hint::black_box(build("bench", Utc::now(), &snap, Some(&first.carried)).unwrap());
    });
    let built = build("bench", Utc::now(), &snap, Some(&first.carried)).unwrap();
    let t_json = time(&mut || {
        std::hint::black_box(serde_json::to_vec(&built.details).unwrap());
    });
    let steady_program = program(&opts);
    println!(
        "\nprogram sent: {} B on a connection's first cycle, {} B on a steady one ({} B of it the process table)",
        first_program.len(),
        steady_program.len(),
        steady_program.lines().find(|l| l.starts_with("prev='")).map_or(0, str::len),
    );
    println!("\nin-process steps of one steady host-poll ({} B of output, {n} runs each):", out.len());
    println!("| step | µs |\n|---|---|");
    for (step, t) in [
        ("program text (ProgramOptions::next + program)", t_program),
        ("parse_output", t_parse),
        ("sample::build", t_build),
        ("details as JSON (serde_json::to_vec)", t_json),
    ] {
        println!("| {step} | {:.1} |", t.as_secs_f64() * 1e6);
    }
}

fn main() {
    let a = args();
    spin(a.spin);
    let dir = fleetsim_dir(&a);
    let work = tempfile::tempdir().unwrap();
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(work.path().join("client"))
        .status()
        .expect("ssh-keygen");
    assert!(status.success());
    println!("\nfleetsim ({}), {} hosts from {}:{}", dir.display(), a.hosts, a.base, a.port);
    let sim = Sim::start(&dir, work.path(), &a);
    println!("\nfleetload (bare russh client), {} steady cycles after one warm-up:", a.cycles);
    let bare = run_fleetload(&dir, work.path(), &sim, &a);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let backends: Vec<(&str, String)> =
        std::iter::once(("SQLite", format!("sqlite://{}", work.path().join("fw.db").display())))
            .chain(a.postgres.clone().map(|u| ("PostgreSQL", u)))
            .collect();
    // The first backend's collector sets the peak RSS; a second one runs in this process after
    // it, so its peak is not its own: only the first's is printed as peak.
    for (label, url) in backends {
        let label = if a.dry_run { "no store" } else { label };
        println!("\nFleetwatch collector, {label}, {} steady cycles after one warm-up:", a.cycles);
        let fw = rt.block_on(async {
            let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
            store.migrate().await.unwrap();
            run_collector(store, &sim, &a, work.path()).await
        });
        print_side_by_side(a.hosts, label, &fw, &bare);
    }
}
