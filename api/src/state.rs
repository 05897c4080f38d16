//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use fleetwatch_common::{Thresholds, Transport};
use fleetwatch_store::Store;

use crate::events::EventHub;

/// A configured server as the API shows it (no credentials ever reach this type).
#[derive(Debug, Clone)]
pub struct ServerMeta {
    pub name: String,
    pub transport: Transport,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tags: Vec<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub servers: Arc<Vec<ServerMeta>>,
    pub thresholds: Thresholds,
    /// A last success older than this makes a server offline ("stale").
    pub stale_after: Duration,
    /// The dashboard's fallback refresh interval.
    pub refresh_secs: u64,
    pub events: Arc<EventHub>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        servers: Vec<ServerMeta>,
        thresholds: Thresholds,
        stale_after: Duration,
        refresh_secs: u64,
    ) -> Self {
        Self {
            store,
            servers: Arc::new(servers),
            thresholds,
            stale_after,
            refresh_secs,
            events: Arc::new(EventHub::new()),
        }
    }

    /// Starts the task that feeds `/api/events`, polling the store every `every`.
    /// Must be called inside a Tokio runtime; it stops at [`AppState::close_streams`].
    pub fn start_events(&self, every: Duration) {
        tokio::spawn(crate::events::run(self.clone(), every));
    }

    /// Ends the live streams and their feeding task (call before a graceful shutdown).
    pub fn close_streams(&self) {
        self.events.close();
    }

    pub fn server(&self, name: &str) -> Option<&ServerMeta> {
        self.servers.iter().find(|s| s.name == name)
    }
}
