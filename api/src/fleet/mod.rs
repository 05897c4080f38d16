//! The fleet view: every configured server with its status and latest sample, the overview
//! and its alerts, and the staleness rule. The handlers and the live-stream hub both read the
//! fleet through here, so a page and its live updates always agree. No HTTP here.

mod latest;
mod overview;
pub mod status;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetwatch_common::{Overview, Sample, ServerInfo, ServerStatus, Thresholds, Transport};
use fleetwatch_store::{Result, ServerState, Store};

pub use latest::Kept;
use latest::LatestAnswer;
use status::{evaluate, stale_age};

/// A configured server as the API shows it (no credentials ever reach this type).
#[derive(Debug, Clone)]
pub struct ServerMeta {
    pub name: String,
    pub transport: Transport,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tags: Vec<String>,
}

/// What the fleet view reads: the store, the configured servers and the rules of their status.
/// Cheap to clone (the store and the server list are shared).
#[derive(Clone)]
pub struct Fleet {
    store: Arc<dyn Store>,
    servers: Arc<Vec<ServerMeta>>,
    thresholds: Thresholds,
    /// A last success older than this makes a server offline ("stale").
    stale_after: Duration,
    /// The answer of `/api/servers/metrics/latest`, kept while the store does not move.
    latest: Arc<LatestAnswer>,
}

/// One configured server now: its configuration, status and latest sample.
#[derive(Debug, Clone)]
pub struct ServerView<'a> {
    pub meta: &'a ServerMeta,
    pub status: ServerStatus,
    pub latest: Option<Sample>,
}

impl ServerView<'_> {
    /// The server as `/api/servers` and the live stream send it.
    pub fn info(self) -> ServerInfo {
        let m = self.meta;
        ServerInfo {
            name: m.name.clone(),
            transport: m.transport,
            host: m.host.clone(),
            port: m.port,
            tags: m.tags.clone(),
            status: self.status,
            latest: self.latest,
        }
    }
}

impl Fleet {
    pub fn new(store: Arc<dyn Store>, servers: Vec<ServerMeta>, thresholds: Thresholds, stale_after: Duration) -> Self {
        Self { store, servers: Arc::new(servers), thresholds, stale_after, latest: Arc::default() }
    }

    /// The store, for what is not the fleet view (history, details, users).
    pub fn store_arc(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The fleet's latest answer, kept while the store's latest samples stay the same, else
    /// made by `build` (which reads [`Fleet::latest_samples`]); see [`latest`].
    pub async fn latest_answer<E, F, Fut>(&self, build: F) -> std::result::Result<Kept, E>
    where
        E: From<fleetwatch_store::Error>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<Kept, E>>,
    {
        self.latest.get(self.store.as_ref(), build).await
    }

    /// The latest sample of each configured server that has one, by name.
    pub async fn latest_samples(&self) -> Result<Vec<Sample>> {
        let known: std::collections::HashSet<&str> = self.servers.iter().map(|s| s.name.as_str()).collect();
        let mut samples = self.store.latest_samples().await?;
        samples.retain(|s| known.contains(s.server_name.as_str()));
        samples.sort_by(|a, b| a.server_name.cmp(&b.server_name));
        Ok(samples)
    }

    /// The configured server named `name`, if any.
    pub fn server(&self, name: &str) -> Option<&ServerMeta> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// The server the seeds' single-host endpoints (`/api/metrics/cpu`, `/api/system/health`, …)
    /// answer for when no `?server=` is given: the local machine if one is configured, else the
    /// first configured server.
    pub fn default_server(&self) -> Option<&ServerMeta> {
        self.servers.iter().find(|s| s.transport == Transport::Local).or_else(|| self.servers.first())
    }

    /// Every configured server with its status and latest sample, in configuration order.
    pub async fn view(&self) -> Result<Vec<ServerView<'_>>> {
        let (states, latest) = tokio::try_join!(self.store.server_states(), self.store.latest_samples())?;
        let states: HashMap<_, _> = states.into_iter().map(|s| (s.server_name.clone(), s)).collect();
        let mut latest: HashMap<_, _> = latest.into_iter().map(|s| (s.server_name.clone(), s)).collect();
        let now = Utc::now();
        Ok(self
            .servers
            .iter()
            .map(|meta| {
                let sample = latest.remove(&meta.name);
                let status = self.evaluate(&meta.name, states.get(&meta.name), sample.as_ref(), now);
                ServerView { meta, status, latest: sample }
            })
            .collect())
    }

    /// The status of one server (configured or not: the caller checks).
    pub async fn status(&self, name: &str) -> Result<ServerStatus> {
        let (states, latest) = tokio::try_join!(self.store.server_states(), self.store.latest_sample(name))?;
        let state = states.iter().find(|s| s.server_name == name);
        Ok(self.evaluate(name, state, latest.as_ref(), Utc::now()))
    }

    /// Counts, averages and alerts over the whole fleet.
    pub async fn overview(&self) -> Result<Overview> {
        Ok(overview::summarise(&self.view().await?, &self.thresholds))
    }

    /// Whether a server whose collection succeeded is stale at `now`: the rule of
    /// [`status::evaluate`], with the last success standing for the latest sample's time.
    pub fn is_stale(&self, state: &ServerState, now: DateTime<Utc>) -> bool {
        state.ok && state.last_success.and_then(|t| stale_age(t, now, self.stale_after)).is_some()
    }

    fn evaluate(
        &self,
        name: &str,
        state: Option<&ServerState>,
        latest: Option<&Sample>,
        now: DateTime<Utc>,
    ) -> ServerStatus {
        evaluate(name, state, latest, &self.thresholds, self.stale_after, now)
    }
}
