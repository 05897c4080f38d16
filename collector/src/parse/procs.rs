//! `/proc/PID/stat` of every process, as `head` prints them (each after a `==> /proc/PID/stat <==`
//! line, which is skipped; plain concatenated records are read too): see
//! [proc_pid_stat(5)](https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html).
//!
//! The command name (`comm`) sits in parentheses and may itself hold spaces, parentheses and
//! even newlines, so a line is cut at its first ` (` and its *last* `)`. A record broken by a
//! newline in its name is joined back from the lines that follow.
//!
//! After the first cycle of a connection the program prints only what changed (see
//! `scripts/files.sh`): after a line `==> /proc/changed/stat <==`, one short record
//! `PID (COMM) STATE PPID UTIME STIME THREADS START RSS` per process that is new or whose
//! figures moved, and one line `gone PID...` with the processes that ended ([`parse_changes`]).

use std::borrow::Cow;
use std::sync::Arc;

use super::files::header_path;
use super::{Parsed, Problem, leading_fields};

/// Longest name accepted in a record joined over several lines. Names are at most 15 bytes,
/// except kernel worker threads (`kworker/0:1-events`), which get up to 64.
const MAX_COMM: usize = 64;

/// One process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: u32,
    /// Shared, not copied: the kept process table is rebuilt from the last one every cycle.
    pub comm: Arc<str>,
    /// `R`, `S`, `D`, `Z`, …
    pub state: char,
    pub ppid: u32,
    /// Ticks (USER_HZ) in user mode, all threads together.
    pub utime: u64,
    /// Ticks (USER_HZ) in kernel mode, all threads together.
    pub stime: u64,
    /// When the process started, in ticks since boot.
    pub starttime: u64,
    /// Resident set size in pages.
    pub rss_pages: u64,
    /// Threads in the process (`num_threads`, field 20).
    pub threads: u64,
}

impl ProcStat {
    /// CPU ticks used so far, user plus system.
    pub fn ticks(&self) -> u64 {
        self.utime.saturating_add(self.stime)
    }
}

/// The processes that changed since the cycle whose table the program was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcChanges {
    /// New processes and those whose ticks, memory, threads or state moved.
    pub changed: Vec<ProcStat>,
    /// Processes of the given table that ended.
    pub gone: Vec<u32>,
}

/// The header the program prints before the changed processes.
pub const CHANGED_HEADER: &str = "/proc/changed/stat";

/// Which fields a record has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `/proc/PID/stat` as the kernel writes it.
    Kernel,
    /// `PID (COMM) STATE PPID UTIME STIME THREADS START RSS`, as `scripts/files.sh` prints it.
    Short,
}

/// Parses the concatenated stat lines. Lines that cannot be read (a process caught exiting)
/// are skipped with a warning; no process at all is an error.
pub fn parse_procs(body: &str) -> Result<Parsed<Vec<ProcStat>>, Problem> {
    let (procs, warnings, _) = parse_records(body, Layout::Kernel);
    if procs.is_empty() {
        return Err(Problem::whole("no process"));
    }
    Ok(Parsed { value: procs, warnings })
}

/// Parses the changed processes (short records) and the `gone` line. A missing `gone` line is
/// an error: the output was cut, and the processes that ended are unknown.
pub fn parse_changes(body: &str) -> Result<Parsed<ProcChanges>, Problem> {
    let (changed, mut warnings, gone) = parse_records(body, Layout::Short);
    let Some(gone) = gone else {
        return Err(Problem::whole("no \"gone\" line after the changed processes"));
    };
    let mut pids = Vec::new();
    for word in gone.split_whitespace() {
        match word.parse::<u32>() {
            Ok(pid) => pids.push(pid),
            Err(_) => warnings.push(Problem::whole(format!("gone pid {word:?} is not a number"))),
        }
    }
    Ok(Parsed { value: ProcChanges { changed, gone: pids }, warnings })
}

/// The records of `body` in `layout`, the warnings, and the rest of a `gone` line if any.
fn parse_records(body: &str, layout: Layout) -> (Vec<ProcStat>, Vec<Problem>, Option<&str>) {
    // Header lines of `head` name a pid and hold no data; a command name (at most 64 bytes)
    // cannot hold one, since a header is longer and a record's name is in parentheses.
    let mut gone = None;
    let lines: Vec<&str> = body
        .lines()
        .filter(|l| header_path(l).is_none())
        .filter(|l| match (layout, l.strip_prefix("gone")) {
            (Layout::Short, Some(rest)) if gone.is_none() && (rest.is_empty() || rest.starts_with(' ')) => {
                gone = Some(rest);
                false
            }
            _ => true,
        })
        .collect();
    let mut procs = Vec::with_capacity(lines.len());
    let mut warnings = Vec::new();
    let mut i = 0;
    while let Some(&line) = lines.get(i) {
        if line.trim().is_empty() {
            i += 1;
            continue;
        }
        let mut record = Cow::Borrowed(line);
        let mut last = i;
        loop {
            match parse_record(&record, layout) {
                Ok(p) => {
                    procs.push(p);
                    break;
                }
                Err(err) => {
                    let next = lines.get(last + 1).copied();
                    let joinable = err.incomplete
                        && record.len() < MAX_COMM + 16
                        && next.is_some_and(|l| parse_record(l, layout).is_err());
                    match next {
                        Some(next) if joinable => {
                            record = Cow::Owned(format!("{record}\n{next}"));
                            last += 1;
                        }
                        _ => {
                            warnings.push(Problem::at(i + 1, err.message));
                            last = i;
                            break;
                        }
                    }
                }
            }
        }
        i = last + 1;
    }
    (procs, warnings, gone)
}

struct RecordError {
    /// More text could complete the record.
    incomplete: bool,
    message: String,
}

fn incomplete(message: &str) -> RecordError {
    RecordError { incomplete: true, message: message.to_owned() }
}

fn invalid(message: String) -> RecordError {
    RecordError { incomplete: false, message }
}

/// Fields read of a kernel record after the command name: state (field 3) to rss (field 24).
const KERNEL_FIELDS_READ: usize = 22;

fn parse_record(line: &str, layout: Layout) -> Result<ProcStat, RecordError> {
    let open = line.find(" (").ok_or_else(|| invalid("no \" (\" after the pid".to_owned()))?;
    let pid_text = line.get(..open).unwrap_or("").trim();
    let pid: u32 = pid_text.parse().map_err(|_| invalid(format!("pid {pid_text:?} is not a number")))?;
    let close = line.rfind(')').filter(|&c| c > open).ok_or_else(|| incomplete("no \")\" after the command name"))?;
    let comm = line.get(open + 2..close).unwrap_or("");
    // The fields after the name, up to the last one read (no allocation: this runs for every
    // process a cycle prints). Kernel: rest[0] is field 3 (state); field N of proc_pid_stat(5)
    // is rest[N - 3]. Short: state, ppid, utime, stime, threads, starttime, rss.
    let (rest, got, _) = leading_fields::<KERNEL_FIELDS_READ>(line.get(close + 1..).unwrap_or(""));
    let [utime, stime, threads, starttime, rss] = match layout {
        Layout::Kernel if got < KERNEL_FIELDS_READ => return Err(incomplete("fewer than 24 fields")),
        Layout::Kernel => [11, 12, 17, 19, 21],
        Layout::Short if got < 7 => return Err(incomplete("fewer than 9 fields")),
        Layout::Short if got > 7 => return Err(invalid("more than 9 fields".to_owned())),
        Layout::Short => [2, 3, 4, 5, 6],
    };
    if comm.len() > MAX_COMM {
        return Err(invalid(format!("command name longer than {MAX_COMM} bytes")));
    }
    let num = |i: usize, what: &str| -> Result<u64, RecordError> {
        rest.get(i)
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| invalid(format!("{what} of pid {pid} is not a number")))
    };
    let state = rest.first().and_then(|s| s.chars().next()).unwrap_or('?');
    let ppid = rest
        .get(1)
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| invalid(format!("ppid of pid {pid} is not a number")))?;
    // rss is a signed long; a transiently negative value means "nothing resident".
    let rss_pages = match rest.get(rss).and_then(|s| s.parse::<i64>().ok()) {
        Some(v) => u64::try_from(v).unwrap_or(0),
        None => return Err(invalid(format!("rss of pid {pid} is not a number"))),
    };
    Ok(ProcStat {
        pid,
        comm: Arc::from(comm),
        state,
        ppid,
        utime: num(utime, "utime")?,
        stime: num(stime, "stime")?,
        threads: num(threads, "num_threads")?,
        starttime: num(starttime, "starttime")?,
        rss_pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(pid: u32, comm: &str, utime: u64, rss: i64) -> String {
        format!(
            "{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 {utime} 7 0 0 20 0 1 0 5000 10000000 {rss} \
             18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
        )
    }

    fn parse(body: &str) -> Vec<ProcStat> {
        parse_procs(body).map(|p| p.value).unwrap_or_default()
    }

    #[test]
    fn reads_the_fields() {
        let p = parse(&stat(42, "nginx", 30, 512));
        assert_eq!(
            p,
            vec![ProcStat {
                pid: 42,
                comm: "nginx".into(),
                state: 'S',
                ppid: 1,
                utime: 30,
                stime: 7,
                starttime: 5000,
                rss_pages: 512,
                threads: 1,
            }]
        );
        assert_eq!(p[0].ticks(), 37);
    }

    #[test]
    fn names_with_spaces_and_parentheses() {
        let body = stat(1, "tmux: server", 1, 1) + &stat(2, "a) S 1 (b", 2, 2) + &stat(3, ")", 3, 3);
        let names: Vec<String> = parse(&body).into_iter().map(|p| p.comm.to_string()).collect();
        assert_eq!(names, ["tmux: server", "a) S 1 (b", ")"]);
    }

    #[test]
    fn names_with_newlines_are_joined_back() {
        let body = stat(1, "init", 1, 1) + &stat(2, "a\n\nb)", 2, 2) + &stat(3, "c", 3, 3);
        let p = parse_procs(&body).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = p.value.iter().map(|p| &*p.comm).collect();
        assert_eq!(names, ["init", "a\n\nb)", "c"]);
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn a_broken_line_never_swallows_the_next_record() {
        let body = "17 (trunca\n".to_owned() + &stat(18, "bash", 1, 1);
        let p = parse_procs(&body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.value.iter().map(|p| p.pid).collect::<Vec<_>>(), [18]);
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn head_headers_are_skipped() {
        let body =
            format!("==> /proc/1/stat <==\n{}\n==> /proc/2/stat <==\n{}", stat(1, "init", 1, 1), stat(2, "a\nb", 2, 2));
        let p = parse_procs(&body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.value.iter().map(|p| &*p.comm).collect::<Vec<_>>(), ["init", "a\nb"]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn changes_are_short_records_and_a_gone_line() {
        let body = "12 (web server) S 1 300 40 4 5000 900\n13 (a\nb) R 12 1 0 1 6000 10\ngone 7 8\n";
        let p = parse_changes(body).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.value.gone, [7, 8]);
        assert_eq!(
            p.value.changed[0],
            ProcStat {
                pid: 12,
                comm: "web server".into(),
                state: 'S',
                ppid: 1,
                utime: 300,
                stime: 40,
                starttime: 5000,
                rss_pages: 900,
                threads: 4,
            }
        );
        assert_eq!(&*p.value.changed[1].comm, "a\nb");
        let none = parse_changes("gone\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(none.value, ProcChanges::default(), "nothing changed, nothing ended");
        assert!(parse_changes("12 (x) S 1 3 4 1 5000 900\n").is_err(), "cut before the gone line");
        let long = parse_changes(&(stat(5, "k", 1, 1) + "gone\n")).unwrap_or_else(|e| panic!("{e}"));
        assert!(long.value.changed.is_empty() && long.warnings.len() == 1, "a kernel record is not a short one");
    }

    #[test]
    fn negative_rss_is_zero() {
        assert_eq!(parse(&stat(5, "x", 1, -3))[0].rss_pages, 0);
    }

    #[test]
    fn bad_records_are_warnings() {
        let bad_utime = stat(2, "bad", 1, 1).replace(" 1 7 0 0 20 ", " x 7 0 0 20 ");
        let body = stat(1, "ok", 1, 1) + "x (y) S\n" + "12 (z) S 1 2 3\n" + &bad_utime + &stat(3, "ok", 1, 1);
        let p = parse_procs(&body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.value.iter().map(|p| p.pid).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(p.warnings.len(), 3, "{:?}", p.warnings);
        assert!(parse_procs("").is_err());
        assert!(parse_procs("garbage\n").is_err());
    }
}
