//! The output of running the program on a server, whatever the transport.

use crate::error::CollectError;

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
            return Err(CollectError::Script(format!("output exceeded {} KiB", cap / 1024)));
        }
        self.stdout.extend_from_slice(data);
        Ok(())
    }

    pub(crate) fn push_stderr(&mut self, data: &[u8], cap: usize) {
        let room = cap.saturating_sub(self.stderr.len());
        self.stderr.extend_from_slice(&data[..data.len().min(room)]);
    }

    /// The first line of stderr, for an error message (bounded).
    pub fn stderr_summary(&self) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        line.chars().take(200).collect()
    }
}
