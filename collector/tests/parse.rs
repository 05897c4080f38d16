#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Fixture-driven tests of the parsers and of the figures built from them.
//!
//! Fixtures are embedded with `include_str!`; see `fixtures/README.md` for which were captured
//! on real machines and which were written by hand. Nothing here reads the host's `/proc`: the
//! real program runs in `tests/portability.rs`, and against ground truth in `tests/truth.rs`.

use chrono::{DateTime, Utc};
use fleetwatch_collector::parse::{
    ParseOptions, Snapshot, SocketSource, parse_mounts, parse_output, parse_users, split_sections,
};
use fleetwatch_collector::protocol::SECTIONS;
use fleetwatch_collector::sample::{Built, CarriedState, build};
use fleetwatch_common::Details;

const DEBIAN_BASELINE: &str = include_str!("fixtures/debian12/baseline.txt");
const DEBIAN_NEXT: &str = include_str!("fixtures/debian12/next.txt");
const DEBIAN_BASH: &str = include_str!("fixtures/debian12/bash.txt");
const BUSYBOX_BASELINE: &str = include_str!("fixtures/debian12-busybox/baseline.txt");
const DOCKER_BASELINE: &str = include_str!("fixtures/debian12-docker/baseline.txt");
const DOCKER_NEXT: &str = include_str!("fixtures/debian12-docker/next.txt");
const UBUNTU: &str = include_str!("fixtures/ubuntu2204/baseline.txt");
const RHEL: &str = include_str!("fixtures/rhel9/baseline.txt");
const ALPINE: &str = include_str!("fixtures/alpine319/baseline.txt");
const CENTOS6: &str = include_str!("fixtures/centos6-no-memavailable/output.txt");
const MANY_MOUNTS: &str = include_str!("fixtures/k3s-many-mounts/mounts.txt");
const ODD_NAMES: &str = include_str!("fixtures/odd-names/baseline.txt");
const RESET_BEFORE: &str = include_str!("fixtures/counter-reset/before.txt");
const RESET_REBOOT: &str = include_str!("fixtures/counter-reset/reboot.txt");
const RESET_BACKWARDS: &str = include_str!("fixtures/counter-reset/backwards.txt");
const RESET_AFTER: &str = include_str!("fixtures/counter-reset/after.txt");
const WHO_GNU: &str = include_str!("fixtures/users/gnu-coreutils.txt");
const WHO_BUSYBOX: &str = include_str!("fixtures/users/busybox.txt");

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-11-21T12:00:00Z").unwrap().with_timezone(&Utc)
}

fn snap(text: &str) -> Snapshot {
    parse_output(text, &ParseOptions::default())
}

fn built(text: &str, prev: Option<&CarriedState>) -> Built {
    build("srv", now(), &snap(text), prev).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}

fn users(b: &Built) -> Vec<(&str, f64, i64, &str)> {
    b.users.iter().map(|u| (u.username.as_str(), u.cpu, u.process_count, u.top_process.as_str())).collect()
}

/// Every detail within its physical range: no negative or absurd rate.
fn assert_sane_details(d: &Details) {
    let pct = |v: f64| (0.0..=100.0).contains(&v);
    if let Some(c) = &d.cpu {
        for b in c.total.iter().chain(&c.cores) {
            for v in [b.busy, b.user, b.nice, b.system, b.iowait, b.irq, b.softirq, b.steal, b.idle] {
                assert!(pct(v), "{b:?}");
            }
            let sum = b.user + b.nice + b.system + b.iowait + b.irq + b.softirq + b.steal + b.idle;
            assert!(sum <= 100.0 + 1e-6, "{b:?}");
        }
    }
    if let Some(m) = &d.memory {
        assert!(
            m.used >= 0 && m.used <= m.total && m.available <= m.total && pct(m.used_percent) && pct(m.swap_percent),
            "{m:?}"
        );
    }
    for x in &d.disks {
        assert!(pct(x.used_percent) && x.inodes_percent.is_none_or(pct), "{x:?}");
    }
    for x in &d.disk_io {
        let rates = [x.read_bytes_per_sec, x.write_bytes_per_sec, x.reads_per_sec, x.writes_per_sec];
        assert!(rates.iter().all(|r| r.is_finite() && *r >= 0.0) && pct(x.busy_percent), "{x:?}");
    }
    for x in &d.network {
        let rates = [x.rx_bytes_per_sec, x.tx_bytes_per_sec, x.rx_packets_per_sec, x.tx_packets_per_sec];
        assert!(rates.iter().all(|r| r.is_finite() && *r >= 0.0), "{x:?}");
        assert!(x.rx_errors >= 0 && x.tx_errors >= 0 && x.rx_drops >= 0 && x.tx_drops >= 0, "{x:?}");
    }
    let cores = d.cpu.as_ref().map_or(1, |c| c.core_count.max(1)) as f64;
    for p in d.processes_by_cpu.iter().chain(&d.processes_by_memory) {
        assert!((0.0..=cores * 100.0).contains(&p.cpu_percent) && pct(p.mem_percent) && p.rss_bytes >= 0, "{p:?}");
    }
    for c in d.containers.iter().flatten() {
        assert!(c.cpu_percent.is_none_or(|v| v.is_finite() && (0.0..=cores * 100.0).contains(&v)), "{c:?}");
    }
    if let Some(t) = &d.tcp {
        assert!(t.states.values().all(|v| *v >= 0), "{t:?}");
    }
}

/// Every figure within its physical range.
fn assert_sane(b: &Built) {
    assert_sane_details(&b.details);
    let s = &b.sample;
    for p in [s.cpu_percent, s.ram_percentage, s.swap_percentage, s.disk_percentage] {
        assert!(p.is_none_or(|p| (0.0..=100.0).contains(&p)), "{p:?} in {s:?}");
    }
    let cores = s.cpu_cores.unwrap_or(1) as f64;
    for u in &b.users {
        assert!((0.0..=cores * 100.0).contains(&u.cpu), "{u:?}");
        assert!((0.0..=100.0).contains(&u.mem), "{u:?}");
        assert!(u.rss_bytes >= 0 && u.process_count > 0, "{u:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Captured on Debian 12 (dash, bash, busybox sh with busybox applets only, docker 20.10).

#[test]
fn debian12_captures_parse_without_errors() {
    for (name, text) in [
        ("dash baseline", DEBIAN_BASELINE),
        ("dash", DEBIAN_NEXT),
        ("bash", DEBIAN_BASH),
        ("busybox", BUSYBOX_BASELINE),
        ("docker baseline", DOCKER_BASELINE),
        ("docker", DOCKER_NEXT),
    ] {
        let s = snap(text);
        assert!(s.errors.is_empty(), "{name}: {:?}", s.errors);
        assert!(s.warnings.is_empty(), "{name}: {:?}", s.warnings);
        assert_eq!(s.hostname.as_deref(), Some("vm"), "{name}");
        assert_eq!(s.stat.as_ref().map(|c| (c.cores, c.per_cpu.len())), Some((2, 2)), "{name}");
        let procs = s.procs.as_ref().map_or(0, Vec::len);
        assert!(procs > 50, "{name}: {procs} processes");
        assert_eq!(s.passwd.as_ref().and_then(|p| p.get(&0)).map(String::as_str), Some("root"));
        let mounts: Vec<&str> = s.mounts.iter().flatten().map(|m| m.mount_point.as_str()).collect();
        assert_eq!(mounts, ["/"], "{name}: only the ext4 root is real here");
        let root = &s.mounts.as_ref().unwrap()[0];
        assert!(root.inodes.is_some_and(|i| i.total == 16_777_216 && i.used > 0), "{name}: {root:?}");
        assert_eq!(s.users.as_ref().map(Vec::len), Some(0), "{name}: no utmp on this machine");
        assert!(s.diskstats.as_ref().is_some_and(|d| d.iter().any(|d| d.name == "vda")), "{name}");
        assert!(s.netdev.as_ref().is_some_and(|n| n.iter().any(|n| n.name == "lo")), "{name}");
        assert!(s.file_nr.is_some_and(|f| f.open > 0 && f.max > f.open), "{name}");
        let sockets = s.sockets.as_ref().unwrap();
        let want = if name == "busybox" { SocketSource::ProcNetTcp } else { SocketSource::Ss };
        assert_eq!(sockets.source, want, "{name}: ss where it exists, /proc/net/tcp with busybox only");
        assert!(sockets.listening.iter().any(|l| l.port == 5432), "{name}: PostgreSQL listens here");
        assert!(s.sockets.as_ref().unwrap().states.get("LISTEN").is_some_and(|n| *n >= 10), "{name}");
    }
    // The first cycle of a connection reads the inventory; the next ones keep it.
    for text in [DEBIAN_BASELINE, BUSYBOX_BASELINE, DOCKER_BASELINE] {
        let inv = snap(text).inventory.unwrap();
        assert_eq!(inv.os_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!((inv.kernel.as_deref(), inv.arch.as_deref()), (Some("6.18.44-fc-v657"), Some("x86_64")));
        assert_eq!(inv.cpu_model.as_deref(), Some("AMD EPYC"));
        assert_eq!(snap(text).pagesize, Some(4096));
    }
    assert!(snap(DEBIAN_NEXT).inventory.is_none() && snap(DEBIAN_NEXT).pagesize.is_none());
    assert!(snap(DEBIAN_NEXT).fds.is_some_and(|f| f.len() >= 5), "descriptors of the previous top processes");
    assert!(matches!(snap(DEBIAN_NEXT).containers, Some(fleetwatch_collector::parse::ContainerSection::Absent)));
}

#[test]
fn debian12_figures_are_sane_from_baseline_then_next_cycle() {
    let first = built(DEBIAN_BASELINE, None);
    assert_sane(&first);
    assert!(first.sample.cpu_percent.is_some(), "the baseline gives a CPU rate at once");
    assert!(first.users.iter().any(|u| u.username == "root" && u.process_count > 10));
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    let s = &first.sample;
    assert_eq!(s.disk_mount.as_deref(), Some("/"));
    assert_eq!(s.ram_total_bytes, Some(24_684_092 * 1024));
    assert_eq!(s.swap_percentage, Some(0.0), "no swap on this machine");
    let d = &first.details;
    assert!(d.section_errors.is_empty(), "{:?}", d.section_errors);
    let cpu = d.cpu.as_ref().unwrap();
    assert_eq!((cpu.core_count, cpu.cores.len()), (2, 2));
    assert!(cpu.total.is_some() && cpu.mhz.is_some_and(|m| m > 1000.0));
    assert!(d.disk_io.iter().any(|io| io.device == "vda"), "the baseline gives I/O rates at once");
    assert!(d.network.iter().any(|n| n.name == "lo"));
    assert!(
        d.system.as_ref().is_some_and(|s| s.processes > Some(50) && s.threads >= s.processes && s.boot_time.is_some())
    );
    assert_eq!(d.processes_by_cpu.len(), 10);
    assert_eq!(d.processes_by_memory.len(), 10);
    assert!(d.processes_by_memory.windows(2).all(|w| w[0].rss_bytes >= w[1].rss_bytes));
    assert!(d.processes_by_cpu.windows(2).all(|w| w[0].cpu_percent >= w[1].cpu_percent));
    assert_eq!(d.containers, None, "no docker: None, not an empty list");
    assert!(!first.carried.top_pids.is_empty() && first.carried.inventory.is_some());

    let next = built(DEBIAN_NEXT, Some(&first.carried));
    assert_sane(&next);
    assert!(next.warnings.is_empty(), "{:?}", next.warnings);
    assert!(next.sample.cpu_percent.is_some());
    assert!(next.sample.uptime_seconds >= first.sample.uptime_seconds);
    let d = &next.details;
    // Facts read on the first cycle are kept; descriptors were counted (root reads them all).
    assert_eq!(d.system.as_ref().and_then(|s| s.kernel.as_deref()), Some("6.18.44-fc-v657"));
    assert_eq!(d.cpu.as_ref().and_then(|c| c.model.as_deref()), Some("AMD EPYC"));
    let with_fds = d.processes_by_memory.iter().filter(|p| p.open_fds.is_some()).count();
    assert!(with_fds >= 5, "{:?}", d.processes_by_memory);
    let bash = built(DEBIAN_BASH, Some(&first.carried));
    assert_sane(&bash);
    let busybox = built(BUSYBOX_BASELINE, None);
    assert_sane(&busybox);
    assert!(busybox.sample.cpu_percent.is_some());
    assert!(busybox.details.disk_io.iter().any(|io| io.device == "vda"));
}

#[test]
fn docker_containers_captured_with_a_cpu_quota() {
    // `docker run --cpus 0.2` of a busy loop: 20 % of one core by construction (cgroup v1 here).
    let first = built(DOCKER_BASELINE, None);
    assert_sane(&first);
    let next = built(DOCKER_NEXT, Some(&first.carried));
    assert_sane(&next);
    let list = next.details.containers.clone().unwrap();
    let by_name = |n: &str| list.iter().find(|c| c.name == n).unwrap().clone();
    let capped = by_name("capped");
    assert_eq!((capped.state.as_str(), capped.image.as_str()), ("running", "fwbox:1"));
    let cpu = capped.cpu_percent.unwrap();
    assert!((cpu - 20.0).abs() < 2.0, "capped at 20 %: {cpu}");
    assert!(capped.memory_bytes.is_some_and(|m| m > 0 && m < 50 << 20));
    assert_eq!(capped.memory_limit_bytes, None, "no limit set");
    assert_eq!((capped.net_rx_bytes, capped.block_read_bytes), (Some(0), Some(0)), "--network none, no I/O");
    let job = by_name("job");
    assert_eq!((job.state.as_str(), job.exit_code, job.cpu_percent), ("exited", Some(3), None));
    let web = by_name("web");
    assert_eq!(web.health.as_deref(), Some("healthy"));
    assert!(web.cpu_percent.is_some_and(|c| c < 5.0));
    // The first cycle has no earlier container reading: no CPU rate, the rest is there.
    let first_list = first.details.containers.unwrap();
    assert!(first_list.iter().all(|c| c.cpu_percent.is_none()) && first_list.len() == 3);
}

#[test]
fn who_layouts_captured_from_gnu_and_busybox() {
    for (name, text) in [("gnu", WHO_GNU), ("busybox", WHO_BUSYBOX)] {
        let p = parse_users(text).unwrap();
        assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings);
        let got: Vec<(&str, &str, Option<&str>)> =
            p.value.iter().map(|s| (s.user.as_str(), s.tty.as_str(), s.host.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("alice", "pts/0", Some("10.0.0.5")),
                ("j.doe2", "pts/1", Some("2001:db8::7")),
                ("root", "tty1", None),
                ("bob", "pts/2", Some("tmux(1255).%0")),
            ],
            "{name}"
        );
        assert!(p.value[0].login.starts_with("Nov 14 23:13"), "{name}");
        let at = p.value[0].login_time(now()).unwrap().to_rfc3339();
        let want = if name == "gnu" { "2025-11-14T23:13:00+00:00" } else { "2025-11-14T23:13:20+00:00" };
        assert_eq!(at, want, "{name}: busybox prints seconds");
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-made fixtures with exact expectations (arithmetic in the comments of each).

#[test]
fn ubuntu2204_with_snaps_and_motd() {
    let s = snap(UBUNTU);
    assert!(s.errors.is_empty() && s.warnings.is_empty(), "{:?} {:?}", s.errors, s.warnings);
    let b = built(UBUNTU, None);
    assert_sane(&b);
    let x = &b.sample;
    // Δtotal 400, Δidle+iowait 240.
    assert!(close(x.cpu_percent, 40.0), "{:?}", x.cpu_percent);
    assert_eq!((x.cpu_load_1min, x.cpu_load_5min, x.cpu_load_15min), (Some(0.52), Some(0.61), Some(0.70)));
    assert!(close(x.ram_percentage, (8_131_244.0 - 3_000_000.0) / 8_131_244.0 * 100.0));
    assert_eq!(x.ram_used_bytes, Some((8_131_244 - 3_000_000) * 1024));
    assert!(close(x.swap_percentage, 524_288.0 / 2_097_148.0 * 100.0));
    // /data is fuller than /; the snaps (100 %) are squashfs and do not count.
    assert_eq!(x.disk_mount.as_deref(), Some("/data"));
    assert!(close(x.disk_percentage, 900_000_000.0 / 979_569_408.0 * 100.0));
    assert_eq!(x.disk_total_bytes, Some(1_031_992_064 * 1024));
    assert_eq!(x.disk_used_bytes, Some(900_000_000 * 1024));
    assert_eq!(x.logged_users, Some(2));
    assert_eq!(x.tcp_connections, Some(42));
    assert_eq!(x.uptime_seconds, Some(1_234_567));
    assert_eq!(x.cpu_cores, Some(4));
    assert_eq!(x.hostname.as_deref(), Some("web-01"));
    // 100 ticks per core; pid 2300 is new (started after the baseline's cat): all 5 ticks.
    assert_eq!(
        users(&b),
        [("alice", 85.0, 4, "python3"), ("postgres", 40.0, 2, "postgres"), ("root", 3.0, 4, "kworker/1:1-events"),]
    );
    let alice = &b.users[0];
    assert_eq!(alice.rss_bytes, 102_500 * 4096);
    assert!((alice.mem - 102_500.0 * 4096.0 / (8_131_244.0 * 1024.0) * 100.0).abs() < 1e-9);
    assert_eq!(alice.disk_bytes, None);

    let d = &b.details;
    // Per CPU: Δ 30 user, 10 system, 55 idle, 5 iowait of 100 ticks, on each of the 4.
    let cpu = d.cpu.as_ref().unwrap();
    let total = cpu.total.as_ref().unwrap();
    assert!(
        (total.user - 30.0).abs() < 1e-9 && (total.system - 10.0).abs() < 1e-9 && (total.iowait - 5.0).abs() < 1e-9
    );
    assert!((total.busy - 40.0).abs() < 1e-9 && (total.idle - 55.0).abs() < 1e-9);
    assert_eq!(cpu.cores.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["cpu0", "cpu1", "cpu2", "cpu3"]);
    assert!(cpu.cores.iter().all(|c| (c.user - 30.0).abs() < 1e-9));
    assert_eq!((cpu.model.as_deref(), cpu.mhz), (Some("Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz"), Some(2095.078)));
    // Memory as free(1): cached = Cached + SReclaimable.
    let m = d.memory.as_ref().unwrap();
    assert_eq!((m.total, m.available, m.used), (8_131_244 * 1024, 3_000_000 * 1024, (8_131_244 - 3_000_000) * 1024));
    assert_eq!((m.swap_total, m.swap_used), (2_097_148 * 1024, 524_288 * 1024));
    assert!(!m.available_estimated);
    // Real mounts only, with inodes from df --output; vfat has none.
    let disks: Vec<(&str, &str, Option<i64>)> =
        d.disks.iter().map(|x| (x.mount.as_str(), x.fstype.as_str(), x.inodes_used)).collect();
    assert_eq!(disks, [("/", "ext4", Some(412_345)), ("/boot/efi", "vfat", None), ("/data", "ext4", Some(14_062_500))]);
    assert!((d.disks[0].inodes_percent.unwrap() - 412_345.0 / 3_932_160.0 * 100.0).abs() < 1e-9);
    // 1 s between baseline and reading. sda: +4,000 sectors read (× 512 B), +800 written,
    // +50 reads, +20 writes, +250 ms busy; sdb: +160, +20,480 sectors, +10, +100, +900 ms.
    // Partitions, loops and the never-used sr0 are left out.
    let io: Vec<(&str, f64, f64, f64, f64, f64)> = d
        .disk_io
        .iter()
        .map(|x| {
            (
                x.device.as_str(),
                x.read_bytes_per_sec,
                x.write_bytes_per_sec,
                x.reads_per_sec,
                x.writes_per_sec,
                x.busy_percent,
            )
        })
        .collect();
    let expected =
        [("sda", 2_048_000.0, 409_600.0, 50.0, 20.0, 25.0), ("sdb", 81_920.0, 10_485_760.0, 10.0, 100.0, 90.0)];
    assert_eq!(io.len(), 2, "{io:?}");
    for (got, want) in io.iter().zip(expected) {
        assert_eq!(got.0, want.0);
        for (g, w) in [(got.1, want.1), (got.2, want.2), (got.3, want.3), (got.4, want.4), (got.5, want.5)] {
            assert!((g - w).abs() < w * 1e-6 + 1e-6, "{got:?} vs {want:?}");
        }
    }
    let enp = d.network.iter().find(|n| n.name == "enp0s3").unwrap();
    assert!((enp.rx_bytes_per_sec - 125_000.0).abs() < 1e-3 && (enp.tx_bytes_per_sec - 25_000.0).abs() < 1e-3);
    assert!((enp.rx_packets_per_sec - 100.0).abs() < 1e-6 && (enp.tx_packets_per_sec - 50.0).abs() < 1e-6);
    assert_eq!((enp.rx_errors, enp.rx_drops, enp.tx_errors, enp.tx_drops), (1, 2, 0, 0));
    assert_eq!(d.network.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["docker0", "enp0s3", "lo"]);
    let tcp = d.tcp.as_ref().unwrap();
    let states: Vec<(&str, i64)> = tcp.states.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(states, [("CLOSE_WAIT", 2), ("ESTABLISHED", 40), ("LISTEN", 5), ("SYN_RECV", 1), ("TIME_WAIT", 17)]);
    // CurrEstab of /proc/net/snmp counts ESTABLISHED and CLOSE_WAIT together (RFC 1213).
    assert_eq!(x.tcp_connections, Some(40 + 2));
    let ports: Vec<(&str, &str, u16)> =
        tcp.listening.iter().map(|l| (l.protocol.as_str(), l.address.as_str(), l.port)).collect();
    assert_eq!(
        ports,
        [
            ("tcp", "0.0.0.0", 22),
            ("tcp", "127.0.0.1", 5432),
            ("tcp", "127.0.0.53%lo", 53),
            ("tcp6", "::", 22),
            ("tcp6", "::1", 5432)
        ]
    );
    // who ran with TZ=UTC0; the year comes from `now` (2025-11-21): Nov 21 14:02 is a few hours
    // ahead of it (a fast server clock), still this year.
    let sessions: Vec<(&str, &str, Option<&str>, String)> = d
        .sessions
        .iter()
        .map(|s| {
            (
                s.user.as_str(),
                s.tty.as_str(),
                s.from.as_deref(),
                s.login_time.map(|t| t.to_rfc3339()).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            ("ubuntu", "pts/0", Some("203.0.113.10"), "2025-11-20T08:15:00+00:00".to_owned()),
            ("alice", "pts/1", Some("tmux(2095).%0"), "2025-11-21T14:02:00+00:00".to_owned()),
        ]
    );
    let sys = d.system.as_ref().unwrap();
    assert_eq!(
        (sys.os.as_deref(), sys.os_id.as_deref(), sys.os_version.as_deref()),
        (Some("Ubuntu 22.04.3 LTS"), Some("ubuntu"), Some("22.04"))
    );
    assert_eq!((sys.kernel.as_deref(), sys.architecture.as_deref()), (Some("5.15.0-91-generic"), Some("x86_64")));
    assert_eq!(sys.boot_time.map(|t| t.timestamp()), Some(1_762_000_000));
    assert_eq!((sys.processes, sys.threads, sys.open_files), (Some(11), Some(11), Some(2016)));
    // Top processes: python3 of alice, +78 + 2 ticks of 100 per core.
    let top = &d.processes_by_cpu[0];
    assert_eq!(
        (top.pid, top.user.as_str(), top.command.as_str(), top.rss_bytes),
        (2100, "alice", "python3", 100_000 * 4096)
    );
    assert!((top.cpu_percent - 80.0).abs() < 1e-9 && top.open_fds.is_none());
    assert_eq!(d.processes_by_memory.iter().map(|p| p.pid).take(3).collect::<Vec<_>>(), [2100, 1500, 1501]);
    // Containers on cgroup v2: memory is usage − inactive_file, as `docker stats` counts it.
    let c = d.containers.as_ref().unwrap();
    let web = &c[0];
    assert_eq!((web.name.as_str(), web.state.as_str(), web.health.as_deref()), ("web", "running", Some("healthy")));
    assert_eq!((web.memory_bytes, web.memory_limit_bytes), (Some(157_286_400 - 10_485_760), Some(536_870_912)));
    assert_eq!((web.block_read_bytes, web.block_write_bytes), (Some(1_048_576), Some(2_097_152)));
    assert_eq!((web.net_rx_bytes, web.net_tx_bytes), (Some(5_000_000), Some(7_000_000)), "lo left out");
    assert_eq!(web.cpu_percent, None, "the baseline has no container reading");
    assert_eq!((c[1].name.as_str(), c[1].exit_code, c[1].memory_bytes), ("worker", Some(137), None));
}

#[test]
fn rhel9_with_sssd_user_and_no_swap() {
    let b = built(RHEL, None);
    assert_sane(&b);
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    let x = &b.sample;
    assert!(close(x.cpu_percent, 25.0));
    assert!(close(x.ram_percentage, 50.0));
    assert_eq!(x.swap_percentage, Some(0.0), "SwapTotal 0 is 0 %, not unknown");
    assert_eq!(x.disk_mount.as_deref(), Some("/home"));
    assert!(close(x.disk_percentage, 90.0));
    assert_eq!(x.logged_users, Some(0));
    assert_eq!(x.tcp_connections, Some(310));
    assert_eq!(x.hostname.as_deref(), Some("app-03.prod.example.com"));
    // The SSSD account is not in /etc/passwd: reported under its uid.
    assert_eq!(users(&b), [("1668400001", 40.0, 1, "java"), ("apache", 8.0, 2, "httpd"), ("root", 0.0, 3, "systemd")]);
    let tcp = snap(RHEL).tcp.unwrap();
    assert_eq!((tcp.time_wait, tcp.in_use, tcp.orphaned), (Some(1200), Some(355), Some(2)));

    let d = &b.details;
    // cpufreq's current 2.8 GHz rather than cpuinfo's 1.5 GHz of the inventory.
    assert_eq!(d.cpu.as_ref().and_then(|c| c.mhz), Some(2800.0));
    // NVMe partitions are left out; device-mapper volumes are kept (what LVM users look at).
    // nvme0n1 +80,000 and +120,000 sectors in 1 s, +500 ms busy.
    let devices: Vec<&str> = d.disk_io.iter().map(|x| x.device.as_str()).collect();
    assert_eq!(devices, ["dm-0", "dm-1", "dm-2", "nvme0n1"]);
    let nvme = &d.disk_io[3];
    assert!(
        (nvme.read_bytes_per_sec - 40_960_000.0).abs() < 1.0 && (nvme.write_bytes_per_sec - 61_440_000.0).abs() < 1.0
    );
    assert!((nvme.busy_percent - 50.0).abs() < 1e-6);
    let home = d.disks.iter().find(|x| x.mount == "/home").unwrap();
    assert_eq!((home.fstype.as_str(), home.inodes_percent), ("xfs", Some(95.0)));
    // Two SO_REUSEPORT sockets on *:8080 are one listening port.
    let ports: Vec<(&str, u16)> =
        d.tcp.as_ref().unwrap().listening.iter().map(|l| (l.protocol.as_str(), l.port)).collect();
    assert_eq!(ports, [("tcp", 22), ("tcp", 443), ("tcp", 25), ("tcp6", 22), ("tcp6", 8080)]);
    let java = &d.processes_by_cpu[0];
    assert_eq!((java.user.as_str(), java.command.as_str(), java.threads), ("1668400001", "java", 80));
    assert_eq!(d.system.as_ref().and_then(|s| s.threads), Some(85));
    assert_eq!(d.containers, None);
}

#[test]
fn alpine_busybox_container_without_diskstats() {
    let s = snap(ALPINE);
    assert!(s.errors.is_empty() && s.warnings.is_empty(), "{:?} {:?}", s.errors, s.warnings);
    let sessions = s.users.clone().unwrap();
    assert_eq!(sessions[0].user, "op.2");
    assert_eq!(sessions[0].login, "Nov 21 09:14:55");
    assert_eq!(sessions[0].host.as_deref(), Some("192.0.2.44"));
    assert_eq!(sessions[1].host, None);
    let b = built(ALPINE, None);
    assert_sane(&b);
    let x = &b.sample;
    assert!(close(x.cpu_percent, 10.0));
    assert_eq!(x.cpu_cores, Some(1));
    assert_eq!(x.disk_mount.as_deref(), Some("/"));
    assert!(close(x.disk_percentage, 2_100_000.0 / 7_755_604.0 * 100.0));
    assert!(close(x.ram_percentage, 20.0));
    assert_eq!(users(&b), [("nginx", 8.0, 2, "nginx"), ("root", 0.0, 3, "init")]);

    let d = &b.details;
    // No /proc/diskstats here: no device, and not an error either.
    assert!(d.disk_io.is_empty() && d.section_errors.is_empty());
    // busybox: no ss, so /proc/net/tcp{,6} summed by awk; hex addresses decoded.
    let tcp = d.tcp.as_ref().unwrap();
    assert_eq!(tcp.states.get("ESTABLISHED"), Some(&4));
    let ports: Vec<(&str, &str, u16)> =
        tcp.listening.iter().map(|l| (l.protocol.as_str(), l.address.as_str(), l.port)).collect();
    assert_eq!(ports, [("tcp", "0.0.0.0", 22), ("tcp", "127.0.0.1", 25), ("tcp6", "::", 80)]);
    // busybox df -P -i layout.
    assert_eq!(d.disks.iter().map(|x| x.inodes_total).collect::<Vec<_>>(), [Some(511_963), Some(16_384)]);
    let eth0 = d.network.iter().find(|n| n.name == "eth0").unwrap();
    assert!((eth0.rx_bytes_per_sec - 2000.0).abs() < 1e-6 && (eth0.tx_bytes_per_sec - 30_000.0).abs() < 1e-6);
    assert_eq!(d.system.as_ref().and_then(|s| s.os.as_deref()), Some("Alpine Linux v3.19"));
    let root_login = d.sessions[1].login_time.map(|t| t.to_rfc3339());
    assert_eq!(root_login.as_deref(), Some("2025-11-19T17:00:01+00:00"), "busybox prints seconds");
}

#[test]
fn centos6_without_memavailable_and_old_formats() {
    let s = snap(CENTOS6);
    assert!(s.errors.is_empty() && s.warnings.is_empty(), "{:?} {:?}", s.errors, s.warnings);
    let m = s.meminfo.unwrap();
    assert_eq!(m.available, None);
    assert_eq!(m.available_bytes(), Some(1_950_000 * 1024));
    let cpu = s.stat.as_ref().unwrap().all;
    assert_eq!((cpu.guest, cpu.guest_nice), (0, 0), "9 columns: no guest_nice");
    assert_eq!(cpu.total(), 200_000 + 300 + 80_000 + 3_000_000 + 9_000 + 200 + 1_000);
    let root = &s.mounts.as_ref().unwrap()[0];
    assert_eq!((root.mount_point.as_str(), root.fstype.as_deref()), ("/", Some("ext4")));

    let b = built(CENTOS6, None);
    assert_sane(&b);
    let x = &b.sample;
    assert!(close(x.ram_percentage, 1_974_700.0 / 3_924_700.0 * 100.0));
    assert!(close(x.swap_percentage, 25.0));
    assert_eq!(x.disk_mount.as_deref(), Some("/"));
    assert_eq!(x.cpu_percent, None, "one reading, no baseline: no rate");
    assert!(b.warnings.iter().any(|w| w.contains("two readings")), "{:?}", b.warnings);
    assert_eq!(users(&b), [("mysql", 0.0, 1, "mysqld"), ("root", 0.0, 2, "init")]);
    // Its counters make the next cycle's rates possible.
    assert!(b.carried.cpu.is_some() && b.carried.procs.is_some() && b.carried.disks.is_some());

    let d = &b.details;
    let mem = d.memory.as_ref().unwrap();
    assert!(mem.available_estimated && mem.available == 1_950_000 * 1024);
    // One reading: no rate of any kind, and no made-up zeros.
    assert!(d.cpu.as_ref().is_some_and(|c| c.total.is_none() && c.cores.is_empty() && c.core_count == 2));
    assert!(d.disk_io.is_empty() && d.network.is_empty() && d.processes_by_cpu.is_empty());
    assert_eq!(d.processes_by_memory[0].command, "mysqld");
    // No os-release on CentOS 6; uname and cpuinfo are there.
    let sys = d.system.as_ref().unwrap();
    assert_eq!((sys.os.as_deref(), sys.kernel.as_deref()), (None, Some("2.6.32-754.35.1.el6.x86_64")));
    // The old ss: `*:22` is IPv4, `:::22` IPv6.
    let ports: Vec<(&str, &str, u16)> =
        d.tcp.as_ref().unwrap().listening.iter().map(|l| (l.protocol.as_str(), l.address.as_str(), l.port)).collect();
    assert_eq!(ports, [("tcp", "0.0.0.0", 22), ("tcp", "0.0.0.0", 3306), ("tcp", "127.0.0.1", 25), ("tcp6", "::", 22)]);
    // Coreutils 8.4 has no df --output: the POSIX pair, with GNU's df -i header.
    assert_eq!(d.disks[0].inodes_total, Some(3_225_383));
    // Old /proc/net/dev: numbers glued to the name.
    assert_eq!(snap(CENTOS6).netdev.unwrap()[1].rx_bytes, 4_294_000_000);
}

#[test]
fn many_mounts_keep_only_real_ones_once() {
    let body = MANY_MOUNTS;
    let lines = body.lines().count();
    assert!(lines > 250, "{lines}");
    let defaults = ParseOptions::default().excluded_fstypes;
    let p = parse_mounts(body, &defaults).unwrap();
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let kept: Vec<&str> = p.value.iter().map(|m| m.mount_point.as_str()).collect();
    assert_eq!(kept, ["/", "/boot", "/var/lib/rancher"]);

    let b = build("k3s", now(), &Snapshot { mounts: Some(p.value), ..Snapshot::default() }, None).unwrap();
    assert_eq!(b.sample.disk_mount.as_deref(), Some("/var/lib/rancher"));
    assert!(close(b.sample.disk_percentage, 88.0));
    assert_eq!(b.details.disks.len(), 3);

    // Without exclusions the NFS share (with a space, `\040` in /proc/mounts) is the fullest.
    let all = parse_mounts(body, &[]).unwrap().value;
    let nfs = all.iter().find(|m| m.fstype.as_deref() == Some("nfs4")).unwrap();
    assert_eq!(nfs.mount_point, "/mnt/backup share");
    assert!(all.iter().all(|m| m.total_bytes > 0));
    assert_eq!(all.iter().filter(|m| m.device == "/dev/nvme1n1").count(), 1, "bind mounts once");
}

#[test]
fn odd_user_and_command_names() {
    let s = snap(ODD_NAMES);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // Only the half line of the exiting process is skipped.
    let w: Vec<String> = s.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(w, ["procs: line 7: fewer than 24 fields"]);
    let names: Vec<&str> = s.procs.iter().flatten().map(|p| &*p.comm).collect();
    for n in ["tmux: server", "a) b (c", "(sd-pam)", "line\nbreak", "kworker/0:0H-events_highpri"] {
        assert!(names.contains(&n), "{n:?} in {names:?}");
    }
    let sessions = s.users.clone().unwrap();
    assert_eq!(sessions[0].login, "2025-11-21 10:00");
    assert_eq!(sessions[1].user, "1337");
    assert_eq!(sessions[1].host.as_deref(), Some("host with spaces"));

    let b = built(ODD_NAMES, None);
    assert_sane(&b);
    assert!(close(b.sample.cpu_percent, 60.0));
    assert_eq!(
        users(&b),
        [
            ("1337", 43.0, 2, "a) b (c"),
            ("j.doe2", 32.0, 3, "Web Content"),
            ("www-data", 20.0, 2, "php-fpm: pool www"),
            ("root", 0.0, 3, "systemd"),
        ]
    );
    let top: Vec<(&str, &str)> =
        b.details.processes_by_cpu.iter().take(3).map(|p| (p.user.as_str(), p.command.as_str())).collect();
    assert_eq!(top, [("1337", "a) b (c"), ("j.doe2", "Web Content"), ("www-data", "php-fpm: pool www")]);
    assert!(b.details.processes_by_memory.iter().any(|p| p.command == "line\nbreak"));
    let login = b.details.sessions[0].login_time.map(|t| t.to_rfc3339());
    assert_eq!(login.as_deref(), Some("2025-11-21T10:00:00+00:00"), "ISO layout carries its year");
}

#[test]
fn counter_resets_never_give_negative_or_absurd_rates() {
    let before = built(RESET_BEFORE, None);
    assert_eq!(before.sample.cpu_percent, None);

    for (name, text) in [("reboot", RESET_REBOOT), ("backwards", RESET_BACKWARDS)] {
        let b = built(text, Some(&before.carried));
        assert_sane(&b);
        assert_eq!(b.sample.cpu_percent, None, "{name}");
        assert!(b.users.iter().all(|u| u.cpu == 0.0), "{name}: {:?}", b.users);
        assert!(b.warnings.iter().any(|w| w.contains("reboot")), "{name}: {:?}", b.warnings);
        let d = &b.details;
        assert!(d.cpu.as_ref().is_some_and(|c| c.total.is_none() && c.cores.is_empty()), "{name}");
        assert!(d.disk_io.is_empty() && d.network.is_empty() && d.processes_by_cpu.is_empty(), "{name}: {d:?}");
        // The reading after a reset is the next cycle's reference.
        let after = built(RESET_AFTER, Some(&b.carried));
        assert_sane(&after);
    }

    // Δtotal 400 over 2 CPUs = 200 ticks per core; worker +300 ticks = 150 % of one core.
    let after = built(RESET_AFTER, Some(&before.carried));
    assert_sane(&after);
    assert!(close(after.sample.cpu_percent, 25.0));
    assert_eq!(users(&after), [("worker", 150.0, 1, "worker"), ("root", 1.0, 2, "init")]);
    // 2 s apart: vda +8,000 sectors read, +40,000 written, +100 and +400 I/Os, +500 ms busy.
    let d = &after.details;
    let vda = &d.disk_io[0];
    assert_eq!(vda.device, "vda");
    assert!(
        (vda.read_bytes_per_sec - 2_048_000.0).abs() < 1e-3 && (vda.write_bytes_per_sec - 10_240_000.0).abs() < 1e-3
    );
    assert!((vda.reads_per_sec - 50.0).abs() < 1e-6 && (vda.writes_per_sec - 200.0).abs() < 1e-6);
    assert!((vda.busy_percent - 25.0).abs() < 1e-6);
    // eth0's counters went backwards alone (the interface was recreated): no rate for it, a
    // warning, and lo keeps its rate.
    assert_eq!(d.network.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["lo"]);
    assert!((d.network[0].rx_bytes_per_sec - 200.0).abs() < 1e-6);
    assert!(after.warnings.iter().any(|w| w.contains("eth0 went backwards")), "{:?}", after.warnings);
    assert_eq!(d.processes_by_cpu[0].cpu_percent, 150.0);
}

// ---------------------------------------------------------------------------------------------
// Malformed and truncated input: never a panic, always a section error.

fn files(content: &str) -> String {
    format!("@@fw begin files\n{content}@@fw end files 0\n")
}

#[test]
fn malformed_sections_yield_section_errors() {
    let ok_uptime = files("==> /proc/uptime <==\n100.5 50.0\n");
    let meminfo = |body: &str| files(&format!("==> /proc/uptime <==\n100.5 50.0\n==> /proc/meminfo <==\n{body}"));
    let other = |name: &str, body: &str| format!("{ok_uptime}@@fw begin {name}\n{body}@@fw end {name} 0\n");
    let table: Vec<(String, &str)> = vec![
        (meminfo("MemTotal: lots kB\n"), "meminfo: line 1: MemTotal is not a number"),
        (meminfo("MemFree: 1 kB\n"), "meminfo: no MemTotal line"),
        (
            files("==> /proc/uptime <==\n100.5 50.0\n==> /proc/stat <==\ncpu 1 2\n"),
            "stat: line 1: the cpu line does not hold 4 or more numbers",
        ),
        (files("==> /proc/uptime <==\n100.5 50.0\n==> /proc/stat <==\nintr 1 2 3\n"), "stat: no cpu line"),
        (ok_uptime.clone(), "stat: /proc/stat is missing from the output"),
        (files("==> /proc/uptime <==\n100.5 50.0\n==> /proc/net/dev <==\nInter-|\n"), "netdev: no interface"),
        (
            files("==> /proc/uptime <==\n100.5 50.0\n==> /proc/sys/fs/file-nr <==\n1 2\n"),
            "file-nr: line 1: not three numbers",
        ),
        (files("==> /proc/uptime <==\n100.5 50.0\n==> /proc/net/snmp <==\nTcp: A\n"), "tcp: no Tcp: value line"),
        (other("procs", ""), "procs: no process"),
        (other("procs", "12 (x) S 1\n"), "procs: no process"),
        (other("owners", "total 0\n"), "owners: no process directory"),
        (files("==> /proc/uptime <==\n100.5 50.0\n==> /etc/passwd <==\n\n"), "passwd: no account"),
        (other("pagesize", "four\n"), "pagesize: line 1: page size \"four\" is not a plausible number"),
        (
            other("mounts", "Filesystem 1024-blocks\n/dev/a 1 1 0 100% /\n"),
            "mounts: no @@mounts line: /proc/mounts is missing",
        ),
        (other("mounts", "@@inodes\n"), "mounts: no @@mounts line: /proc/mounts is missing"),
        (other("sockets", "state ESTAB 3\n"), "sockets: no source line: neither ss nor /proc/net/tcp was read"),
        (other("containers", ""), "containers: neither \"none\" nor a \"tool\" line"),
        (other("inventory", ""), "inventory: neither uname, os-release nor cpuinfo could be read"),
        (
            files("==> /proc/uptime <==\n100.5 50.0\n==> /proc/loadavg <==\n0.1 zero 0.3\n"),
            "loadavg: line 1: 5 minute load \"zero\" is not a number",
        ),
        (files("==> /proc/uptime <==\n100.5 50.0\n==> /proc/sys/kernel/hostname <==\n\n"), "hostname: empty"),
        (format!("{ok_uptime}@@fw begin users\nUSER TTY\n@@fw end users 1\n"), "users: exit status 1"),
        (format!("{ok_uptime}@@fw begin containers\n@@fw end containers 1\n"), "containers: exit status 1"),
        (other("files0", "==> /proc/stat <==\ncpu 1 2 3 4\n"), "files0: no /proc/PID/stat in the baseline"),
        (ok_uptime.clone(), "procs: no /proc/PID/stat in the output"),
        (files("==> /proc/uptime <==\n100.5 50.0\n==> /proc/1/stat <==\n1 (x) S\n"), "procs: no process"),
        (other("procs0", "1 (init) S 0\n"), "files0: section missing"),
        (format!("{ok_uptime}@@fw begin owners\n"), "owners: truncated output (no end marker)"),
    ];
    for (input, expected) in &table {
        let s = snap(input);
        let errors: Vec<String> = s.errors.iter().map(ToString::to_string).collect();
        assert!(errors.iter().any(|e| e == expected), "{input:?}: {errors:?}");
        assert!(s.uptime.is_some(), "{input:?}: the other sections stay");
        let b = build("srv", now(), &s, None).unwrap();
        assert!(b.warnings.iter().any(|w| w == expected), "{:?}", b.warnings);
        assert!(b.details.section_errors.iter().any(|w| w == expected), "{:?}", b.details.section_errors);
        assert_sane(&b);
    }
}

#[test]
fn nothing_usable_is_a_build_error() {
    for input in ["", "Welcome!\n", "\0\0\u{fffd}", "@@fw begin files\n@@fw end files 2\n"] {
        let s = snap(input);
        assert!(!s.has_metrics());
        assert!(s.errors.len() >= SECTIONS.len(), "{:?}", s.errors);
        let err = build("srv", now(), &s, None).unwrap_err();
        assert!(err.to_string().starts_with("no usable section"), "{err}");
    }
}

#[test]
fn truncated_output_at_any_point_never_panics() {
    for text in [UBUNTU, ODD_NAMES, DEBIAN_NEXT, DOCKER_NEXT] {
        let mut cut = 0;
        while cut < text.len() {
            let part = &text[..text.floor_char_boundary(cut)];
            let s = snap(part);
            if let Some(last) = split_sections(part).last()
                && last.status.is_none()
            {
                let reason = format!("{}: truncated output (no end marker)", last.name);
                assert!(s.errors.iter().any(|e| e.to_string() == reason), "cut {cut}");
            }
            if let Ok(b) = build("srv", now(), &s, None) {
                assert_sane(&b);
            }
            cut += 97;
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    // A small deterministic generator: no dependency, same cases every run.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let junk = [
        "",
        " ",
        "\n",
        "(",
        ")",
        "-1",
        "18446744073709551616",
        "@@mounts",
        "@@output",
        "@@files",
        "==> /proc/stat <==\n",
        "\t",
        "\u{fffd}",
        "0",
        "kB",
        ":",
        "@@fw end procs 0\n",
    ];
    for base in [UBUNTU, DOCKER_NEXT] {
        let first = build("srv", now(), &snap(DOCKER_BASELINE), None).unwrap();
        let mut prev: Option<CarriedState> = Some(first.carried);
        for _ in 0..300 {
            let mut text = base.to_owned();
            for _ in 0..(1 + next() % 8) {
                let at = text.floor_char_boundary((next() % text.len() as u64) as usize);
                let len = (next() % 12) as usize;
                let end = text.floor_char_boundary((at + len).min(text.len()));
                let with = junk[(next() % junk.len() as u64) as usize];
                text.replace_range(at..end, with);
            }
            let s = snap(&text);
            if let Ok(b) = build("srv", now(), &s, prev.as_ref()) {
                assert_sane(&b);
                prev = Some(b.carried);
            }
        }
    }
}

#[test]
fn absurd_counter_values_saturate() {
    let max = u64::MAX;
    let text = files(&format!(
        "==> /proc/stat <==\ncpu {max} {max} {max} {max} {max}\ncpu0 1 1 1 1\n\
         ==> /proc/meminfo <==\nMemTotal: {max} kB\nMemAvailable: {max} kB\nSwapTotal: {max} kB\n\
         ==> /proc/uptime <==\n100.0 1.0\n\
         ==> /proc/diskstats <==\n 8 0 sda {max} 0 {max} 0 {max} 0 {max} 0 0 {max} 0\n\
         ==> /proc/net/dev <==\n  eth0: {max} {max} {max} {max} 0 0 0 0 {max} {max} {max} {max} 0 0 0 0\n"
    ));
    let s = snap(&text);
    assert_eq!(s.meminfo.map(|m| m.total), Some(max));
    let first = build("srv", now(), &s, None).unwrap();
    assert_sane(&first);
    assert_eq!(first.sample.ram_total_bytes, Some(i64::MAX));
    let again = build("srv", now(), &s, Some(&first.carried)).unwrap();
    assert_eq!(again.sample.cpu_percent, None, "no tick passed");
    assert!(again.details.disk_io.is_empty() && again.details.network.is_empty(), "no time passed: no rate");
    // A later reading whose counters wrapped to small values: skipped, never negative.
    let wrapped = files(
        "==> /proc/stat <==\ncpu 1 1 1 1 1\ncpu0 1 1 1 1\n==> /proc/uptime <==\n101.0 1.0\n\
         ==> /proc/diskstats <==\n 8 0 sda 1 0 1 0 1 0 1 0 0 1 0\n\
         ==> /proc/net/dev <==\n  eth0: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n",
    );
    let b = build("srv", now(), &snap(&wrapped), Some(&first.carried)).unwrap();
    assert_sane(&b);
    assert!(b.details.disk_io.is_empty() && b.details.network.is_empty());
}
