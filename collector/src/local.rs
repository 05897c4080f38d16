//! The `local` transport: runs the same program with the local `sh`, no SSH.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use crate::error::{CollectError, LocalStep, ScriptError, Stage};
use crate::exec::ExecOutput;
use crate::ssh::{MAX_STDERR, MAX_STDOUT};

/// Runs `sh -s` with `stdin` as the program, killing it if it outlives `limit`.
pub async fn exec(stdin: &[u8], limit: Duration) -> Result<ExecOutput, CollectError> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| local_error(LocalStep::Start, e))?;
    let (Some(mut input), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(ScriptError::NoPipes.into());
    };
    let program = stdin.to_vec();
    let run = async move {
        let write = async move {
            input.write_all(&program).await?;
            input.shutdown().await
        };
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut limited_out = (&mut stdout).take(MAX_STDOUT as u64 + 1);
        let mut limited_err = (&mut stderr).take(MAX_STDERR as u64);
        let read_out = limited_out.read_to_end(&mut out);
        let read_err = limited_err.read_to_end(&mut err);
        let (w, o, e) = tokio::join!(write, read_out, read_err);
        if let Err(e) = w {
            tracing::debug!(error = %e, "writing the program to sh failed");
        }
        o.map_err(|e| local_error(LocalStep::ReadStdout, e))?;
        e.map_err(|e| local_error(LocalStep::ReadStderr, e))?;
        let status = child.wait().await.map_err(|e| local_error(LocalStep::Wait, e))?;
        let mut output = ExecOutput { stderr: err, exit_status: status.code(), ..Default::default() };
        output.push_stdout(&out, MAX_STDOUT)?;
        Ok(output)
    };
    match timeout(limit, run).await {
        Ok(r) => r,
        Err(_) => Err(CollectError::Timeout { stage: Stage::RunningScripts, secs: limit.as_secs() }),
    }
}

fn local_error(step: LocalStep, source: std::io::Error) -> CollectError {
    ScriptError::Local { step, source }.into()
}
