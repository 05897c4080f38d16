//! What one collection cycle costs the monitored server: the CPU time (user + system) of the
//! shell running the program and of every process it starts. The kernel adds the times of
//! waited-for descendants to a process's `cutime`/`cstime` (`/proc/self/stat`, fields 16–17),
//! so the difference of those two counters over many runs, divided by the runs, is the cost
//! of one cycle, children of children included.
//!
//! ```text
//! cargo bench -p fleetwatch-collector --bench collection_cost -- [--runs 200] [--processes 300]
//!       [--compare PROGRAM_FILE]... [--write docs/benchmarks.md]
//! cargo bench -p fleetwatch-collector --bench collection_cost -- --print [--baseline]
//! cargo bench -p fleetwatch-collector --bench collection_cost -- --print-next OUTPUT
//! ```
//!
//! `--print` prints the program of a first cycle (`--baseline`: with the baseline, as the
//! collector sends it); `--print-next OUTPUT` the program the collector sends after a cycle
//! whose output is in the file OUTPUT (inventory kept, descriptors of its top processes).
//!
//! `--processes N` starts `sleep` processes until the host has N, to measure at a given
//! process count (the per-process sections scale with it); they are killed at the end.
//! `--compare FILE` measures the program in FILE (a whole program text, e.g. an older version:
//! `collector/benches/program-2026-11-21.sh`) under each shell beside the current one.
//! `--write FILE` replaces (or appends) the section "## Collection cost on the monitored
//! server" of FILE and leaves the rest of the file alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use fleetwatch_collector::parse::{ParseOptions, parse_output};
use fleetwatch_collector::program::program;
use fleetwatch_collector::protocol::{ContainerClient, ProgramOptions};
use fleetwatch_collector::sample::build;

const HEADING: &str = "## Collection cost on the monitored server";

struct Args {
    runs: u32,
    processes: Option<usize>,
    write: Option<String>,
    print: bool,
    baseline: bool,
    print_next: Option<String>,
    /// Program files to measure beside the current program (an older one, for comparison).
    compare: Vec<String>,
}

fn args() -> Args {
    let mut a = Args {
        runs: 200,
        processes: None,
        write: None,
        print: false,
        baseline: false,
        print_next: None,
        compare: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => a.runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--processes" => a.processes = Some(it.next().and_then(|v| v.parse().ok()).expect("--processes N")),
            "--write" => a.write = Some(it.next().expect("--write FILE")),
            "--print" => a.print = true,
            "--baseline" => a.baseline = true,
            "--print-next" => a.print_next = Some(it.next().expect("--print-next OUTPUT")),
            "--compare" => a.compare.push(it.next().expect("--compare PROGRAM_FILE")),
            // cargo bench passes --bench to harness = false targets.
            "--bench" => {}
            other => panic!("unknown argument {other:?}"),
        }
    }
    a
}

/// cutime + cstime of this process, in clock ticks.
fn children_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    // rest[0] is field 3; cutime is field 16, cstime field 17.
    rest[13].parse::<u64>().unwrap() + rest[14].parse::<u64>().unwrap()
}

fn clock_ticks_per_second() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().ok();
    out.and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100.0)
}

fn process_count() -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .count()
}

/// Whether the program may find docker: the headline figures are without it (`DOCKER_HOST`
/// removed from the environment; this host has no /var/run/docker.sock).
static WITH_DOCKER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs `shell -s` with `text` on stdin; returns stdout.
fn run(shell: &[&str], text: &str) -> String {
    let mut cmd = Command::new(shell[0]);
    // The environment of an SSH session, not cargo's: cargo sets LD_LIBRARY_PATH for benches,
    // which makes the dynamic loader of every program the shell starts search more directories
    // (measured: +50 % on the whole cycle).
    cmd.env_clear();
    for var in ["PATH", "HOME", "USER", "LOGNAME", "SHELL"] {
        if let Ok(v) = std::env::var(var) {
            cmd.env(var, v);
        }
    }
    if WITH_DOCKER.load(std::sync::atomic::Ordering::Relaxed)
        && let Ok(host) = std::env::var("DOCKER_HOST")
    {
        cmd.env("DOCKER_HOST", host);
    }
    let mut child = cmd
        .args(&shell[1..])
        .arg("-s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{shell:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let text = text.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().ok();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `text` as the collector would send it now: its `owners` section asks about the processes
/// started since the last pid given out (`since`), which the collector takes from the previous
/// cycle; here, from `/proc/loadavg` just before the run.
fn as_of_now(text: &str) -> String {
    let Some(start) = text.find("\nsince=") else { return text.to_owned() };
    let value_start = start + "\nsince=".len();
    let end = text[value_start..].find('\n').map_or(text.len(), |i| value_start + i);
    if text[value_start..end].is_empty() {
        return text.to_owned(); // asks about all
    }
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap();
    let last = loadavg.split_whitespace().nth(4).unwrap();
    format!("{}{last}{}", &text[..value_start], &text[end..])
}

/// Milliseconds of CPU per run, and the median wall time.
fn measure(shell: &[&str], text: &str, runs: u32, hz: f64) -> (f64, Duration) {
    for _ in 0..3 {
        run(shell, &as_of_now(text));
    }
    let mut walls = Vec::with_capacity(runs as usize);
    let before = children_ticks();
    for _ in 0..runs {
        let text = as_of_now(text);
        let t = Instant::now();
        run(shell, &text);
        walls.push(t.elapsed());
    }
    let ticks = children_ticks() - before;
    walls.sort();
    (ticks as f64 / hz * 1000.0 / f64::from(runs), walls[walls.len() / 2])
}

/// utime + stime of the first process named `comm`, in clock ticks.
fn ticks_of(comm: &str) -> Option<u64> {
    for e in std::fs::read_dir("/proc").ok()?.filter_map(Result::ok) {
        let path = e.path();
        if std::fs::read_to_string(path.join("comm")).is_ok_and(|c| c.trim() == comm) {
            let stat = std::fs::read_to_string(path.join("stat")).ok()?;
            let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            return Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?);
        }
    }
    None
}

/// The prologue and the framed sections of a program, to measure sections alone.
fn blocks(text: &str) -> (String, Vec<(String, String)>) {
    let mut prologue = String::new();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("echo '@@fw begin ") {
            current = Some((name.trim_end().trim_end_matches('\'').to_owned(), String::new()));
        }
        match current.as_mut() {
            Some((_, body)) => body.push_str(line),
            None => prologue.push_str(line),
        }
        if line.starts_with("echo \"@@fw end ") {
            out.extend(current.take());
        }
    }
    (prologue, out)
}

fn shells() -> Vec<(&'static str, Vec<&'static str>)> {
    let have = |p: &str| std::path::Path::new(p).exists();
    let mut v = Vec::new();
    if have("/usr/bin/dash") || have("/bin/dash") {
        v.push(("dash", vec!["dash"]));
    }
    if have("/usr/bin/bash") || have("/bin/bash") {
        v.push(("bash", vec!["bash"]));
    }
    if have("/usr/bin/busybox") || have("/bin/busybox") {
        v.push(("busybox sh", vec!["busybox", "sh"]));
    }
    v
}

fn main() -> ExitCode {
    let a = args();
    if a.print {
        print!("{}", program(&ProgramOptions { baseline: a.baseline, ..ProgramOptions::default() }));
        return ExitCode::SUCCESS;
    }
    if let Some(path) = a.print_next {
        let out = std::fs::read_to_string(&path).unwrap();
        let built = build("bench", Utc::now(), &parse_output(&out, &ParseOptions::default()), None).unwrap();
        print!("{}", program(&ProgramOptions::next(Some(&built.carried))));
        return ExitCode::SUCCESS;
    }
    let hz = clock_ticks_per_second();
    let mut sleepers: Vec<Child> = Vec::new();
    if let Some(n) = a.processes {
        while process_count() < n {
            sleepers.push(Command::new("sleep").arg("3600").spawn().unwrap());
        }
    }
    let procs = process_count();

    // The steady cycle: after a first one, as the collector runs it (descriptors of the
    // previous top processes counted, inventory kept).
    let first_text = program(&ProgramOptions::next(None));
    WITH_DOCKER.store(true, std::sync::atomic::Ordering::Relaxed);
    let docker_out = run(&["sh"], &first_text);
    WITH_DOCKER.store(false, std::sync::atomic::Ordering::Relaxed);
    let docker_snap = parse_output(&docker_out, &ParseOptions::default());
    let first_out = run(&["sh"], &first_text);
    let snap = parse_output(&first_out, &ParseOptions::default());
    assert!(snap.errors.is_empty(), "the program fails here: {:?}", snap.errors);
    let first = build("bench", Utc::now(), &snap, None).unwrap();
    let steady_opts = ProgramOptions::next(Some(&first.carried));
    let steady = program(&steady_opts);
    let containers = match &docker_snap.containers {
        Some(fleetwatch_collector::parse::ContainerSection::Present { tool, containers, .. }) => {
            format!(
                "{tool} usable, {} containers ({} running)",
                containers.len(),
                containers.iter().filter(|c| c.state == "running").count()
            )
        }
        _ => "no docker or podman usable".to_owned(),
    };
    let docker_usable =
        matches!(docker_snap.containers, Some(fleetwatch_collector::parse::ContainerSection::Present { .. }));

    let mut report = String::new();
    report.push_str(&format!("{HEADING}\n\n"));
    report.push_str(&format!(
        "Measured {} on this host: {} ({} CPUs), {procs} processes during the run; {containers}.\n\n",
        Utc::now().format("%Y-%m-%d"),
        os_line(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    ));
    report.push_str(&format!(
        "Command (from the repository root; the docker rows need a reachable daemon, here a local dockerd 20.10 on a\n\
         private socket): `{}cargo bench -p fleetwatch-collector --bench collection_cost -- --runs {}{}{}{}`\n\n",
        std::env::var("DOCKER_HOST").map(|h| format!("DOCKER_HOST={h} ")).unwrap_or_default(),
        a.runs,
        a.processes.map(|n| format!(" --processes {n}")).unwrap_or_default(),
        a.compare
            .iter()
            .map(|f| {
                let name = std::path::Path::new(f).file_name().and_then(|n| n.to_str()).unwrap_or(f);
                format!(" --compare $PWD/collector/benches/{name}")
            })
            .collect::<String>(),
        a.write.as_ref().map(|_| " --write $PWD/docs/benchmarks.md".to_owned()).unwrap_or_default(),
    ));
    report.push_str(
        "CPU time (user + system) of `SHELL -s < program` and of every process it starts, from the\n\
         children times the kernel keeps for this process (`cutime + cstime` of `/proc/self/stat`),\n\
         summed over all runs and divided by their number. Budget: 20 ms per cycle at ~300 processes.\n\n",
    );
    report.push_str("| Program | Shell | CPU per cycle | Wall (median) |\n|---|---|---:|---:|\n");
    for (name, shell) in shells() {
        let (cpu, wall) = measure(&shell, &steady, a.runs, hz);
        report.push_str(&format!(
            "| every cycle ({} fd pids) | {name} | {cpu:.1} ms | {:.1} ms |\n",
            steady_opts.fd_pids.len(),
            wall.as_secs_f64() * 1000.0
        ));
        eprintln!("{name}: {cpu:.2} ms per cycle");
        for file in &a.compare {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
            let (cpu, wall) = measure(&shell, &text, a.runs, hz);
            report.push_str(&format!(
                "| for comparison: `{}` | {name} | {cpu:.1} ms | {:.1} ms |\n",
                std::path::Path::new(file).file_name().map_or(file.as_str(), |n| n.to_str().unwrap_or(file)),
                wall.as_secs_f64() * 1000.0
            ));
        }
    }
    if docker_usable {
        // What the collector sends on a docker host: most cycles read the cgroups only (the
        // list was given less than a minute ago and no container started or stopped); a cycle
        // that asks the daemon uses curl on its socket where curl exists, else the CLI.
        let docker_first = build("bench", Utc::now(), &docker_snap, None).unwrap();
        let cached = |uptime_now: u64| {
            let mut o = ProgramOptions::next(Some(&docker_first.carried));
            if let Some(seen) = o.containers.as_mut() {
                seen.listed_at = uptime_now;
            }
            program(&o)
        };
        let asking = |failed: &[ContainerClient]| {
            program(&ProgramOptions {
                containers: None,
                container_clients_failed: failed.to_vec(),
                ..ProgramOptions::next(Some(&docker_first.carried))
            })
        };
        let have = |tool: &str| {
            Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
        };
        let mut variants = vec![("cgroups only, the daemon not asked (most cycles)", cached(uptime_seconds()))];
        if have("nc") {
            variants.push((
                "asking the daemon with `nc -U` (first cycle, a container started or stopped, hourly or each minute with health checks)",
                asking(&[]),
            ));
        }
        if have("curl") {
            variants.push(("asking the daemon with curl (no nc)", asking(&[ContainerClient::Nc])));
        }
        variants.push((
            "asking the daemon with the docker CLI (neither nc nor curl)",
            asking(&[ContainerClient::Nc, ContainerClient::Curl]),
        ));
        WITH_DOCKER.store(true, std::sync::atomic::Ordering::Relaxed);
        for (what, text) in variants {
            let runs = (a.runs / 4).max(10);
            let daemon_before = ticks_of("dockerd");
            let (cpu, wall) = measure(&["dash"], &text, runs, hz);
            let daemon = match (daemon_before, ticks_of("dockerd")) {
                (Some(a0), Some(b0)) => {
                    format!(" + {:.1} ms in dockerd", (b0 - a0) as f64 / hz * 1000.0 / f64::from(runs + 3))
                }
                _ => String::new(),
            };
            report.push_str(&format!(
                "| every cycle with docker ({containers}): {what} | dash | {cpu:.1} ms{daemon} | {:.1} ms |\n",
                wall.as_secs_f64() * 1000.0
            ));
        }
        WITH_DOCKER.store(false, std::sync::atomic::Ordering::Relaxed);
    }
    let (cpu, wall) = measure(&["dash"], &first_text, (a.runs / 10).max(5), hz);
    report.push_str(&format!(
        "| first cycle (baseline + inventory, includes `sleep 1`) | dash | {cpu:.1} ms | {:.0} ms |\n",
        wall.as_secs_f64() * 1000.0
    ));

    // Section by section under dash: the cost of prologue + section minus the prologue alone.
    let (prologue, sections) = blocks(&steady);
    let (base, _) = measure(&["dash"], &prologue, a.runs, hz);
    report.push_str(&format!(
        "\nSection by section (dash, {} runs each; the shell's own start, {base:.2} ms, subtracted):\n\n\
         | Section | CPU |\n|---|---:|\n",
        a.runs
    ));
    let mut variants: Vec<(String, String)> = sections.clone();
    if let Some((_, sockets)) = sections.iter().find(|(n, _)| n == "sockets") {
        variants.push((
            "sockets, on a host with over 300 sockets (`ss` summed by awk on the server)".to_owned(),
            sockets.replace("[ \"$n\" -le 300 ]", "false"),
        ));
        variants.push((
            "sockets, fallback without `ss` (awk over /proc/net/tcp and tcp6)".to_owned(),
            sockets.replace("command -v ss >/dev/null 2>&1", "false"),
        ));
        variants.push((
            "(for comparison) kernel counters only: `head` of /proc/net/snmp, sockstat, sockstat6".to_owned(),
            "head -n 99 /proc/net/snmp /proc/net/sockstat /proc/net/sockstat6 >/dev/null 2>&1\n".to_owned(),
        ));
    }
    if let Some((_, owners)) = sections.iter().find(|(n, _)| n == "owners") {
        let all = owners.lines().map(|l| if l.starts_with("since=") { "since=" } else { l }).collect::<Vec<_>>();
        let all = format!("{}\n", all.join("\n"));
        variants.push(("owners, all processes (first cycle, every ten minutes)".to_owned(), all.clone()));
        variants.push((
            "owners, all processes, without `stat` (`ls -lnd`)".to_owned(),
            all.replace("command -v stat >/dev/null 2>&1", "false"),
        ));
    }
    for (name, block) in &variants {
        let (cpu, _) = measure(&["dash"], &format!("{prologue}{block}"), a.runs, hz);
        report.push_str(&format!("| {name} | {:.2} ms |\n", (cpu - base).max(0.0)));
    }
    if docker_usable {
        WITH_DOCKER.store(true, std::sync::atomic::Ordering::Relaxed);
        let listing = program(&ProgramOptions {
            containers: None,
            container_clients_failed: vec![ContainerClient::Nc],
            ..steady_opts.clone()
        });
        let (_, listing_sections) = blocks(&listing);
        if let Some((_, block)) = listing_sections.iter().find(|(n, _)| n == "containers") {
            let runs = (a.runs / 4).max(10);
            let daemon_before = ticks_of("dockerd");
            let (cpu, _) = measure(&["dash"], &format!("{prologue}{block}"), runs, hz);
            let daemon = match (daemon_before, ticks_of("dockerd")) {
                (Some(a0), Some(b0)) => {
                    format!(" (+ {:.2} ms in dockerd)", (b0 - a0) as f64 / hz * 1000.0 / f64::from(runs + 3))
                }
                _ => String::new(),
            };
            report.push_str(&format!(
                "| containers, with docker ({containers}), asking the daemon with curl | {:.2} ms{daemon} |\n",
                (cpu - base).max(0.0)
            ));
        }
        WITH_DOCKER.store(false, std::sync::atomic::Ordering::Relaxed);
    }
    report.push_str(NOTES);
    for mut s in sleepers {
        s.kill().ok();
        s.wait().ok();
    }
    print!("{report}");
    if let Some(path) = a.write {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, replace_section(&old, &report)).unwrap();
        eprintln!("written to {path}");
    }
    ExitCode::SUCCESS
}

/// What the figures mean; kept with them so a re-run keeps the explanation.
const NOTES: &str = "
How to read it:

- The program runs in the environment of an SSH session (PATH, HOME, USER, LOGNAME, SHELL),
  not in cargo's: cargo's `LD_LIBRARY_PATH` makes the dynamic loader of every program started
  search more directories, and inflated every figure by about half (the figures of
  2026-11-21 in this file were measured that way). The same 2-core VM also runs at different
  speeds depending on what else it runs: compare rows of one run, such as the *for
  comparison* rows, the program as it was on 2026-11-21 (`--compare`).

- *every cycle* is what the collector sends on each cycle after the first of a connection: no
  baseline, no inventory (kept in memory), descriptors counted for the previous top processes,
  and what the earlier cycles learnt: which `df` works, whether a mount can hang it, which
  containers run. Debian and Ubuntu run it with dash (their `sh`), RHEL-likes with bash, Alpine
  with busybox sh.
- Each program started costs about 1 ms of CPU here (fork, exec, dynamic linking), so the
  program starts few: one `head` reads every small kernel file *and* every `/proc/PID/stat`;
  the owners of processes are asked for (`stat -c`) only for the processes started since the
  last cycle, which on a quiet server is none, so `stat` is not started (all of them on the
  first cycle and every ten minutes: the *owners, all processes* rows); sections run in brace
  groups or shell functions, never subshells (a fork costs 0.15 ms under dash, up to 0.65 ms
  under bash); `df` runs under `timeout` only while a mount that can hang it (network, FUSE,
  unknown type) is mounted. Each run here takes `since` from `/proc/loadavg` just before it,
  as the collector takes it from the previous cycle.
- bash reads a script from a pipe one byte at a time (6 KB of program: 6,000 `read` calls,
  1.6 ms); the program's first line has bash read the rest in bulk (`read -N`) and `eval` it.
  bash still costs more than dash: it starts slower and each of its forks copies a larger
  process.
- The per-process parts (`files`, `owners`, `fds`) grow with the process count; the rest does
  not. `/proc/PID/stat` is read with `head`, which makes half the system calls of `cat` per
  file (3.8 ms against 7.8 ms for 312 files).
- TCP states. The issue asks for counts per state and the listening ports, from `/proc/net/tcp`
  and `tcp6`. Reading those files walks the whole connection hash table (262,144 buckets on this
  24 GB VM) once per file, whatever the number of sockets: the *fallback* row, 5–15 ms. `ss -tan`
  gets the same sockets over netlink (sock_diag), which skips empty buckets cheaply, but is
  itself a costly start (it links 15 libraries, Kerberos among them). On a host with up to 300
  sockets (counted from `/proc/net/sockstat` by the shell's `read`) its lines go to the collector
  as they are, a few KB; above that, awk sums them on the server (the *over 300 sockets* row)
  so the output stays a few lines with 100,000 connections. `/proc/net/tcp` only where there is
  no `ss` (busybox-only systems); the kernel counters stay in the files section for the headline
  `tcp_connections`.
- Containers. Never `docker stats` (it samples for 1–2 s per call). The running containers are
  found in the cgroup file system by a glob in the shell, and their cgroup files are read by one
  `head`. The daemon is asked for the list (names, states, health, exit codes) only on the first
  cycle, when a container started or stopped, once a minute where a container has a health
  check (docker's own checks run every 30 s and need three failures) and once an hour
  otherwise: over its socket with `nc -U` where netcat-openbsd (Ubuntu's default) is there,
  else with curl (it links 33 libraries: its start is most of that row), else with the docker
  CLI, a large Go program. The daemon's own share is measured from dockerd's CPU time over the
  runs.
";

/// Whole seconds since boot, as the program's `containers` section reads them.
fn uptime_seconds() -> u64 {
    let text = std::fs::read_to_string("/proc/uptime").unwrap();
    text.split(['.', ' ']).next().and_then(|s| s.parse().ok()).unwrap()
}

fn os_line() -> String {
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let name = os
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "Linux".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{name}, Linux {}", kernel.trim())
}

/// `old` with the section under [`HEADING`] (up to the next `## ` heading) replaced by
/// `section`, or with `section` appended.
fn replace_section(old: &str, section: &str) -> String {
    let Some(start) = old.find(HEADING) else {
        let sep = if old.is_empty() || old.ends_with("\n\n") {
            ""
        } else if old.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
        return format!("{old}{sep}{section}");
    };
    let after = &old[start + HEADING.len()..];
    let end = after.find("\n## ").map_or(old.len(), |i| start + HEADING.len() + i + 1);
    format!("{}{}{}{}", &old[..start], section, if end < old.len() { "\n" } else { "" }, &old[end..])
}
