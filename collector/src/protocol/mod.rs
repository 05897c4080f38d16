//! The collection protocol: what the program sent to a server ([`crate::program`]) and the
//! parsers of its output ([`crate::parse`]) agree on. Both read this module; it reads neither.
//!
//! The program prints each *section* between two marker lines, the end one carrying the
//! section's exit status:
//!
//! ```text
//! @@fw begin files
//! ==> /proc/meminfo <==
//! MemTotal:       16303428 kB
//! ...
//! @@fw end files 0
//! ```
//!
//! Here live the section names ([`SectionName`]), the order they run in ([`ORDER`]), which of
//! them every program has ([`SECTIONS`]) and which only some ([`OPTIONAL_SECTIONS`]), the
//! baseline/steady split (a first cycle reads `files` twice, as `files0` and `files`, one
//! second apart), and what earlier cycles taught that the next program needs
//! ([`ProgramOptions`]: the `df` flavour, the containers seen or that there is no container
//! tool, the socket clients that failed).

mod options;
mod section;

pub use options::{
    CONTAINERS_RECHECK_SECS, ContainerClient, ContainersSeen, DfFlavour, KnownProc, LIST_EVERY,
    LIST_EVERY_WITH_HEALTH_CHECKS, MAX_FD_PIDS, ProgramOptions,
};
pub use section::{OPTIONAL_SECTIONS, ORDER, SECTIONS, SectionName, UnknownSection};

/// The first line of a section: `@@fw begin NAME`.
pub const BEGIN_MARKER: &str = "@@fw begin ";
/// The last line of a section: `@@fw end NAME STATUS`.
pub const END_MARKER: &str = "@@fw end ";

/// Seconds between the baseline reading (`files0`) and the real one (`files`).
pub const BASELINE_SLEEP_SECONDS: u32 = 1;
