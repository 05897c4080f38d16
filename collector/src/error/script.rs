//! The program ran but failed, or its output could not be read as a sample.

use std::fmt;

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

/// The first non-blank line of a program's stderr, at most [`StderrExcerpt::MAX_CHARS`]
/// characters: all of a script's own words that an error message may carry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StderrExcerpt(String);

impl StderrExcerpt {
    pub const MAX_CHARS: usize = 200;

    pub fn of(stderr: &[u8]) -> Self {
        let text = String::from_utf8_lossy(stderr);
        let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        Self(line.chars().take(Self::MAX_CHARS).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StderrExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
