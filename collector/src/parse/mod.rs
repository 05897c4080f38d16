//! Pure parsers of the program's output (see [`crate::program`] and [`crate::protocol`]).
//!
//! Everything here takes `&str` and returns values: no I/O, no clock, no globals, and no panics
//! whatever the input. A section that cannot be used becomes a [`SectionError`] and leaves the
//! other sections of the [`Snapshot`] intact. Sizes are converted to bytes once, here, with
//! saturating arithmetic.
//!
//! [`split_sections`] cuts the output at the protocol's markers, [`parse_output`] hands each
//! section to its parser (one file per section or `/proc` file) and assembles the [`Snapshot`].
//! This module knows the protocol, never the program builder or the sample.

mod containers;
mod diskstats;
mod fds;
mod filenr;
pub mod files;
mod framing;
mod hostname;
mod inventory;
mod loadavg;
mod meminfo;
mod mounts;
mod netdev;
mod output;
mod owners;
mod pagesize;
mod passwd;
mod procs;
mod snapshot;
mod sockets;
mod stat;
mod tcp;
mod uptime;
pub mod user_disk;
mod users;

use std::fmt;

pub use containers::{CgroupUsage, Container, ContainerSection, parse_containers};
pub use diskstats::{DiskStat, SECTOR_BYTES, parse_diskstats};
pub use fds::parse_fds;
pub use filenr::{FileNr, parse_file_nr};
pub use framing::{RawSection, split_sections};
pub use hostname::parse_hostname;
pub use inventory::{Inventory, parse_cpufreq, parse_inventory};
pub use loadavg::{LoadAvg, parse_loadavg};
pub use meminfo::{MemInfo, parse_meminfo};
pub use mounts::{DEFAULT_EXCLUDED_FSTYPES, Inodes, Mount, mounts_may_hang, parse_mounts};
pub use netdev::{NetDev, parse_netdev};
pub use output::{FILES, parse_output};
pub use owners::{OwnerAnswers, parse_owners};
pub use pagesize::parse_pagesize;
pub use passwd::parse_passwd;
pub use procs::{CHANGED_HEADER, ProcChanges, ProcStat, parse_changes, parse_procs};
pub use snapshot::{Baseline, Snapshot};
pub use sockets::{Listener, SocketSource, SocketStates, parse_sockets};
pub use stat::{CpuStat, CpuTimes, parse_stat};
pub use tcp::{TcpCounts, parse_tcp};
pub use uptime::{Uptime, parse_uptime};
pub use users::{Session, parse_users};

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
    /// The section (`mounts`), or the file of the `files` section (`meminfo`), it is about.
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

/// Non-empty lines with their 1-based numbers, without trailing `\r`.
pub(crate) fn numbered_lines(body: &str) -> impl Iterator<Item = (usize, &str)> {
    body.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r'))).filter(|(_, l)| !l.trim().is_empty())
}

/// A finite, non-negative decimal number.
pub(crate) fn non_negative_f64(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
}

/// The first `N` whitespace-separated fields of `text` (`""` where it has fewer), how many of
/// them it has, and the fields after them: no allocation, for parsers that run per line of
/// every cycle (`/proc/PID/stat` records, `/proc/diskstats`).
pub(crate) fn leading_fields<const N: usize>(text: &str) -> ([&str; N], usize, std::str::SplitAsciiWhitespace<'_>) {
    let mut rest = text.split_ascii_whitespace();
    let mut fields = [""; N];
    let mut got = 0;
    for (slot, field) in fields.iter_mut().zip(&mut rest) {
        *slot = field;
        got += 1;
    }
    (fields, got, rest)
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
    fn leading_fields_pad_count_and_leave_the_rest() {
        let (f, got, rest) = leading_fields::<3>(" a  b\tc d e");
        assert_eq!((f, got, rest.collect::<Vec<_>>()), (["a", "b", "c"], 3, vec!["d", "e"]));
        let (f, got, mut rest) = leading_fields::<3>("a");
        assert_eq!((f, got, rest.next()), (["a", "", ""], 1, None));
    }

    #[test]
    fn split_fields_keeps_spaces_in_the_rest() {
        let got = split_fields("  /dev/sda1  10 5 5 50% /mnt/my disk", 5);
        assert_eq!(got, Some((vec!["/dev/sda1", "10", "5", "5", "50%"], "/mnt/my disk")));
        assert_eq!(split_fields("a b", 3), None);
    }
}
