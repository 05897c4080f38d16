//! The collector: schedule → SSH (or local `sh`) → embedded scripts → pure parsers → store.
//! It must never write to a monitored host (the program arrives on stdin), never wait without a
//! timeout, and never read its settings from anywhere but a `fleetwatch_config` value handed to it.
//!
//! Invariants: parsers (`parse`, `sample`) do no I/O; secrets stay `SecretString` until the SSH
//! auth call; one server's failure never delays another.

pub mod alerting;
pub mod authorized_keys;
pub mod cluster;
pub mod cycle;
pub mod error;
pub mod exec;
pub mod fast_map;
pub mod hostkey;
pub mod identity;
pub mod local;
pub mod parse;
pub mod program;
pub mod protocol;
pub mod push;
pub mod sample;
pub mod schedule;
pub mod spool;
pub mod ssh;
pub mod startup;

pub use cluster::Cluster;
pub use cycle::{Collected, Collector, Mode, ServerReport};
pub use error::CollectError;
pub use schedule::Schedule;
