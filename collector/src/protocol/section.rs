//! The sections of the program's output: their names, and the order they run in.

use std::fmt;
use std::str::FromStr;

/// One section of a program's output. The name on the wire is [`SectionName::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionName {
    /// `/proc/stat`, `/proc/meminfo`, … and every `/proc/PID/stat`, read by one `head` so they
    /// describe one instant (see `scripts/files.sh`).
    Files,
    /// The baseline copy of [`SectionName::Files`], read one second earlier on the first cycle
    /// of a connection.
    Files0,
    /// `/proc/PID/stat` on its own: printed by older programs (now part of `files`), still read.
    Procs,
    /// The baseline copy of [`SectionName::Procs`], from older programs.
    Procs0,
    /// The owner (uid) of each process asked about, and the program's own shell.
    Owners,
    /// Logged-in sessions (`who`).
    Users,
    /// TCP sockets per state and the listening ones (`ss` or `/proc/net/tcp`).
    Sockets,
    /// Open descriptors of the processes asked about.
    Fds,
    /// Containers: the daemon's list (when asked) and their cgroup figures.
    Containers,
    /// `df` (GNU or POSIX flavour).
    Mounts,
    /// Facts that do not change while the server is up: kernel, OS, CPU model.
    Inventory,
    /// Bytes per memory page.
    PageSize,
    /// Per-user disk usage (the separate, slow program).
    UserDisk,
    /// `/etc/passwd`, with the per-user disk usage.
    Passwd,
}

impl SectionName {
    /// Every section name.
    pub const ALL: [Self; 14] = [
        Self::Files,
        Self::Files0,
        Self::Procs,
        Self::Procs0,
        Self::Owners,
        Self::Users,
        Self::Sockets,
        Self::Fds,
        Self::Containers,
        Self::Mounts,
        Self::Inventory,
        Self::PageSize,
        Self::UserDisk,
        Self::Passwd,
    ];

    /// The name in the marker lines.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Files => "files",
            Self::Files0 => "files0",
            Self::Procs => "procs",
            Self::Procs0 => "procs0",
            Self::Owners => "owners",
            Self::Users => "users",
            Self::Sockets => "sockets",
            Self::Fds => "fds",
            Self::Containers => "containers",
            Self::Mounts => "mounts",
            Self::Inventory => "inventory",
            Self::PageSize => "pagesize",
            Self::UserDisk => "user_disk",
            Self::Passwd => "passwd",
        }
    }

    /// Whether this is a reading taken one second before the others (`files0`, `procs0`).
    pub const fn is_baseline(self) -> bool {
        matches!(self, Self::Files0 | Self::Procs0)
    }
}

impl fmt::Display for SectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A section name that is not one of [`SectionName::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown section {name:?} (known: {})", accepted())]
pub struct UnknownSection {
    pub name: String,
}

fn accepted() -> String {
    SectionName::ALL.map(SectionName::as_str).join(", ")
}

impl FromStr for SectionName {
    type Err = UnknownSection;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| UnknownSection { name: s.to_owned() })
    }
}

/// Every section a collection program can have, in the order they run. The baseline `files0`
/// comes first, followed by a one-second sleep. `files` reads `/proc/stat` and every
/// `/proc/PID/stat` in one run, so both describe the same instant; `containers` and `mounts`
/// come last because `docker` and `df` are the commands that can hang (a stuck daemon, a dead
/// NFS server), and then every other section is already out.
pub const ORDER: [SectionName; 10] = [
    SectionName::Files0,
    SectionName::Inventory,
    SectionName::PageSize,
    SectionName::Files,
    SectionName::Owners,
    SectionName::Users,
    SectionName::Sockets,
    SectionName::Fds,
    SectionName::Containers,
    SectionName::Mounts,
];

/// The sections of every collection program, in the order they run: one missing from the
/// output is an error.
pub const SECTIONS: [SectionName; 5] =
    [SectionName::Files, SectionName::Owners, SectionName::Users, SectionName::Sockets, SectionName::Mounts];

/// Sections only some programs have: `inventory` and `pagesize` on the first cycle of a
/// connection, `fds` when there are processes to ask about, `containers` unless the server had
/// no container tool a little earlier (see [`ProgramOptions`](super::ProgramOptions)). The
/// baseline `files0` is optional too.
pub const OPTIONAL_SECTIONS: [SectionName; 4] =
    [SectionName::Inventory, SectionName::PageSize, SectionName::Fds, SectionName::Containers];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_safe_in_single_quotes() {
        let mut names: Vec<&str> = SectionName::ALL.iter().map(|s| s.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')));
    }

    #[test]
    fn names_read_back_and_unknown_ones_list_the_known() {
        for s in SectionName::ALL {
            assert_eq!(s.as_str().parse::<SectionName>(), Ok(s));
        }
        let err = "meminfo".parse::<SectionName>().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("unknown section \"meminfo\" (known: files, files0, procs"), "{err}");
        assert!(err.ends_with("user_disk, passwd)"), "{err}");
    }

    #[test]
    fn the_order_holds_every_section_of_a_program_once() {
        let at = |s: SectionName| ORDER.iter().position(|o| *o == s);
        let required: Vec<usize> = SECTIONS.iter().filter_map(|s| at(*s)).collect();
        assert_eq!(required.len(), SECTIONS.len());
        assert!(required.windows(2).all(|w| w[0] < w[1]), "SECTIONS run in ORDER's order");
        assert!(OPTIONAL_SECTIONS.iter().all(|s| at(*s).is_some() && !SECTIONS.contains(s)));
        assert_eq!(at(SectionName::Files0), Some(0), "the baseline is read first");
        assert_eq!(ORDER.len(), SECTIONS.len() + OPTIONAL_SECTIONS.len() + 1);
        assert!(ORDER.iter().filter(|s| s.is_baseline()).eq([&SectionName::Files0]));
    }
}
