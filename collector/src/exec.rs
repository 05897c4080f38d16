//! The output of running the program on a server, whatever the transport.

use std::fmt;

use crate::error::{CollectError, ScriptError};

#[derive(Debug, Default)]
pub struct ExecOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_status: Option<i32>,
    pub signal: Option<String>,
}

impl ExecOutput {
    pub(crate) fn push_stdout(&mut self, data: &[u8], cap: usize) -> Result<(), CollectError> {
        if self.stdout.len() + data.len() > cap {
            return Err(ScriptError::OutputTooLarge { cap_kib: cap / 1024 }.into());
        }
        self.stdout.extend_from_slice(data);
        Ok(())
    }

    pub(crate) fn push_stderr(&mut self, data: &[u8], cap: usize) {
        let room = cap.saturating_sub(self.stderr.len());
        self.stderr.extend_from_slice(&data[..data.len().min(room)]);
    }

    /// The first line of stderr, for an error message (bounded).
    pub fn stderr_summary(&self) -> StderrExcerpt {
        StderrExcerpt::of(&self.stderr)
    }
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
