//! Pure parsers of the program's output (see [`crate::program`]).
//!
//! Everything here takes `&str` and returns values: no I/O, no clock, no globals, and no panics
//! whatever the input. A section that cannot be used becomes a [`SectionError`] and leaves the
//! other sections of the [`Snapshot`] intact. Sizes are converted to bytes once, here, with
//! saturating arithmetic.

mod containers;
mod diskstats;
mod fds;
mod filenr;
pub mod files;
mod hostname;
mod inventory;
mod loadavg;
mod meminfo;
mod mounts;
mod netdev;
mod owners;
mod pagesize;
mod passwd;
mod procs;
mod sockets;
mod stat;
mod tcp;
mod uptime;
pub mod user_disk;
mod users;

use std::collections::{HashMap, HashSet};
use std::fmt;

pub use containers::{CgroupUsage, Container, ContainerSection, parse_containers};
pub use diskstats::{DiskStat, SECTOR_BYTES, parse_diskstats};
pub use fds::parse_fds;
pub use filenr::{FileNr, parse_file_nr};
pub use hostname::parse_hostname;
pub use inventory::{Inventory, parse_cpufreq, parse_inventory};
pub use loadavg::{LoadAvg, parse_loadavg};
pub use meminfo::{MemInfo, parse_meminfo};
pub use mounts::{DEFAULT_EXCLUDED_FSTYPES, Inodes, Mount, mounts_may_hang, parse_mounts};
pub use netdev::{NetDev, parse_netdev};
pub use owners::{OwnerAnswers, parse_owners};
pub use pagesize::parse_pagesize;
pub use passwd::parse_passwd;
pub use procs::{ProcStat, parse_procs};
pub use sockets::{Listener, SocketSource, SocketStates, parse_sockets};
pub use stat::{CpuStat, CpuTimes, parse_stat};
pub use tcp::{TcpCounts, parse_tcp};
pub use uptime::{Uptime, parse_uptime};
pub use users::{Session, parse_users};

use crate::program::{DfFlavour, FILES_BASELINE, LEGACY_PROCS, LEGACY_PROCS_BASELINE, OPTIONAL_SECTIONS, SECTIONS};

/// The first line of a section: `@@fw begin NAME`.
pub const BEGIN_MARKER: &str = "@@fw begin ";
/// The last line of a section: `@@fw end NAME STATUS`.
pub const END_MARKER: &str = "@@fw end ";

/// At most this many warnings are kept per section; the rest are counted.
const MAX_WARNINGS_PER_SECTION: usize = 5;

/// One section of the output as framed by the program, not yet parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawSection<'a> {
    pub name: &'a str,
    /// The lines between the markers, each ending in `\n`.
    pub body: &'a str,
    /// The exit status of the section's subshell; `None` when the end marker is missing
    /// (output truncated) or its status is not a number.
    pub status: Option<i32>,
}

/// What is wrong with a section, or with one line of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number within the section body.
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    /// A problem with the section as a whole.
    pub fn whole(message: impl Into<String>) -> Self {
        Self { line: None, message: message.into() }
    }

    /// A problem on one line (1-based).
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Self { line: Some(line), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A parsed value and what was skipped on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub value: T,
    pub warnings: Vec<Problem>,
}

impl<T> Parsed<T> {
    pub fn clean(value: T) -> Self {
        Self { value, warnings: Vec::new() }
    }
}

/// A section that could not be used, or a line of one that was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{section}: {reason}")]
pub struct SectionError {
    pub section: String,
    /// e.g. `line 3: MemTotal is not a number`, `section missing`, `exit status 1`.
    pub reason: String,
}

impl SectionError {
    pub fn new(section: &str, reason: impl Into<String>) -> Self {
        Self { section: section.to_owned(), reason: reason.into() }
    }
}

/// Settings of the parsers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// File system types that are never "real" mounts (see [`DEFAULT_EXCLUDED_FSTYPES`]).
    pub excluded_fstypes: Vec<String>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self { excluded_fstypes: DEFAULT_EXCLUDED_FSTYPES.iter().map(|s| (*s).to_owned()).collect() }
    }
}

/// The files the `files` section reads, and the name a problem with each is reported under.
/// Files marked required make a section error when missing; the others may not exist on a
/// server (no `/proc/diskstats` in some containers, no `sockstat6` without IPv6, no cpufreq
/// in most VMs).
pub const FILES: [(&str, &str, bool); 14] = [
    ("/proc/stat", "stat", true),
    ("/proc/uptime", "uptime", true),
    ("/proc/loadavg", "loadavg", true),
    ("/proc/meminfo", "meminfo", true),
    ("/proc/sys/kernel/hostname", "hostname", true),
    ("/proc/sys/fs/file-nr", "file-nr", false),
    ("/proc/diskstats", "diskstats", false),
    ("/proc/net/dev", "netdev", true),
    ("/proc/net/snmp", "tcp", true),
    ("/proc/net/sockstat", "tcp", false),
    ("/proc/net/sockstat6", "tcp", false),
    ("/proc/mounts", "mounts", true),
    ("/etc/passwd", "passwd", true),
    ("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "cpufreq", false),
];

/// Everything one run of the program told about a server. Each part is `None` when it was
/// missing, failed or could not be parsed; `errors` says why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub uptime: Option<Uptime>,
    pub loadavg: Option<LoadAvg>,
    pub stat: Option<CpuStat>,
    pub meminfo: Option<MemInfo>,
    pub hostname: Option<String>,
    /// Real mounts only: pseudo file systems and bind mounts are already dropped.
    pub mounts: Option<Vec<Mount>>,
    /// Kernel TCP counters (`/proc/net/snmp`, `sockstat`).
    pub tcp: Option<TcpCounts>,
    /// TCP sockets per state and the listening ones (`ss` or `/proc/net/tcp`).
    pub sockets: Option<SocketStates>,
    pub users: Option<Vec<Session>>,
    pub procs: Option<Vec<ProcStat>>,
    /// pid → uid of the processes the program asked about, and its own shell's pid.
    pub owners: Option<OwnerAnswers>,
    /// uid → account name.
    pub passwd: Option<HashMap<u32, String>>,
    /// Bytes per page (first cycle of a connection only).
    pub pagesize: Option<u64>,
    pub file_nr: Option<FileNr>,
    /// Every device of `/proc/diskstats`; `Some(empty)` where the file does not exist.
    pub diskstats: Option<Vec<DiskStat>>,
    pub netdev: Option<Vec<NetDev>>,
    /// Current frequency of the first CPU, where cpufreq exists.
    pub cpu_mhz: Option<f64>,
    /// Facts read on the first cycle of a connection.
    pub inventory: Option<Inventory>,
    /// pid → open descriptors, for the processes the program was asked about.
    pub fds: Option<HashMap<u32, u64>>,
    pub containers: Option<ContainerSection>,
    /// Which `df` printed the mounts (when they were parsed).
    pub df: Option<DfFlavour>,
    /// Whether `/proc/mounts` lists a mount that can hang `df` (see [`mounts_may_hang`]).
    pub mounts_may_hang: Option<bool>,
    /// The baseline, read one second before the rest when the program was built with one.
    pub baseline: Option<Baseline>,
    /// Sections that could not be used.
    pub errors: Vec<SectionError>,
    /// Lines skipped in sections that were used anyway.
    pub warnings: Vec<SectionError>,
}

/// The counters read one second before the others on the first cycle of a connection
/// (`files0`), so rates exist at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    pub stat: Option<CpuStat>,
    pub uptime: Option<Uptime>,
    pub diskstats: Option<Vec<DiskStat>>,
    pub netdev: Option<Vec<NetDev>>,
    pub procs: Option<Vec<ProcStat>>,
}

impl Snapshot {
    /// Whether any section that feeds a sample was parsed.
    pub fn has_metrics(&self) -> bool {
        self.uptime.is_some()
            || self.loadavg.is_some()
            || self.stat.is_some()
            || self.meminfo.is_some()
            || self.hostname.is_some()
            || self.mounts.is_some()
            || self.tcp.is_some()
            || self.sockets.is_some()
            || self.users.is_some()
            || self.procs.is_some()
    }
}

/// Cuts the output into sections. Text outside sections (a chatty `.bashrc`, a banner) is
/// ignored. A section whose end marker is missing (a new `begin` or the end of the output comes
/// first) gets `status: None`. An `end` marker naming another section than the open one is
/// ignored.
pub fn split_sections(stdout: &str) -> Vec<RawSection<'_>> {
    let mut out = Vec::new();
    // (name, byte offset where the body starts)
    let mut open: Option<(&str, usize)> = None;
    let mut offset = 0;
    for line in stdout.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        if let Some(name) = text.strip_prefix(BEGIN_MARKER) {
            if let Some((prev, body_start)) = open.take() {
                out.push(RawSection { name: prev, body: stdout.get(body_start..start).unwrap_or(""), status: None });
            }
            open = Some((name.trim(), offset));
        } else if let Some(rest) = text.strip_prefix(END_MARKER) {
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap_or("");
            if let Some((open_name, body_start)) = open
                && open_name == name
            {
                out.push(RawSection {
                    name,
                    body: stdout.get(body_start..start).unwrap_or(""),
                    status: words.next().and_then(|s| s.parse().ok()),
                });
                open = None;
            }
        }
    }
    if let Some((name, body_start)) = open {
        out.push(RawSection { name, body: stdout.get(body_start..).unwrap_or(""), status: None });
    }
    out
}

/// Parses the whole output of the program into a [`Snapshot`]. Never fails: every problem is
/// recorded in `errors` (section unusable) or `warnings` (lines skipped).
pub fn parse_output(stdout: &str, opts: &ParseOptions) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut mounts_body: Option<&str> = None;
    let mut proc_mounts: Option<&str> = None;
    let mut baseline = Baseline::default();
    for raw in split_sections(stdout) {
        if !seen.insert(raw.name) {
            snap.warnings.push(SectionError::new(raw.name, "repeated; the first one is kept"));
            continue;
        }
        match raw.status {
            Some(0) => {}
            Some(code) => {
                snap.errors.push(SectionError::new(raw.name, exit_reason(code)));
                continue;
            }
            None => {
                snap.errors.push(SectionError::new(raw.name, "truncated output (no end marker)"));
                continue;
            }
        }
        let body = raw.body;
        let mut sink = Sink { section: raw.name, errors: &mut snap.errors, warnings: &mut snap.warnings };
        match raw.name {
            "files" => {
                let (files, procs) = split_procs(body);
                proc_mounts = parse_files(files, &mut snap);
                if let Some(procs) = procs {
                    let mut sink = Sink { section: "procs", errors: &mut snap.errors, warnings: &mut snap.warnings };
                    snap.procs = sink.take(parse_procs(procs));
                }
            }
            LEGACY_PROCS => snap.procs = sink.take(parse_procs(body)),
            "owners" => snap.owners = sink.take(parse_owners(body)),
            "users" => snap.users = sink.take(parse_users(body)),
            "sockets" => snap.sockets = sink.take(parse_sockets(body)),
            "fds" => snap.fds = sink.take(parse_fds(body)),
            "containers" => snap.containers = sink.take(parse_containers(body)),
            "mounts" => mounts_body = Some(body),
            "inventory" => snap.inventory = sink.take(parse_inventory(body)),
            "pagesize" => snap.pagesize = sink.take(parse_pagesize(body)),
            n if n == FILES_BASELINE => {
                let (body, procs) = split_procs(body);
                let files = files::split_files(body, |p| FILES.iter().any(|(f, _, _)| *f == p));
                let mut sink = Sink { section: FILES_BASELINE, errors: &mut snap.errors, warnings: &mut snap.warnings };
                baseline.stat = files.get("/proc/stat").and_then(|b| sink.take(parse_stat(b)));
                baseline.uptime = files.get("/proc/uptime").and_then(|b| sink.take(parse_uptime(b)));
                baseline.diskstats = files.get("/proc/diskstats").and_then(|b| sink.take(parse_diskstats(b)));
                baseline.netdev = files.get("/proc/net/dev").and_then(|b| sink.take(parse_netdev(b)));
                if baseline.stat.is_none() {
                    sink.errors.push(SectionError::new(FILES_BASELINE, "no /proc/stat"));
                }
                if let Some(procs) = procs {
                    baseline.procs = sink.take(parse_procs(procs));
                }
            }
            LEGACY_PROCS_BASELINE => baseline.procs = sink.take(parse_procs(body)),
            _ => sink.warnings.push(SectionError::new(raw.name, "unknown section, ignored")),
        }
    }
    if let Some(df) = mounts_body {
        let mut sink = Sink { section: "mounts", errors: &mut snap.errors, warnings: &mut snap.warnings };
        let body = match proc_mounts {
            Some(table) => format!("{df}{}\n{table}", mounts::SEPARATOR),
            None => df.to_owned(),
        };
        snap.mounts = sink.take(parse_mounts(&body, &opts.excluded_fstypes));
        if snap.mounts.is_some() {
            let marker = |m: &str| df.lines().any(|l| l.trim() == m);
            snap.df = if marker(mounts::OUTPUT_SEPARATOR) {
                Some(DfFlavour::Gnu)
            } else if marker(mounts::INODES_SEPARATOR) {
                Some(DfFlavour::Posix)
            } else {
                None
            };
        }
    }
    snap.mounts_may_hang = proc_mounts.map(mounts_may_hang);
    for s in SECTIONS {
        if !seen.contains(s.name) {
            snap.errors.push(SectionError::new(s.name, "section missing"));
        }
    }
    if seen.contains("files") && snap.procs.is_none() && !snap.errors.iter().any(|e| e.section == "procs") {
        snap.errors.push(SectionError::new("procs", "no /proc/PID/stat in the output"));
    }
    debug_assert!(OPTIONAL_SECTIONS.iter().all(|s| !SECTIONS.contains(s)));
    // The baseline is optional, but holds both the files and the processes.
    let (files0, procs0) = (seen.contains(FILES_BASELINE), seen.contains(LEGACY_PROCS_BASELINE));
    if procs0 && !files0 {
        snap.errors.push(SectionError::new(FILES_BASELINE, "section missing"));
    } else if files0 && baseline.procs.is_none() {
        snap.errors.push(SectionError::new(FILES_BASELINE, "no /proc/PID/stat in the baseline"));
    }
    if files0 || procs0 {
        snap.baseline = Some(baseline);
    }
    snap
}

/// Cuts the `files` output where the `/proc/PID/stat` files begin (they come last): the small
/// files, and the process part if there is one.
fn split_procs(body: &str) -> (&str, Option<&str>) {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        if files::header_path(line)
            .and_then(|p| p.strip_prefix("/proc/"))
            .is_some_and(|rest| rest.strip_suffix("/stat").is_some_and(|pid| pid.bytes().all(|b| b.is_ascii_digit())))
        {
            return (&body[..offset], Some(&body[offset..]));
        }
        offset += line.len();
    }
    (body, None)
}

/// Fills the snapshot from the `files` section; returns `/proc/mounts` for the `mounts` parser.
fn parse_files<'a>(body: &'a str, snap: &mut Snapshot) -> Option<&'a str> {
    let files = files::split_files(body, |p| FILES.iter().any(|(f, _, _)| *f == p));
    for (path, name, required) in FILES {
        if required && files.get(path).is_none() {
            snap.errors.push(SectionError::new(name, format!("{path} is missing from the output")));
        }
    }
    let mut tcp_text = String::new();
    for (path, content) in &files.files {
        let Some((_, name, _)) = FILES.iter().find(|(f, _, _)| f == path) else { continue };
        let mut sink = Sink { section: name, errors: &mut snap.errors, warnings: &mut snap.warnings };
        match *path {
            "/proc/stat" => snap.stat = sink.take(parse_stat(content)),
            "/proc/uptime" => snap.uptime = sink.take(parse_uptime(content)),
            "/proc/loadavg" => snap.loadavg = sink.take(parse_loadavg(content)),
            "/proc/meminfo" => snap.meminfo = sink.take(parse_meminfo(content)),
            "/proc/sys/kernel/hostname" => snap.hostname = sink.take(parse_hostname(content)),
            "/proc/sys/fs/file-nr" => snap.file_nr = sink.take(parse_file_nr(content)),
            "/proc/diskstats" => snap.diskstats = sink.take(parse_diskstats(content)),
            "/proc/net/dev" => snap.netdev = sink.take(parse_netdev(content)),
            "/proc/net/snmp" | "/proc/net/sockstat" | "/proc/net/sockstat6" => tcp_text.push_str(content),
            "/etc/passwd" => snap.passwd = sink.take(parse_passwd(content)),
            "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq" => snap.cpu_mhz = sink.take(parse_cpufreq(content)),
            _ => {}
        }
    }
    if files.get("/proc/diskstats").is_none() {
        snap.diskstats = Some(Vec::new());
    }
    if files.get("/proc/net/snmp").is_some() {
        let mut sink = Sink { section: "tcp", errors: &mut snap.errors, warnings: &mut snap.warnings };
        snap.tcp = sink.take(parse_tcp(&tcp_text));
    }
    files.get("/proc/mounts")
}

fn exit_reason(code: i32) -> String {
    match code {
        126 => "exit status 126 (command not executable)".to_owned(),
        127 => "exit status 127 (command not found)".to_owned(),
        137 => "exit status 137 (killed: no answer within its time limit, a hung mount or daemon?)".to_owned(),
        _ => format!("exit status {code}"),
    }
}

/// Routes a parser's result into the snapshot's error and warning lists.
struct Sink<'a> {
    section: &'a str,
    errors: &'a mut Vec<SectionError>,
    warnings: &'a mut Vec<SectionError>,
}

impl Sink<'_> {
    fn take<T>(&mut self, result: Result<Parsed<T>, Problem>) -> Option<T> {
        match result {
            Ok(parsed) => {
                let extra = parsed.warnings.len().saturating_sub(MAX_WARNINGS_PER_SECTION);
                for w in parsed.warnings.into_iter().take(MAX_WARNINGS_PER_SECTION) {
                    self.warnings.push(SectionError::new(self.section, w.to_string()));
                }
                if extra > 0 {
                    self.warnings.push(SectionError::new(self.section, format!("{extra} more lines skipped")));
                }
                Some(parsed.value)
            }
            Err(problem) => {
                self.errors.push(SectionError::new(self.section, problem.to_string()));
                None
            }
        }
    }
}

/// Non-empty lines with their 1-based numbers, without trailing `\r`.
pub(crate) fn numbered_lines(body: &str) -> impl Iterator<Item = (usize, &str)> {
    body.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r'))).filter(|(_, l)| !l.trim().is_empty())
}

/// A finite, non-negative decimal number.
pub(crate) fn non_negative_f64(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
}

/// Splits off the first `n` whitespace-separated fields; returns them and the rest of the line
/// with its leading whitespace removed (which may itself contain spaces).
pub(crate) fn split_fields(line: &str, n: usize) -> Option<(Vec<&str>, &str)> {
    let mut fields = Vec::with_capacity(n);
    let mut rest = line;
    for _ in 0..n {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (field, tail) = rest.split_at(end);
        if field.is_empty() {
            return None;
        }
        fields.push(field);
        rest = tail;
    }
    Some((fields, rest.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_cut_at_their_markers() {
        let out = "motd noise\n@@fw begin a\nx\ny\n@@fw end a 0\nbetween\n@@fw begin b\n@@fw end b 3\n";
        let s = split_sections(out);
        assert_eq!(
            s,
            vec![
                RawSection { name: "a", body: "x\ny\n", status: Some(0) },
                RawSection { name: "b", body: "", status: Some(3) },
            ]
        );
    }

    #[test]
    fn a_missing_end_marks_the_section_truncated() {
        let s = split_sections("@@fw begin a\nx\n@@fw begin b\ny\n@@fw end b 0\n@@fw begin c\nz");
        let got: Vec<_> = s.iter().map(|r| (r.name, r.body, r.status)).collect();
        assert_eq!(got, vec![("a", "x\n", None), ("b", "y\n", Some(0)), ("c", "z", None)]);
    }

    #[test]
    fn an_end_for_another_section_is_ignored() {
        let s = split_sections("@@fw begin a\n@@fw end b 0\nx\n@@fw end a 0\n");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].body, "@@fw end b 0\nx\n");
        assert_eq!(s[0].status, Some(0));
    }

    #[test]
    fn crlf_and_garbage_status_are_tolerated() {
        let s = split_sections("@@fw begin a\r\nx\r\n@@fw end a zero\r\n");
        assert_eq!(s[0].name, "a");
        assert_eq!(s[0].status, None);
    }

    #[test]
    fn split_fields_keeps_spaces_in_the_rest() {
        let got = split_fields("  /dev/sda1  10 5 5 50% /mnt/my disk", 5);
        assert_eq!(got, Some((vec!["/dev/sda1", "10", "5", "5", "50%"], "/mnt/my disk")));
        assert_eq!(split_fields("a b", 3), None);
    }

    #[test]
    fn failed_sections_do_not_hide_the_others() {
        let out = "@@fw begin files\n==> /proc/uptime <==\n12.5 3.0\n\n==> /proc/meminfo <==\nMemTotal: x kB\n\
                   @@fw end files 0\n@@fw begin users\n@@fw end users 127\n";
        let snap = parse_output(out, &ParseOptions::default());
        assert!(snap.uptime.is_some());
        assert!(snap.meminfo.is_none());
        let reasons: Vec<String> = snap.errors.iter().map(ToString::to_string).collect();
        assert!(reasons.contains(&"meminfo: line 1: MemTotal is not a number".to_owned()), "{reasons:?}");
        assert!(reasons.contains(&"users: exit status 127 (command not found)".to_owned()));
        assert!(reasons.contains(&"stat: /proc/stat is missing from the output".to_owned()));
        assert!(reasons.contains(&"procs: no /proc/PID/stat in the output".to_owned()));
        assert!(!reasons.iter().any(|r| r.starts_with("files0") || r.starts_with("diskstats")), "{reasons:?}");
        assert_eq!(snap.diskstats, Some(vec![]), "no /proc/diskstats: no device, not an error");
        assert!(snap.baseline.is_none());
    }

    #[test]
    fn warnings_are_capped_per_section() {
        let mut body = String::from("@@fw begin files\n==> /etc/passwd <==\n");
        for _ in 0..20 {
            body.push_str("broken\n");
        }
        body.push_str("root:0\n@@fw end files 0\n");
        let snap = parse_output(&body, &ParseOptions::default());
        assert_eq!(snap.passwd.map(|p| p.len()), Some(1));
        let warnings: Vec<String> = snap.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(warnings.len(), MAX_WARNINGS_PER_SECTION + 1);
        assert_eq!(warnings.last().map(String::as_str), Some("passwd: 15 more lines skipped"));
    }

    #[test]
    fn the_mounts_section_gets_the_mount_table_of_the_files_section() {
        let out = "@@fw begin files\n==> /proc/mounts <==\n/dev/vda / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n\
                   @@fw end files 0\n@@fw begin mounts\nFilesystem 1024-blocks Used Available Capacity Mounted on\n\
                   /dev/vda 100 40 60 40% /\ntmpfs 10 1 9 10% /run\n@@inodes\n@@fw end mounts 0\n";
        let snap = parse_output(out, &ParseOptions::default());
        let m = snap.mounts.unwrap_or_default();
        assert_eq!(m.iter().map(|m| m.mount_point.as_str()).collect::<Vec<_>>(), ["/"]);
        assert_eq!(m[0].fstype.as_deref(), Some("ext4"));
    }
}
