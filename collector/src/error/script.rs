//! The program ran but failed, or its output could not be read as a sample.

use std::fmt;

use crate::exec::StderrExcerpt;
use crate::sample::BuildError;

/// Why the program failed (offline reason "script failed"; retried).
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// It exited without printing a section: its status and the first line of its stderr.
    #[error("{status}: {stderr}")]
    Failed { status: ExitStatus, stderr: StderrExcerpt },
    /// It printed more than the collector holds for one server.
    #[error("output exceeded {cap_kib} KiB")]
    OutputTooLarge { cap_kib: usize },
    /// The local `sh` could not be run or read (the `local` transport).
    #[error("{step}: {source}")]
    Local {
        step: LocalStep,
        #[source]
        source: std::io::Error,
    },
    #[error("sh has no stdio pipes")]
    NoPipes,
}

/// How the program ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    /// The signal's name as the server reported it.
    Signal(String),
    /// The channel closed without an exit status.
    Unknown,
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code(code) => write!(f, "exit status {code}"),
            Self::Signal(sig) => write!(f, "killed by signal {sig}"),
            Self::Unknown => f.write_str("no exit status"),
        }
    }
}

/// The steps of running the local `sh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalStep {
    Start,
    ReadStdout,
    ReadStderr,
    Wait,
}

impl fmt::Display for LocalStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Start => "cannot start sh",
            Self::ReadStdout => "reading output failed",
            Self::ReadStderr => "reading stderr failed",
            Self::Wait => "waiting for sh",
        })
    }
}

/// Why the output is not a sample (offline reason "parse error"; not retried). Both name the
/// sections at fault.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// No section that feeds a sample could be parsed.
    #[error(transparent)]
    Sample(#[from] BuildError),
    /// The per-user disk usage program's output, as `parse::user_disk` words it
    /// (`user_disk: …`).
    #[error("{0}")]
    UserDisk(String),
}
