//! What a run hands back: one [`ServerReport`] per server, a [`Collected`] sample on success.

use std::time::Duration;

use fleetwatch_store::UserUsage;

use crate::error::CollectError;

/// Whether a run stores its results (`collect`) or only reports them (`check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Store,
    DryRun,
}

/// What happened to one server in one cycle.
#[derive(Debug)]
pub struct ServerReport {
    pub name: String,
    pub result: Result<Collected, CollectError>,
    pub duration: Duration,
    pub attempts: u32,
}

/// A successful collection.
#[derive(Debug)]
pub struct Collected {
    pub sample: fleetwatch_common::Sample,
    pub users: Vec<UserUsage>,
    /// Everything else the cycle collected.
    pub details: Option<fleetwatch_common::Details>,
    /// Sections that failed while the rest was kept.
    pub warnings: Vec<String>,
    /// The server's host key fingerprint, when SSH was used.
    pub host_key: Option<String>,
    /// True when the host key was accepted on first use in this run.
    pub first_use: bool,
}
