//! The real program, run on this machine by dash, bash and busybox sh, and in a world where
//! every command is a busybox applet: every section must parse, and the details must be there.
//!
//! The busybox-only world is a private mount namespace (`unshare -m`, so nothing leaks to the
//! host) in which /usr/bin, /usr/sbin, /usr/local/bin and /usr/local/sbin (and so /bin and
//! /sbin, symlinks on Debian) hold only busybox applets and the shell under test. Setting `PATH`
//! alone would prove nothing: the program puts the standard directories first in `PATH` on
//! purpose (see `program.rs`), so GNU tools would still be found there. Needs root, `unshare`
//! and Debian's `busybox` package.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::Utc;
use fleetwatch_collector::parse::{ContainerSection, ParseOptions, Snapshot, SocketSource, parse_output};
use fleetwatch_collector::program::{ProgramOptions, program};
use fleetwatch_collector::sample::{Built, build};

/// How to start the shell under test.
enum World<'a> {
    /// The host as it is, with `env` added to a clean environment.
    Host { shell: &'a [&'a str], env: &'a [(&'a str, &'a str)] },
    /// Only busybox applets in the standard directories; `shell` is `sh` (busybox), `dash`
    /// or `bash` (copied in next to the applets).
    BusyboxOnly { shell: &'a str },
}

fn run(world: &World<'_>, text: &str, dir: &Path) -> String {
    let mut cmd = match world {
        World::Host { shell, env } => {
            let mut c = Command::new(shell[0]);
            c.args(&shell[1..]).arg("-s").env_clear().env("PATH", "/usr/local/bin:/usr/bin:/bin").env("HOME", "/root");
            for (k, v) in *env {
                c.env(k, v);
            }
            c
        }
        World::BusyboxOnly { shell } => {
            let applets = busybox_dir(dir, shell);
            let d = applets.display();
            let script = format!(
                "mount --bind {d} /usr/local/bin && mount --bind {d} /usr/local/sbin && mount --bind {d} /usr/sbin \
                 && mount --bind {d} /usr/bin && exec /usr/bin/{shell} -s"
            );
            let mut c = Command::new("unshare");
            c.args(["-m", "/bin/sh", "-c", &script]).env_clear().env("PATH", "/usr/bin:/bin").env("HOME", "/root");
            c
        }
    };
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A directory of busybox applets (plus `shell` when it is not busybox's own sh).
fn busybox_dir(dir: &Path, shell: &str) -> std::path::PathBuf {
    assert!(Path::new("/usr/bin/busybox").exists(), "Debian's busybox package is needed (apt-get install busybox)");
    let applets = dir.join("applets");
    if applets.exists() {
        return applets;
    }
    std::fs::create_dir_all(&applets).unwrap();
    std::fs::copy("/usr/bin/busybox", applets.join("busybox")).unwrap();
    let list = Command::new("/usr/bin/busybox").arg("--list").output().unwrap();
    for name in String::from_utf8_lossy(&list.stdout).lines() {
        if name != "busybox" {
            std::os::unix::fs::symlink("busybox", applets.join(name)).unwrap();
        }
    }
    if shell != "sh" {
        std::fs::copy(format!("/usr/bin/{shell}"), applets.join(shell)).unwrap();
    }
    for absent in ["ss", "getconf", "docker", "podman", "awk"] {
        if absent == "awk" {
            assert!(applets.join("awk").exists(), "busybox awk is an applet");
        } else {
            assert!(!applets.join(absent).exists(), "{absent} must not be there");
        }
    }
    applets
}

fn snap(out: &str) -> Snapshot {
    parse_output(out, &ParseOptions::default())
}

/// Runs the first-cycle program, then the next one as the collector would; checks both.
fn two_cycles(world: &World<'_>, name: &str) -> (Snapshot, Built, String) {
    let dir = tempfile::tempdir().unwrap();
    let first_text = program(&ProgramOptions::next(None));
    let out = run(world, &first_text, dir.path());
    let s = snap(&out);
    assert!(s.errors.is_empty(), "{name}, first cycle: {:?}", s.errors);
    assert!(s.warnings.is_empty(), "{name}, first cycle: {:?}", s.warnings);
    assert!(s.inventory.is_some() && s.pagesize.is_some() && s.baseline.is_some(), "{name}");
    assert!(matches!(s.containers, Some(ContainerSection::Absent)), "{name}: no docker socket in this environment");
    let first = build(name, Utc::now(), &s, None).unwrap();
    assert_details(&first, name, true);

    let next_text = program(&ProgramOptions::next(Some(&first.carried)));
    assert!(next_text.contains("@@fw begin fds"), "{name}: the next cycle counts descriptors");
    assert!(!next_text.contains("@@fw begin containers"), "{name}: no container tool a moment ago: not asked");
    let out = run(world, &next_text, dir.path());
    let s = snap(&out);
    assert!(s.errors.is_empty(), "{name}, next cycle: {:?}", s.errors);
    assert!(s.warnings.is_empty(), "{name}, next cycle: {:?}", s.warnings);
    assert!(s.inventory.is_none() && s.baseline.is_none(), "{name}: kept, not read again");
    let next = build(name, Utc::now(), &s, Some(&first.carried)).unwrap();
    assert_details(&next, name, false);
    // Owners: the next program asks only about processes newer than the first cycle's, and the
    // kept ones place the rest.
    assert!(next_text.contains("\nsince=") && !next_text.contains("\nsince=\n"), "{name}: {next_text}");
    let answers = s.owners.as_ref().expect("owners");
    let own_shell = answers.self_pid.expect("self");
    // (Tests running alongside start processes: how many are new varies, but never pid 1.)
    assert!(!answers.uids.contains_key(&1) && !answers.uids.contains_key(&own_shell), "{name}: asked about all");
    // Processes: the next program was given the first cycle's table and printed only what
    // changed (the program's own shell, head and awk at least); the whole table is back.
    let prev = next_text.lines().find_map(|l| l.strip_prefix("prev='")).unwrap_or_default();
    assert!(prev.split(' ').any(|k| k.len() == 9 && k.ends_with('1')), "{name}: the table goes to the next program");
    let changes = s.proc_changes.as_ref().expect("only the changed processes");
    assert!(s.procs.is_none() && !changes.changed.is_empty(), "{name}: {changes:?}");
    assert!(
        changes.changed.len() < first.carried.proc_table.as_ref().map_or(0, Vec::len),
        "{name}: not every process changed in a few milliseconds: {changes:?}"
    );
    let table = next.carried.proc_table.as_ref().expect("the merged table");
    assert!(table.iter().any(|p| p.pid == 1), "{name}: pid 1 kept from the first cycle");
    let placed: i64 = next.users.iter().map(|u| u.process_count).sum();
    let procs = table.len();
    assert!(placed as usize + 5 >= procs, "{name}: {placed} of {procs} processes placed");
    // Run as root: every descriptor directory is readable.
    assert!(next.details.processes_by_memory.iter().filter(|p| p.open_fds.is_some()).count() >= 3, "{name}");
    (s, next, out)
}

fn assert_details(b: &Built, name: &str, first: bool) {
    let d = &b.details;
    assert!(d.section_errors.is_empty(), "{name}: {:?}", d.section_errors);
    let cpu = d.cpu.as_ref().expect("cpu");
    assert!(cpu.total.is_some(), "{name}: rates on every cycle, the first thanks to the baseline");
    // Over the 1 s baseline every core has ticks; the next cycle follows within milliseconds
    // here, where a core may have none yet (then it has no breakdown, rather than a made-up one).
    if first {
        assert_eq!(cpu.cores.len() as i64, cpu.core_count, "{name}: {cpu:?}");
    }
    assert!(cpu.cores.len() as i64 <= cpu.core_count, "{name}: {cpu:?}");
    assert!(cpu.model.is_some() && cpu.load_1.is_some(), "{name}");
    let mem = d.memory.as_ref().expect("memory");
    assert!(mem.total > 0 && mem.used > 0 && mem.available > 0, "{name}");
    assert!(d.disks.iter().any(|x| x.mount == "/" && x.inodes_total.is_some()), "{name}: {:?}", d.disks);
    assert!(!d.disk_io.is_empty(), "{name}: this VM has a disk");
    assert!(d.network.iter().any(|n| n.name == "lo"), "{name}");
    let tcp = d.tcp.as_ref().expect("tcp");
    assert!(tcp.states.get("LISTEN").is_some_and(|n| *n > 0) && !tcp.listening.is_empty(), "{name}: {tcp:?}");
    let sys = d.system.as_ref().expect("system");
    assert!(sys.hostname.is_some() && sys.kernel.is_some() && sys.os.is_some() && sys.architecture.is_some(), "{name}");
    assert!(sys.uptime_seconds > Some(0) && sys.boot_time.is_some() && sys.open_files > Some(0), "{name}");
    assert!(sys.processes > Some(10) && sys.threads >= sys.processes, "{name}");
    assert!(!d.processes_by_cpu.is_empty() && !d.processes_by_memory.is_empty(), "{name}");
    assert!(d.processes_by_memory.iter().all(|p| !p.user.is_empty() && !p.command.is_empty()), "{name}");
    assert_eq!(d.containers, None, "{name}: no docker socket in this environment");
    assert!(b.users.iter().any(|u| u.username == "root"), "{name}");
    if first {
        assert!(b.carried.inventory.is_some() && b.carried.page_size.is_some(), "{name}");
    }
}

#[test]
fn dash_bash_and_busybox_sh_on_this_host() {
    for (name, shell) in [("dash", &["dash"][..]), ("bash", &["bash"][..]), ("busybox sh", &["busybox", "sh"][..])] {
        let (s, _, out) = two_cycles(&World::Host { shell, env: &[] }, name);
        assert_eq!(s.sockets.map(|x| x.source), Some(SocketSource::Ss), "{name}: ss is installed here");
        assert!(out.contains("@@output\n"), "{name}: GNU df gives blocks and inodes in one run");
        assert!(s.containers.is_none(), "{name}: the next program leaves the containers script out");
    }
}

#[test]
fn only_busybox_applets_under_each_shell() {
    assert!(
        std::fs::read_to_string("/proc/self/status").unwrap().lines().any(|l| l.starts_with("Uid:\t0\t")),
        "this test needs root (a private mount namespace)"
    );
    for shell in ["sh", "dash", "bash"] {
        let name = format!("busybox applets, {shell}");
        let (s, _, out) = two_cycles(&World::BusyboxOnly { shell }, &name);
        // Proof that no GNU tool ran: busybox df has no --output, and there is no ss.
        assert!(!out.contains("@@output\n") && out.contains("@@inodes\n"), "{name}");
        assert_eq!(s.sockets.map(|x| x.source), Some(SocketSource::ProcNetTcp), "{name}");
        assert!(s.owners.is_some_and(|o| o.self_pid.is_some()), "{name}");
    }
}

#[test]
fn any_locale_time_zone_or_user_path_gives_the_same_formats() {
    // A hostile PATH first: a `head` and `ls` that print garbage. The program puts the standard
    // directories before the user's PATH, so they never run.
    let dir = tempfile::tempdir().unwrap();
    for tool in ["head", "ls", "df", "who", "awk"] {
        let p = dir.path().join(tool);
        std::fs::write(&p, "#!/bin/sh\necho 'Sorry, not the real one'\n").unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let evil_path = format!("{}:/usr/local/bin:/usr/bin:/bin", dir.path().display());
    for (locale, tz) in
        [("de_DE.UTF-8", "Europe/Berlin"), ("tr_TR.UTF-8", "Asia/Tokyo"), ("ja_JP.eucJP", "America/St_Johns")]
    {
        let env = [("LANG", locale), ("LC_ALL", locale), ("LC_TIME", locale), ("TZ", tz), ("PATH", evil_path.as_str())];
        let name = format!("dash with {locale}, {tz}, a hostile PATH");
        let (s, _, out) = two_cycles(&World::Host { shell: &["dash"], env: &env }, &name);
        assert!(!out.contains("Sorry"), "{name}");
        assert!(s.mounts.is_some_and(|m| !m.is_empty()), "{name}");
    }
}
