//! The collector: schedule → SSH (or local `sh`) → embedded scripts → pure parsers → store.
//!
//! Invariants: the program goes to the server on stdin and writes nothing there; parsers
//! (`parse`, `sample`) do no I/O; every network wait is bounded by a timeout; secrets stay
//! `SecretString` until the SSH auth call.

pub mod cluster;
pub mod config;
pub mod cycle;
pub mod error;
pub mod exec;
pub mod hostkey;
pub mod local;
pub mod parse;
pub mod program;
pub mod protocol;
pub mod sample;
pub mod schedule;
pub mod ssh;

pub use cluster::Cluster;
pub use config::{Config, Server};
pub use cycle::{Collected, Collector, Mode, ServerReport};
pub use error::{CollectError, ConfigError};
pub use schedule::Schedule;
