//! The output of running the program on a server, whatever the transport.

use crate::error::{CollectError, ScriptError, StderrExcerpt};

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
