//! The shell program the collector runs on a server, in one `sh -s` exec.
//!
//! It is assembled from the POSIX sh scripts in `scripts/` (see `scripts/README.md`). Each script
//! is one *section*, framed by marker lines that [`crate::parse::split_sections`] reads back:
//!
//! ```text
//! @@fw begin meminfo
//! MemTotal:       16303428 kB
//! ...
//! @@fw end meminfo 0
//! ```
//!
//! Every section runs with stdin from `/dev/null`: the program itself arrives on the shell's
//! stdin, and a command reading stdin would swallow the rest of it. No section runs in a
//! subshell: a fork costs 0.15 ms under dash and 0.3–0.65 ms under bash, and a cycle has a
//! budget of 20 ms of the server's CPU.

use crate::sample::Counters;

/// One script of `scripts/`: the section name and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Script {
    pub name: &'static str,
    pub text: &'static str,
    /// Runs as a shell function `fw_NAME() { … }` called once: needed by scripts that `return`
    /// early, `set --` (a function has its own positional parameters) or keep variables of
    /// their own. The others run in a brace group `{ … }`. Neither forks, unlike a subshell
    /// `( … )` (0.15 ms with dash, 0.3–0.65 ms with bash, measured).
    pub isolated: bool,
}

const fn script(name: &'static str, text: &'static str) -> Script {
    Script { name, text, isolated: false }
}

const fn isolated(name: &'static str, text: &'static str) -> Script {
    Script { name, text, isolated: true }
}

pub const FILES: Script = script("files", include_str!("../../scripts/files.sh"));
pub const OWNERS: Script = isolated("owners", include_str!("../../scripts/owners.sh"));
pub const USERS: Script = script("users", include_str!("../../scripts/users.sh"));
pub const SOCKETS: Script = script("sockets", include_str!("../../scripts/sockets.sh"));
pub const FDS: Script = isolated("fds", include_str!("../../scripts/fds.sh"));
pub const CONTAINERS: Script = isolated("containers", include_str!("../../scripts/containers.sh"));
pub const MOUNTS: Script = isolated("mounts", include_str!("../../scripts/mounts.sh"));
pub const INVENTORY: Script = script("inventory", include_str!("../../scripts/inventory.sh"));
pub const PAGESIZE: Script = isolated("pagesize", include_str!("../../scripts/pagesize.sh"));

/// Per-user disk usage and the account names for it: the slow, separately scheduled program.
pub const USER_DISK: Script = isolated("user_disk", include_str!("../../scripts/user_disk.sh"));
pub const PASSWD: Script = script("passwd", include_str!("../../scripts/passwd.sh"));

/// The sections of every program, in the order they run. `files` reads `/proc/stat` and every
/// `/proc/PID/stat` in one run, so both describe the same instant; `containers` and `mounts`
/// come last because `docker` and `df` are the commands that can hang (a stuck daemon, a dead
/// NFS server), and then every other section is already out.
pub const SECTIONS: [Script; 6] = [FILES, OWNERS, USERS, SOCKETS, CONTAINERS, MOUNTS];

/// Sections only some programs have: `inventory` and `pagesize` on the first cycle of a
/// connection, `fds` when there are processes to ask about (see [`ProgramOptions`]).
pub const OPTIONAL_SECTIONS: [Script; 3] = [INVENTORY, PAGESIZE, FDS];

/// Name of the baseline copy of `files` (read one second before `files`).
pub const FILES_BASELINE: &str = "files0";
/// Sections that older programs printed on their own and the parser still reads: `procs`
/// (`/proc/PID/stat`, now part of `files`) and its baseline copy `procs0`.
pub const LEGACY_PROCS: &str = "procs";
pub const LEGACY_PROCS_BASELINE: &str = "procs0";

/// Seconds between the baseline reading and the real one.
pub const BASELINE_SLEEP_SECONDS: u32 = 1;

/// At most this many processes get their descriptors counted.
pub const MAX_FD_PIDS: usize = 64;

/// The first line of every program. bash reads a script from a pipe one byte at a time (one
/// `read` system call per byte, so that a command reading stdin gets the rest): 6 KB of program
/// cost it 1.6 ms of CPU, measured. This line has bash (4.0 and later; `sh` on RHEL-likes)
/// read the rest in bulk with `read -N` and run it with `eval`; other shells skip it (dash and
/// busybox sh read their input in blocks).
const BASH_BULK_READ: &str = "if [ \"${BASH_VERSINFO:-0}\" -ge 4 ] 2>/dev/null; then IFS= read -r -d '' -N 1048576 fw_program; eval \"$fw_program\"; exit; fi\n";

/// A fixed locale so no tool translates or reformats its output, and the standard directories
/// first in `PATH`: a non-interactive SSH session often lacks the sbin directories (`ss` lives
/// in /usr/sbin on RHEL), and a user's own `~/bin/head` must not run in place of the real one.
/// The user's `PATH` stays after them for systems that keep their tools elsewhere (NixOS).
const PROLOGUE: &str = "\
# Fleetwatch collection program: read-only, POSIX sh. See scripts/README.md.
LC_ALL=C; export LC_ALL; LANG=C; export LANG
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
";

/// Which `df` a server has, learnt from the first cycle of a connection (see `scripts/mounts.sh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DfFlavour {
    /// GNU `df --output=…`: blocks, inodes and type in one run.
    Gnu,
    /// POSIX `df -P -k` and `df -P -i` (busybox, old coreutils).
    Posix,
}

impl DfFlavour {
    fn as_str(self) -> &'static str {
        match self {
            Self::Gnu => "gnu",
            Self::Posix => "posix",
        }
    }
}

/// What the collector remembers of a server's containers between cycles, so that the daemon is
/// asked for the list only when it may have changed (see `scripts/containers.sh`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainersSeen {
    /// Ids of the running containers the last cycle found in the cgroups, in the order printed.
    pub running: Vec<String>,
    /// The server's uptime (whole seconds) when the daemon last gave the list.
    pub listed_at: u64,
    /// Whether a container of that list has a health check (its health can change at any time).
    pub health_checks: bool,
}

impl ContainersSeen {
    /// Seconds after which the list is asked for again even when no container started or
    /// stopped (see [`LIST_EVERY_WITH_HEALTH_CHECKS`] and [`LIST_EVERY`]).
    pub fn list_every(&self) -> u64 {
        if self.health_checks { LIST_EVERY_WITH_HEALTH_CHECKS } else { LIST_EVERY }
    }
}

/// Where a container has a health check, the daemon is asked for the list at least this often
/// (seconds of the server's uptime): health changes without any container starting or stopping.
/// Docker runs health checks every 30 s by default and declares a container unhealthy after
/// three failures, so a minute keeps up with it.
pub const LIST_EVERY_WITH_HEALTH_CHECKS: u64 = 60;
/// Otherwise only a container created or removed without running changes the list: asked for
/// once an hour.
pub const LIST_EVERY: u64 = 3600;

/// What to put in a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramOptions {
    /// Read `files` once as `files0`, sleep a second, then run the usual sections: CPU, disk
    /// and network rates can then be computed without a previous cycle. Used on the first
    /// cycle of a connection.
    pub baseline: bool,
    /// Read the facts that do not change while the server is up (`inventory`, `pagesize`);
    /// the collector keeps them in [`Counters`] afterwards.
    pub inventory: bool,
    /// Count the open descriptors of these processes (the previous cycle's top ones).
    pub fd_pids: Vec<u32>,
    /// The `df` that works there; `None`: try GNU, fall back to POSIX.
    pub df: Option<DfFlavour>,
    /// Run `df` under `timeout`: a mount that can hang it (network, FUSE, unknown type) is or
    /// may be there.
    pub df_guard: bool,
    /// The containers of the last cycle; `None`: ask the daemon for the list now.
    pub containers: Option<ContainersSeen>,
    /// Clients of the daemon's socket that failed before (`nc`, `curl`): not tried again.
    pub container_clients_failed: Vec<String>,
    /// Ask for the owners of the processes above this pid only (the collector knows the
    /// others'); `None`: of all.
    pub owners_since: Option<u32>,
}

impl Default for ProgramOptions {
    /// The program of a first reading without baseline: everything but the sleep.
    fn default() -> Self {
        Self {
            baseline: false,
            inventory: true,
            fd_pids: Vec::new(),
            df: None,
            df_guard: true,
            containers: None,
            container_clients_failed: Vec::new(),
            owners_since: None,
        }
    }
}

impl ProgramOptions {
    /// The program for the cycle after `prev` (the previous cycle's counters, `None` on the
    /// first cycle of a connection): a baseline and the inventory when there is nothing to
    /// compare with or nothing kept, the descriptors of the previous top processes, and what
    /// earlier cycles taught about `df`, the mounts and the containers.
    pub fn next(prev: Option<&Counters>) -> Self {
        Self {
            baseline: prev.is_none(),
            inventory: prev.is_none_or(|c| c.inventory.is_none() || c.page_size.is_none()),
            fd_pids: prev.map(|c| c.top_pids.iter().copied().take(MAX_FD_PIDS).collect()).unwrap_or_default(),
            df: prev.and_then(|c| c.df),
            df_guard: prev.is_none_or(|c| c.mounts_may_hang != Some(false)),
            containers: prev.and_then(|c| c.containers_seen.clone()),
            container_clients_failed: prev.map(|c| c.container_clients_failed.clone()).unwrap_or_default(),
            owners_since: prev.and_then(Counters::owners_since),
        }
    }
}

/// The whole program text, to be written to the stdin of `sh -s`.
pub fn program(opts: &ProgramOptions) -> String {
    let mut out = String::with_capacity(8192);
    out.push_str(BASH_BULK_READ);
    out.push_str(PROLOGUE);
    if opts.baseline {
        push_section(&mut out, &Script { name: FILES_BASELINE, ..FILES }, "");
        out.push_str(&format!("sleep {BASELINE_SLEEP_SECONDS} </dev/null\n"));
    }
    if opts.inventory {
        push_section(&mut out, &INVENTORY, "");
        push_section(&mut out, &PAGESIZE, "");
    }
    for s in SECTIONS {
        if s == CONTAINERS && !opts.fd_pids.is_empty() {
            let pids: Vec<String> = opts.fd_pids.iter().take(MAX_FD_PIDS).map(u32::to_string).collect();
            push_section(&mut out, &FDS, &format!("pids='{}'\n", pids.join(" ")));
        }
        let prelude = if s == OWNERS {
            format!("since={}\n", opts.owners_since.map(|p| p.to_string()).unwrap_or_default())
        } else if s == MOUNTS {
            format!("df={}\nguard={}\n", opts.df.map_or("", DfFlavour::as_str), if opts.df_guard { "1" } else { "" })
        } else if s == CONTAINERS {
            // Ids are hexadecimal and client names are the script's own words (the parser keeps
            // no other), so both are safe in single quotes.
            let avoid = opts.container_clients_failed.join(" ");
            match &opts.containers {
                Some(c) => format!(
                    "seen='{}'\nlisted={}\nevery={}\navoid='{avoid}'\n",
                    c.running.iter().map(|id| format!(" {id}")).collect::<String>(),
                    c.listed_at,
                    c.list_every(),
                ),
                None => format!("seen=\nlisted=\nevery={LIST_EVERY_WITH_HEALTH_CHECKS}\navoid='{avoid}'\n"),
            }
        } else {
            String::new()
        };
        push_section(&mut out, &s, &prelude);
    }
    out
}

/// The per-user disk usage program over `paths` (absolute directories; each passed as one
/// single-quoted argument, so no character in a path is interpreted by the shell).
pub fn user_disk_program(paths: &[String]) -> String {
    let args: Vec<String> = paths.iter().map(|p| format!("'{}'", p.replace('\'', "'\\''"))).collect();
    let mut out = format!("{BASH_BULK_READ}{PROLOGUE}");
    push_section(&mut out, &USER_DISK, &format!("set -- {}\n", args.join(" ")));
    push_section(&mut out, &PASSWD, "");
    out
}

/// Frames one section; `prelude` (variable settings) goes first inside the group.
fn push_section(out: &mut String, s: &Script, prelude: &str) {
    let function = format!("fw_{}", s.name);
    let (open, close) = if s.isolated {
        (format!("{function}() {{"), format!("}}\n{function}"))
    } else {
        ("{".to_owned(), "}".to_owned())
    };
    out.push_str("echo '@@fw begin ");
    out.push_str(s.name);
    out.push_str("'\n");
    out.push_str(&open);
    out.push('\n');
    out.push_str(prelude);
    // Comment lines stay in scripts/: the servers get code only.
    for line in s.text.lines().filter(|l| !is_comment_or_blank(l)) {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&close);
    out.push_str(" </dev/null\necho \"@@fw end ");
    out.push_str(s.name);
    out.push_str(" $?\"\n");
}

fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> ProgramOptions {
        ProgramOptions { baseline: false, inventory: false, ..ProgramOptions::default() }
    }

    #[test]
    fn every_section_is_framed_once_in_order() {
        let p = program(&plain());
        let mut last = 0;
        for s in SECTIONS {
            let begin = format!("echo '@@fw begin {}'\n", s.name);
            let end = format!("echo \"@@fw end {} $?\"\n", s.name);
            assert_eq!(p.matches(&begin).count(), 1, "{}", s.name);
            assert_eq!(p.matches(&end).count(), 1, "{}", s.name);
            let at = p.find(&begin).unwrap_or_default();
            assert!(at > last, "{} out of order", s.name);
            last = at;
        }
        for absent in ["files0", "sleep", "@@fw begin inventory", "@@fw begin pagesize", "@@fw begin fds"] {
            assert!(!p.contains(absent), "{absent}");
        }
        assert_eq!(p.lines().filter(|l| l.starts_with('#')).count(), 1, "comments are stripped but the heading");
    }

    #[test]
    fn baseline_reads_files_and_procs_before_a_sleep() {
        let p = program(&ProgramOptions { baseline: true, ..plain() });
        let files0 = p.find("@@fw begin files0").unwrap_or(usize::MAX);
        let sleep = p.find("sleep 1 </dev/null").unwrap_or(usize::MAX);
        let files = p.find("@@fw begin files'").unwrap_or(usize::MAX);
        assert!(files0 < sleep && sleep < files && files != usize::MAX);
        assert_eq!(p.matches("/proc/[0-9]*/stat").count(), 2, "the processes are read with the files, twice");
    }

    #[test]
    fn no_section_forks_a_subshell() {
        let p = program(&ProgramOptions { baseline: true, inventory: true, fd_pids: vec![1], ..plain() });
        for line in p.lines() {
            assert!(!line.starts_with('(') && !line.starts_with(") "), "subshell: {line:?}");
        }
        assert!(p.contains("fw_mounts() {\n") && p.contains("}\nfw_mounts </dev/null\n"), "{p}");
    }

    #[test]
    fn what_earlier_cycles_learnt_reaches_df_and_containers() {
        let first = program(&ProgramOptions::next(None));
        assert!(first.contains("df=\nguard=1\n") && first.contains("seen=\nlisted=\n"), "{first}");
        let owners = Counters {
            owners: [(7, (1, 0)), (4242, (9, 1000))].into(),
            self_uid: Some(1000),
            owners_complete: true,
            owners_all_at: Some(100.0),
            uptime_seconds: Some(130.0),
            last_pid: Some(4242),
            ..Counters::default()
        };
        assert!(program(&ProgramOptions::next(Some(&owners))).contains("since=4242\n"));
        let kept = Counters {
            df: Some(DfFlavour::Gnu),
            mounts_may_hang: Some(false),
            containers_seen: Some(ContainersSeen {
                running: vec!["ab".into(), "cd".into()],
                listed_at: 4242,
                health_checks: false,
            }),
            container_clients_failed: vec!["nc".into()],
            ..Counters::default()
        };
        let next = program(&ProgramOptions::next(Some(&kept)));
        assert!(next.contains("df=gnu\nguard=\n"), "{next}");
        assert!(next.contains(&format!("seen=' ab cd'\nlisted=4242\nevery={LIST_EVERY}\navoid='nc'\n")), "{next}");
        let mut health = kept.clone();
        if let Some(seen) = health.containers_seen.as_mut() {
            seen.health_checks = true;
        }
        assert!(
            program(&ProgramOptions::next(Some(&health))).contains(&format!("every={LIST_EVERY_WITH_HEALTH_CHECKS}\n"))
        );
        assert!(next.contains("since=\n"), "no owners known: all asked about");
        let risky = Counters { mounts_may_hang: Some(true), ..kept.clone() };
        assert!(program(&ProgramOptions::next(Some(&risky))).contains("guard=1\n"));
        let unread = Counters { mounts_may_hang: None, ..kept };
        assert!(program(&ProgramOptions::next(Some(&unread))).contains("guard=1\n"), "unknown mounts: guarded");
    }

    #[test]
    fn inventory_and_fds_when_asked() {
        let p = program(&ProgramOptions { inventory: true, fd_pids: vec![12, 345], ..plain() });
        let inventory = p.find("@@fw begin inventory").unwrap_or(usize::MAX);
        let pagesize = p.find("@@fw begin pagesize").unwrap_or(usize::MAX);
        let fds = p.find("@@fw begin fds'\nfw_fds() {\npids='12 345'\n").unwrap_or(usize::MAX);
        assert!(p.contains("@@fw begin files'\n{\n"), "plain scripts run in a brace group");
        let containers = p.find("@@fw begin containers").unwrap_or(usize::MAX);
        assert!(inventory < pagesize && pagesize < fds && fds < containers && containers != usize::MAX, "{p}");
        let many = program(&ProgramOptions { fd_pids: (0..1000).collect(), ..plain() });
        assert!(many.contains(&format!(" {}'\n", MAX_FD_PIDS - 1)) && !many.contains(&format!(" {MAX_FD_PIDS}'")));
    }

    #[test]
    fn next_asks_for_what_the_counters_lack() {
        let first = ProgramOptions::next(None);
        assert!(first.baseline && first.inventory && first.fd_pids.is_empty());
        let mut kept = Counters { top_pids: vec![7, 9], ..Counters::default() };
        let second = ProgramOptions::next(Some(&kept));
        assert!(!second.baseline && second.inventory, "nothing kept yet");
        assert_eq!(second.fd_pids, [7, 9]);
        kept.inventory = Some(crate::parse::Inventory::default());
        kept.page_size = Some(4096);
        assert!(!ProgramOptions::next(Some(&kept)).inventory);
        assert!(ProgramOptions::default().inventory && !ProgramOptions::default().baseline);
    }

    #[test]
    fn names_are_unique_and_safe_in_single_quotes() {
        let mut names: Vec<&str> = SECTIONS.iter().chain(OPTIONAL_SECTIONS.iter()).map(|s| s.name).collect();
        names.extend([FILES_BASELINE, LEGACY_PROCS, LEGACY_PROCS_BASELINE]);
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')));
    }

    #[test]
    fn scripts_never_write_files_or_read_stdin() {
        for s in SECTIONS.iter().chain(OPTIONAL_SECTIONS.iter()) {
            let code: Vec<&str> = s.text.lines().filter(|l| !is_comment_or_blank(l)).collect();
            for (i, line) in code.iter().enumerate() {
                // `read` reads a file given on its own line or on the `done` of its loop.
                if line.split_whitespace().any(|w| w == "read") {
                    let redirected =
                        line.contains(" <") || code[i..].iter().any(|l| l.trim_start().starts_with("done <"));
                    assert!(redirected, "{}: `read` must read a file, never stdin: {line:?}", s.name);
                }
                let cleaned =
                    line.replace("2>/dev/null", "").replace(">/dev/null", "").replace("2>&1", "").replace(">&2", "");
                for redirect in [">/", "> /", ">>", ">\"", "> \"", ">$", "> $"] {
                    assert!(!cleaned.contains(redirect), "{}: redirection in {line:?}", s.name);
                }
                for word in ["tee ", "mktemp", "touch ", "rm ", "dd ", "sed -i", "du "] {
                    assert!(!cleaned.contains(word), "{}: {word} in {line:?}", s.name);
                }
            }
        }
    }

    #[test]
    fn scripts_in_brace_groups_cannot_disturb_the_program() {
        for s in SECTIONS.iter().chain(OPTIONAL_SECTIONS.iter()).filter(|s| !s.isolated) {
            for line in s.text.lines().filter(|l| !is_comment_or_blank(l)) {
                let words: Vec<&str> = line.split_whitespace().collect();
                for bad in
                    ["exit", "return", "set", "cd", "export", "trap", "exec", "IFS", "readonly", "shift", "unset"]
                {
                    assert!(
                        !words.iter().any(|w| *w == bad || w.starts_with(&format!("{bad}="))),
                        "{}: {bad} in {line:?}",
                        s.name
                    );
                }
                assert!(!line.contains("()"), "{}: function definition in {line:?}", s.name);
            }
        }
    }

    #[test]
    fn scripts_in_functions_return_and_never_exit() {
        for s in SECTIONS.iter().chain(OPTIONAL_SECTIONS.iter()).chain([&USER_DISK]).filter(|s| s.isolated) {
            for line in s.text.lines().filter(|l| !is_comment_or_blank(l)) {
                let words: Vec<&str> = line.split_whitespace().collect();
                for bad in ["exit", "exec", "cd", "trap"] {
                    assert!(!words.contains(&bad), "{}: {bad} would end or change the whole program: {line:?}", s.name);
                }
            }
        }
    }

    #[test]
    fn no_stats_stream_in_the_program() {
        let p = program(&ProgramOptions { baseline: true, inventory: true, fd_pids: vec![1], ..plain() });
        assert!(!p.contains("docker stats") && !p.contains("podman stats"));
        assert!(!p.contains("/proc/net/tcp ") || p.contains("command -v ss"), "tcp tables only as the fallback");
    }
}
