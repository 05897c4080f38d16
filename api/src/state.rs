//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use fleetwatch_common::Thresholds;
use fleetwatch_store::Store;

/// A configured server as the API shows it (no credentials ever reach this type).
#[derive(Debug, Clone)]
pub struct ServerMeta {
    pub name: String,
    pub transport: String,
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
}

impl AppState {
    pub fn server(&self, name: &str) -> Option<&ServerMeta> {
        self.servers.iter().find(|s| s.name == name)
    }
}
