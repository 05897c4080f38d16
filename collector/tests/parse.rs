#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Fixture-driven tests of the parsers and of the figures built from them.
//!
//! Fixtures are embedded with `include_str!`; see `fixtures/README.md` for which were captured
//! on real machines and which were written by hand. Nothing here reads the host's `/proc`: the
//! one test that runs the program through `sh -s` only checks sanity ranges.

use chrono::{DateTime, Utc};
use fleetwatch_collector::parse::{ParseOptions, Snapshot, parse_mounts, parse_output, parse_users, split_sections};
use fleetwatch_collector::program::{ProgramOptions, SECTIONS, program};
use fleetwatch_collector::sample::{Built, Counters, build};

const DEBIAN_BASELINE: &str = include_str!("fixtures/debian12/baseline.txt");
const DEBIAN_NEXT: &str = include_str!("fixtures/debian12/next.txt");
const DEBIAN_BASH: &str = include_str!("fixtures/debian12/bash.txt");
const BUSYBOX_BASELINE: &str = include_str!("fixtures/debian12-busybox/baseline.txt");
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

fn built(text: &str, prev: Option<&Counters>) -> Built {
    build("srv", now(), &snap(text), prev).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}

fn users(b: &Built) -> Vec<(&str, f64, i64, &str)> {
    b.users.iter().map(|u| (u.username.as_str(), u.cpu, u.process_count, u.top_process.as_str())).collect()
}

/// Every figure within its physical range.
fn assert_sane(b: &Built) {
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
// Captured on Debian 12 (dash, bash, busybox sh with busybox applets only).

#[test]
fn debian12_captures_parse_without_errors() {
    for (name, text) in [
        ("dash baseline", DEBIAN_BASELINE),
        ("dash", DEBIAN_NEXT),
        ("bash", DEBIAN_BASH),
        ("busybox", BUSYBOX_BASELINE),
    ] {
        let s = snap(text);
        assert!(s.errors.is_empty(), "{name}: {:?}", s.errors);
        assert!(s.warnings.is_empty(), "{name}: {:?}", s.warnings);
        assert_eq!(s.hostname.as_deref(), Some("vm"), "{name}");
        assert_eq!(s.stat.map(|c| c.cores), Some(2), "{name}");
        let procs = s.procs.as_ref().map_or(0, Vec::len);
        assert!(procs > 50, "{name}: {procs} processes");
        assert_eq!(s.passwd.as_ref().and_then(|p| p.get(&0)).map(String::as_str), Some("root"));
        let mounts: Vec<&str> = s.mounts.iter().flatten().map(|m| m.mount_point.as_str()).collect();
        assert_eq!(mounts, ["/"], "{name}: only the ext4 root is real here");
        assert_eq!(s.users.as_ref().map(Vec::len), Some(0), "{name}: no utmp on this machine");
    }
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

    let next = built(DEBIAN_NEXT, Some(&first.counters));
    assert_sane(&next);
    assert!(next.sample.cpu_percent.is_some());
    assert!(next.sample.uptime_seconds >= first.sample.uptime_seconds);
    let busybox = built(BUSYBOX_BASELINE, None);
    assert_sane(&busybox);
    assert!(busybox.sample.cpu_percent.is_some());
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
}

#[test]
fn alpine_busybox_layouts() {
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
}

#[test]
fn centos6_without_memavailable_and_old_formats() {
    let s = snap(CENTOS6);
    assert!(s.errors.is_empty() && s.warnings.is_empty(), "{:?} {:?}", s.errors, s.warnings);
    let m = s.meminfo.unwrap();
    assert_eq!(m.available, None);
    assert_eq!(m.available_bytes(), Some(1_950_000 * 1024));
    let cpu = s.stat.unwrap().all;
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
    assert!(b.counters.cpu.is_some() && b.counters.procs.is_some());
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
    assert_eq!(w, ["procs: line 4: fewer than 24 fields"]);
    let names: Vec<&str> = s.procs.iter().flatten().map(|p| p.comm.as_str()).collect();
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
}

#[test]
fn counter_resets_never_give_negative_or_absurd_rates() {
    let before = built(RESET_BEFORE, None);
    assert_eq!(before.sample.cpu_percent, None);

    for (name, text) in [("reboot", RESET_REBOOT), ("backwards", RESET_BACKWARDS)] {
        let b = built(text, Some(&before.counters));
        assert_sane(&b);
        assert_eq!(b.sample.cpu_percent, None, "{name}");
        assert!(b.users.iter().all(|u| u.cpu == 0.0), "{name}: {:?}", b.users);
        assert!(b.warnings.iter().any(|w| w.contains("reboot")), "{name}: {:?}", b.warnings);
        // The reading after a reset is the next cycle's reference.
        let after = built(RESET_AFTER, Some(&b.counters));
        assert_sane(&after);
    }

    // Δtotal 400 over 2 CPUs = 200 ticks per core; worker +300 ticks = 150 % of one core.
    let after = built(RESET_AFTER, Some(&before.counters));
    assert_sane(&after);
    assert!(close(after.sample.cpu_percent, 25.0));
    assert_eq!(users(&after), [("worker", 150.0, 1, "worker"), ("root", 1.0, 2, "init")]);
}

// ---------------------------------------------------------------------------------------------
// Malformed and truncated input: never a panic, always a section error.

#[test]
fn malformed_sections_yield_section_errors() {
    let ok_uptime = "@@fw begin uptime\n100.5 50.0\n@@fw end uptime 0\n";
    let table: &[(&str, &str)] = &[
        ("@@fw begin meminfo\nMemTotal: lots kB\n@@fw end meminfo 0\n", "meminfo: line 1: MemTotal is not a number"),
        ("@@fw begin meminfo\nMemFree: 1 kB\n@@fw end meminfo 0\n", "meminfo: no MemTotal line"),
        ("@@fw begin stat\ncpu 1 2\n@@fw end stat 0\n", "stat: line 1: the cpu line does not hold 4 or more numbers"),
        ("@@fw begin stat\nintr 1 2 3\n@@fw end stat 0\n", "stat: no cpu line"),
        ("@@fw begin procs\n@@fw end procs 0\n", "procs: no process"),
        ("@@fw begin procs\n12 (x) S 1\n@@fw end procs 0\n", "procs: no process"),
        ("@@fw begin owners\ntotal 0\n@@fw end owners 0\n", "owners: no process directory"),
        ("@@fw begin passwd\n\n@@fw end passwd 0\n", "passwd: no account"),
        (
            "@@fw begin pagesize\nfour\n@@fw end pagesize 0\n",
            "pagesize: line 1: page size \"four\" is not a plausible number",
        ),
        (
            "@@fw begin mounts\nFilesystem 1024-blocks\n/dev/a 1 1 0 100% /\n@@fw end mounts 0\n",
            "mounts: no @@mounts line: /proc/mounts is missing",
        ),
        ("@@fw begin mounts\n@@mounts\n/dev/a / ext4 rw 0 0\n@@fw end mounts 0\n", "mounts: no df output"),
        ("@@fw begin tcp\nTCP: inuse 1\n@@fw end tcp 0\n", "tcp: no Tcp: value line"),
        (
            "@@fw begin loadavg\n0.1 zero 0.3\n@@fw end loadavg 0\n",
            "loadavg: line 1: 5 minute load \"zero\" is not a number",
        ),
        ("@@fw begin hostname\n\n@@fw end hostname 0\n", "hostname: empty"),
        ("@@fw begin users\nUSER TTY\n@@fw end users 1\n", "users: exit status 1"),
        ("@@fw begin stat0\ncpu 1 2 3 4\n@@fw end stat0 0\n", "procs0: section missing"),
        ("@@fw begin meminfo\nMemTotal: 1 kB\n", "meminfo: truncated output (no end marker)"),
    ];
    for (input, expected) in table {
        let s = snap(&format!("{ok_uptime}{input}"));
        let errors: Vec<String> = s.errors.iter().map(ToString::to_string).collect();
        assert!(errors.iter().any(|e| e == expected), "{input:?}: {errors:?}");
        assert!(s.uptime.is_some(), "{input:?}: the other sections stay");
        let b = build("srv", now(), &s, None).unwrap();
        assert!(b.warnings.iter().any(|w| w == expected), "{:?}", b.warnings);
    }
}

#[test]
fn nothing_usable_is_a_build_error() {
    for input in ["", "Welcome!\n", "\0\0\u{fffd}", "@@fw begin stat\n@@fw end stat 2\n"] {
        let s = snap(input);
        assert!(!s.has_metrics());
        assert!(s.errors.len() >= SECTIONS.len(), "{:?}", s.errors);
        let err = build("srv", now(), &s, None).unwrap_err();
        assert!(err.to_string().starts_with("no usable section"), "{err}");
    }
}

#[test]
fn truncated_output_at_any_point_never_panics() {
    for text in [UBUNTU, ODD_NAMES, DEBIAN_NEXT] {
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
        "\u{fffd}",
        "0",
        "kB",
        ":",
        "@@fw end procs 0\n",
    ];
    let base = UBUNTU.to_owned();
    let mut prev: Option<Counters> = None;
    for _ in 0..400 {
        let mut text = base.clone();
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
            prev = Some(b.counters);
        }
    }
}

#[test]
fn absurd_counter_values_saturate() {
    let max = u64::MAX;
    let text = format!(
        "@@fw begin stat\ncpu {max} {max} {max} {max} {max}\ncpu0 1 1 1 1\n@@fw end stat 0\n\
         @@fw begin meminfo\nMemTotal: {max} kB\nMemAvailable: {max} kB\nSwapTotal: {max} kB\n@@fw end meminfo 0\n"
    );
    let s = snap(&text);
    assert_eq!(s.meminfo.map(|m| m.total), Some(max));
    let first = build("srv", now(), &s, None).unwrap();
    assert_sane(&first);
    assert_eq!(first.sample.ram_total_bytes, Some(i64::MAX));
    let again = build("srv", now(), &s, Some(&first.counters)).unwrap();
    assert_eq!(again.sample.cpu_percent, None, "no tick passed");
}

// ---------------------------------------------------------------------------------------------
// The real program, run by this machine's `sh`: it must parse; values are only range-checked.

#[test]
fn the_program_runs_under_sh_and_parses() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let text = program(&ProgramOptions { baseline: true });
    let mut child = Command::new("sh")
        .arg("-s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let s = snap(&stdout);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let b = build("local", now(), &s, None).unwrap();
    assert_sane(&b);
    let x = &b.sample;
    assert!(x.cpu_percent.is_some(), "the baseline gives a rate");
    assert!(x.cpu_cores.is_some_and(|c| c >= 1));
    assert!(x.ram_total_bytes.is_some_and(|t| t > 0));
    assert!(x.uptime_seconds.is_some_and(|u| u > 0));
    assert!(x.hostname.as_deref().is_some_and(|h| !h.is_empty()));
    assert!(b.users.iter().map(|u| u.process_count).sum::<i64>() >= 1);
    // The program's own processes are among those read: the test's sh at least.
    assert!(s.procs.iter().flatten().any(|p| p.comm == "sh" || p.comm == "cat"));
}
