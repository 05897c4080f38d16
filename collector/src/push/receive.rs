//! A pushed program output → a sample, stored as a polled cycle's would be.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use fleetwatch_config::Server;
use fleetwatch_store::Store;

use crate::parse::{ParseOptions, parse_output};
use crate::sample::{BuildOptions, build_owned};

/// Takes pushed outputs for the servers configured with `transport = "push"`.
pub struct PushReceiver {
    store: Arc<dyn Store>,
    servers: HashSet<String>,
}

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Sections that failed; the rest of the sample was kept (as for a polled host).
    pub warnings: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("{0:?} is not configured with transport = \"push\"")]
    NotPush(String),
    /// Nothing in the body could be made a sample; the text names the sections' errors.
    #[error("{0}")]
    Unusable(String),
    #[error("the sample could not be stored")]
    Store(#[from] fleetwatch_store::Error),
}

impl PushReceiver {
    /// Takes pushes for the push servers of `servers` (the others are refused).
    pub fn new(servers: &[Server], store: Arc<dyn Store>) -> Self {
        let servers = servers.iter().filter(|s| s.push).map(|s| s.name.clone()).collect();
        Self { store, servers }
    }

    /// Parses `output` (the program's stdout as the host sent it) with the polled path's
    /// parsers and sample building, as a first cycle's (the push program always takes its own
    /// baseline: [`super::push_program`]), timed `at` (the receiver's clock), and stores it.
    #[tracing::instrument(skip_all, fields(server = %server))]
    pub async fn receive(&self, server: &str, output: &[u8], at: DateTime<Utc>) -> Result<Received, PushError> {
        if !self.servers.contains(server) {
            return Err(PushError::NotPush(server.to_owned()));
        }
        let text = String::from_utf8_lossy(output);
        let snap = parse_output(&text, &ParseOptions::default());
        let built = build_owned(server, at, snap, None, &BuildOptions::default())
            .map_err(|e| PushError::Unusable(e.to_string()))?;
        for w in &built.warnings {
            tracing::warn!(warning = %w, "section failed; the rest of the pushed sample is kept");
        }
        self.store.record_success(&built.sample, &built.users, Some(&built.details), 0).await?;
        Ok(Received { warnings: built.warnings.len() })
    }
}
