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
//! Every section runs in its own subshell with stdin from `/dev/null`: the program itself arrives
//! on the shell's stdin, and a command reading stdin would swallow the rest of it.

/// One script of `scripts/`: the section name and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Script {
    pub name: &'static str,
    pub text: &'static str,
}

const fn script(name: &'static str, text: &'static str) -> Script {
    Script { name, text }
}

pub const UPTIME: Script = script("uptime", include_str!("../../scripts/uptime.sh"));
pub const LOADAVG: Script = script("loadavg", include_str!("../../scripts/loadavg.sh"));
pub const STAT: Script = script("stat", include_str!("../../scripts/stat.sh"));
pub const MEMINFO: Script = script("meminfo", include_str!("../../scripts/meminfo.sh"));
pub const HOSTNAME: Script = script("hostname", include_str!("../../scripts/hostname.sh"));
pub const MOUNTS: Script = script("mounts", include_str!("../../scripts/mounts.sh"));
pub const TCP: Script = script("tcp", include_str!("../../scripts/tcp.sh"));
pub const USERS: Script = script("users", include_str!("../../scripts/users.sh"));
pub const PROCS: Script = script("procs", include_str!("../../scripts/procs.sh"));
pub const OWNERS: Script = script("owners", include_str!("../../scripts/owners.sh"));
pub const PASSWD: Script = script("passwd", include_str!("../../scripts/passwd.sh"));
pub const PAGESIZE: Script = script("pagesize", include_str!("../../scripts/pagesize.sh"));

/// The sections of every program, in the order they run. `stat` and `procs` sit together so
/// both readings describe the same instant; `mounts` comes last because `df` is the one command
/// that can hang (a dead NFS server), and then every other section is already out.
pub const SECTIONS: [Script; 12] =
    [STAT, PROCS, UPTIME, OWNERS, LOADAVG, MEMINFO, HOSTNAME, TCP, USERS, PASSWD, PAGESIZE, MOUNTS];

/// Name of the baseline copy of `stat` (read one second before `stat`).
pub const STAT_BASELINE: &str = "stat0";
/// Name of the baseline copy of `procs` (read one second before `procs`).
pub const PROCS_BASELINE: &str = "procs0";

/// Seconds between the baseline reading and the real one.
pub const BASELINE_SLEEP_SECONDS: u32 = 1;

/// A fixed locale so no tool translates or reformats its output, and the standard directories
/// first in `PATH` so a user's own `~/bin/cat` never runs in their place.
const PROLOGUE: &str = "\
# Fleetwatch collection program: read-only, POSIX sh. See scripts/README.md.
LC_ALL=C; export LC_ALL; LANG=C; export LANG
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
";

/// What to put in a program.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgramOptions {
    /// Read `stat` and `procs` once as `stat0`/`procs0`, sleep a second, then run the usual
    /// sections: CPU percentages can then be computed without a previous cycle. Used on the
    /// first cycle of a connection.
    pub baseline: bool,
}

/// The whole program text, to be written to the stdin of `sh -s`.
pub fn program(opts: &ProgramOptions) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str(PROLOGUE);
    if opts.baseline {
        push_section(&mut out, STAT_BASELINE, STAT.text);
        push_section(&mut out, PROCS_BASELINE, PROCS.text);
        out.push_str(&format!("sleep {BASELINE_SLEEP_SECONDS} </dev/null\n"));
    }
    for s in SECTIONS {
        push_section(&mut out, s.name, s.text);
    }
    out
}

fn push_section(out: &mut String, name: &str, text: &str) {
    out.push_str("echo '@@fw begin ");
    out.push_str(name);
    out.push_str("'\n(\n");
    // Comment lines stay in scripts/: the servers get code only.
    for line in text.lines().filter(|l| !is_comment_or_blank(l)) {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(") </dev/null\necho \"@@fw end ");
    out.push_str(name);
    out.push_str(" $?\"\n");
}

fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_framed_once_in_order() {
        let p = program(&ProgramOptions::default());
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
        assert!(!p.contains("stat0"));
        assert!(!p.contains("sleep"));
        assert!(!p.lines().skip(1).any(|l| l.starts_with('#')), "comments are stripped");
    }

    #[test]
    fn baseline_reads_stat_and_procs_before_a_sleep() {
        let p = program(&ProgramOptions { baseline: true });
        let stat0 = p.find("@@fw begin stat0").unwrap_or(usize::MAX);
        let procs0 = p.find("@@fw begin procs0").unwrap_or(usize::MAX);
        let sleep = p.find("sleep 1 </dev/null").unwrap_or(usize::MAX);
        let stat = p.find("@@fw begin stat'").unwrap_or(usize::MAX);
        assert!(stat0 < procs0 && procs0 < sleep && sleep < stat && stat != usize::MAX);
    }

    #[test]
    fn names_are_unique_and_safe_in_single_quotes() {
        let mut names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        names.extend([STAT_BASELINE, PROCS_BASELINE]);
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')));
    }

    #[test]
    fn scripts_never_write_files_or_read_stdin() {
        for s in SECTIONS {
            let code: Vec<&str> = s.text.lines().filter(|l| !is_comment_or_blank(l)).collect();
            if code.iter().any(|l| l.contains("read ")) {
                let redirected = code.iter().any(|l| l.contains(" </proc/") || l.contains(" </etc/"));
                assert!(redirected, "{}: `read` must read a file, never stdin", s.name);
            }
            for line in code {
                let cleaned = line.replace("2>/dev/null", "").replace(">&2", "");
                for redirect in [">/", "> /", ">>", ">\"", "> \"", ">$", "> $"] {
                    assert!(!cleaned.contains(redirect), "{}: redirection in {line:?}", s.name);
                }
                for word in ["tee ", "mktemp", "touch ", "rm ", "dd ", "sed -i"] {
                    assert!(!cleaned.contains(word), "{}: {word} in {line:?}", s.name);
                }
            }
        }
    }
}
