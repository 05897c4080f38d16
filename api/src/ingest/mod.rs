//! Push ingest: hosts the collector cannot reach post their collection program's raw output
//! (`POST /api/ingest`, and the seed's `POST /api/metrics`). The API knows HTTP, tokens, size,
//! rate and replays (`guard.rs`); what the output means, and storing it, is the [`Ingest`]
//! the binary hands in (the collector's parsers and sample building: the API never imports the
//! collector).

mod guard;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use guard::{PushGuard, Sequence};

/// The paths a push is accepted on (`POST` only).
pub const PATHS: [&str; 2] = ["/api/ingest", "/api/metrics"];

/// Stores what a push host sent, exactly as a polled cycle's output would be.
#[async_trait]
pub trait Ingest: Send + Sync {
    /// Parses `output` (the program's stdout) for `server`, taken at `at` (the API's clock,
    /// never the body's), and stores the sample.
    async fn ingest(&self, server: &str, output: &[u8], at: DateTime<Utc>) -> Result<Ingested, IngestError>;
}

/// What a push stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// Sections that failed (the rest of the sample was kept), as the log tells them.
    pub warnings: usize,
}

/// Why a push stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The server is not configured with `transport = "push"`.
    #[error("{0:?} is not a push server (transport = \"push\") in this Fleetwatch's configuration")]
    NotPush(String),
    /// The body is not the program's output (no usable section): the safe sentence says why.
    #[error("{0}")]
    Unusable(String),
    /// The store refused it; logged in full, answered as a 503/500.
    #[error("the sample could not be stored")]
    Store(#[from] fleetwatch_store::Error),
}

/// Bounds of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushSettings {
    /// The largest body read; a larger one is answered 413.
    pub max_body_bytes: usize,
    /// At most one accepted push per server in this interval; sooner is answered 429 with
    /// `Retry-After`.
    pub min_interval: Duration,
}

impl Default for PushSettings {
    fn default() -> Self {
        // The same cap as a polled program's stdout (`collector::ssh::MAX_STDOUT`).
        Self { max_body_bytes: 8 * 1024 * 1024, min_interval: Duration::from_secs(5) }
    }
}
