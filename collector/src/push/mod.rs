//! Push ingest, the collector's half: hosts it cannot reach (`transport = "push"`) run the same
//! program themselves (`script.rs` writes the POSIX sh that does it) and post its output to the
//! API, which hands it here (`receive.rs`): the same parsers and sample building as a polled
//! host, stored through the same store call. The API calls this through its `Ingest` trait,
//! which the binary implements with [`PushReceiver`]: neither crate imports the other.

mod receive;
mod script;

pub use receive::{PushError, PushReceiver, Received};
pub use script::{DEFAULT_TOKEN_FILE, ScriptError, push_program, push_script};
