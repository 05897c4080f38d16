//! The program's output → a sample, telling a script that failed from output that is garbage.

use chrono::Utc;

use crate::error::{CollectError, ExitStatus, ParseError, ScriptError};
use crate::exec::ExecOutput;
use crate::parse::{ParseOptions, parse_output};
use crate::sample::{BuildOptions, Built, CarriedState, build_owned};

/// Parses `output` into a sample. Output with no section from a program that exited badly is a
/// script failure (its status and first stderr line); anything else unusable is a parse error.
pub(super) fn interpret(name: &str, output: &ExecOutput, prev: Option<&CarriedState>) -> Result<Built, CollectError> {
    // Valid UTF-8 (the usual case) is borrowed as it is: `from_utf8_lossy` checks it byte by
    // byte, about three times slower than `from_utf8`'s validation.
    let stdout = match std::str::from_utf8(&output.stdout) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(&output.stdout),
    };
    let snap = parse_output(&stdout, &ParseOptions::default());
    match build_owned(name, Utc::now(), snap, prev, &BuildOptions::default()) {
        Ok(b) => Ok(b),
        Err(e) => {
            let no_sections = !stdout.contains("@@fw begin");
            if no_sections && (output.exit_status != Some(0) || output.signal.is_some()) {
                let status = match (&output.signal, output.exit_status) {
                    (Some(sig), _) => ExitStatus::Signal(sig.clone()),
                    (None, Some(code)) => ExitStatus::Code(code),
                    (None, None) => ExitStatus::Unknown,
                };
                Err(ScriptError::Failed { status, stderr: output.stderr_summary() }.into())
            } else {
                Err(ParseError::Sample(e).into())
            }
        }
    }
}
