//! [`parse_output`]: the whole output of a collection program into a [`Snapshot`], each
//! section by its parser, each failure kept apart.

use crate::fast_map::FastSet;

use super::files::{header_path, split_files};
use super::framing::split_sections;
use super::mounts::{self, mounts_may_hang, parse_mounts};
use super::procs::CHANGED_HEADER;
use super::{
    Baseline, ParseOptions, Parsed, Problem, SectionError, Snapshot, parse_changes, parse_containers, parse_cpufreq,
    parse_diskstats, parse_fds, parse_file_nr, parse_hostname, parse_inventory, parse_loadavg, parse_meminfo,
    parse_netdev, parse_owners, parse_pagesize, parse_passwd, parse_procs, parse_sockets, parse_stat, parse_tcp,
    parse_uptime, parse_users,
};
use crate::protocol::{DfFlavour, SECTIONS, SectionName};

/// At most this many warnings are kept per section; the rest are counted.
const MAX_WARNINGS_PER_SECTION: usize = 5;

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

/// Parses the whole output of the program into a [`Snapshot`]. Never fails: every problem is
/// recorded in `errors` (section unusable) or `warnings` (lines skipped).
pub fn parse_output(stdout: &str, opts: &ParseOptions) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut seen: FastSet<&str> = FastSet::default();
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
        let Ok(section) = raw.name.parse::<SectionName>() else {
            snap.warnings.push(SectionError::new(raw.name, "unknown section, ignored"));
            continue;
        };
        let body = raw.body;
        let mut sink = Sink { section: raw.name, errors: &mut snap.errors, warnings: &mut snap.warnings };
        match section {
            SectionName::Files => {
                let (files, procs) = split_procs(body);
                proc_mounts = parse_files(files, &mut snap);
                let mut sink = Sink {
                    section: SectionName::Procs.as_str(),
                    errors: &mut snap.errors,
                    warnings: &mut snap.warnings,
                };
                match procs {
                    Some(Procs::Kernel(procs)) => snap.procs = sink.take(parse_procs(procs)),
                    Some(Procs::Changes(changes)) => snap.proc_changes = sink.take(parse_changes(changes)),
                    None => {}
                }
            }
            SectionName::Procs => snap.procs = sink.take(parse_procs(body)),
            SectionName::Owners => snap.owners = sink.take(parse_owners(body)),
            SectionName::Users => snap.users = sink.take(parse_users(body)),
            SectionName::Sockets => snap.sockets = sink.take(parse_sockets(body)),
            SectionName::Fds => snap.fds = sink.take(parse_fds(body)),
            SectionName::Containers => snap.containers = sink.take(parse_containers(body)),
            SectionName::Mounts => mounts_body = Some(body),
            SectionName::Inventory => snap.inventory = sink.take(parse_inventory(body)),
            SectionName::PageSize => snap.pagesize = sink.take(parse_pagesize(body)),
            SectionName::Files0 => parse_baseline_files(body, &mut sink, &mut baseline),
            SectionName::Procs0 => baseline.procs = sink.take(parse_procs(body)),
            // The per-user disk usage program's sections (see `user_disk`).
            SectionName::UserDisk | SectionName::Passwd => {
                sink.warnings.push(SectionError::new(raw.name, "unknown section, ignored"));
            }
        }
    }
    if let Some(df) = mounts_body {
        let mut sink =
            Sink { section: SectionName::Mounts.as_str(), errors: &mut snap.errors, warnings: &mut snap.warnings };
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
    let seen = |s: SectionName| seen.contains(s.as_str());
    for s in SECTIONS {
        if !seen(s) {
            snap.errors.push(SectionError::new(s.as_str(), "section missing"));
        }
    }
    let procs = SectionName::Procs.as_str();
    if seen(SectionName::Files)
        && snap.procs.is_none()
        && snap.proc_changes.is_none()
        && !snap.errors.iter().any(|e| e.section == procs)
    {
        snap.errors.push(SectionError::new(procs, "no /proc/PID/stat in the output"));
    }
    // The baseline is optional, but holds both the files and the processes.
    let (files0, procs0) = (seen(SectionName::Files0), seen(SectionName::Procs0));
    let baseline_name = SectionName::Files0.as_str();
    if procs0 && !files0 {
        snap.errors.push(SectionError::new(baseline_name, "section missing"));
    } else if files0 && baseline.procs.is_none() {
        snap.errors.push(SectionError::new(baseline_name, "no /proc/PID/stat in the baseline"));
    }
    if files0 || procs0 {
        snap.baseline = Some(baseline);
    }
    snap
}

/// The process part of the `files` output.
enum Procs<'a> {
    /// Every `/proc/PID/stat` as the kernel wrote it.
    Kernel(&'a str),
    /// Only the changes since the table the program was given (`scripts/files.sh`).
    Changes(&'a str),
}

/// Cuts the `files` output where the `/proc/PID/stat` files (or the changed processes) begin
/// (they come last): the small files, and the process part if there is one.
fn split_procs(body: &str) -> (&str, Option<Procs<'_>>) {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        match header_path(line) {
            Some(CHANGED_HEADER) => {
                return (&body[..offset], Some(Procs::Changes(&body[offset + line.len()..])));
            }
            Some(path)
                if path
                    .strip_prefix("/proc/")
                    .and_then(|rest| rest.strip_suffix("/stat"))
                    .is_some_and(|pid| pid.bytes().all(|b| b.is_ascii_digit())) =>
            {
                return (&body[..offset], Some(Procs::Kernel(&body[offset..])));
            }
            _ => {}
        }
        offset += line.len();
    }
    (body, None)
}

/// Fills the baseline from the `files0` section: the counters of `files`, one second earlier.
fn parse_baseline_files(body: &str, sink: &mut Sink<'_>, baseline: &mut Baseline) {
    let (body, procs) = split_procs(body);
    let files = split_files(body, |p| FILES.iter().any(|(f, _, _)| *f == p));
    let procs = match procs {
        Some(Procs::Kernel(p)) => Some(p),
        Some(Procs::Changes(_)) => {
            sink.warnings.push(SectionError::new(SectionName::Files0.as_str(), "changed processes in a baseline"));
            None
        }
        None => None,
    };
    baseline.stat = files.get("/proc/stat").and_then(|b| sink.take(parse_stat(b)));
    baseline.uptime = files.get("/proc/uptime").and_then(|b| sink.take(parse_uptime(b)));
    baseline.diskstats = files.get("/proc/diskstats").and_then(|b| sink.take(parse_diskstats(b)));
    baseline.netdev = files.get("/proc/net/dev").and_then(|b| sink.take(parse_netdev(b)));
    if baseline.stat.is_none() {
        sink.errors.push(SectionError::new(SectionName::Files0.as_str(), "no /proc/stat"));
    }
    if let Some(procs) = procs {
        baseline.procs = sink.take(parse_procs(procs));
    }
}

/// Fills the snapshot from the `files` section; returns `/proc/mounts` for the `mounts` parser.
fn parse_files<'a>(body: &'a str, snap: &mut Snapshot) -> Option<&'a str> {
    let files = split_files(body, |p| FILES.iter().any(|(f, _, _)| *f == p));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ParseOptions;

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
