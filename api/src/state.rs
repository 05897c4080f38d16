//! What every handler can reach: data only. Handlers take the part they need (`State<Fleet>`,
//! `State<Arc<EventHub>>`) through [`FromRef`].

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use fleetwatch_alerts::Alerting;
use fleetwatch_common::Thresholds;
use fleetwatch_store::Store;

use crate::auth::{Auth, AuthSettings};
use crate::events::EventHub;
use crate::fleet::{Fleet, ServerMeta};
use crate::ingest::{Ingest, PushGuard, PushSettings};
use crate::rules::AlertRules;

#[derive(Clone)]
pub struct AppState {
    pub(crate) fleet: Fleet,
    /// The dashboard's fallback refresh interval.
    pub(crate) refresh_secs: u64,
    pub(crate) events: Arc<EventHub>,
    /// The alert configuration as loaded, without secrets (`/api/alerts/rules`).
    pub(crate) rules: Arc<AlertRules>,
    /// Who may see and change what (`/api/auth/…` and the gate in front of the API).
    pub(crate) auth: Arc<Auth>,
    pub(crate) push: Push,
}

/// Push ingest: the binary's [`Ingest`] (none: pushes are answered 404), its bounds and the
/// per-server guard.
#[derive(Clone)]
pub(crate) struct Push {
    pub(crate) ingest: Option<Arc<dyn Ingest>>,
    pub(crate) settings: PushSettings,
    pub(crate) guard: Arc<PushGuard>,
}

impl Push {
    fn new(ingest: Option<Arc<dyn Ingest>>, settings: PushSettings) -> Self {
        Self { ingest, settings, guard: Arc::new(PushGuard::new(settings.min_interval)) }
    }
}

impl AppState {
    /// `stale_after`: a last success older than this makes a server offline ("stale").
    pub fn new(
        store: Arc<dyn Store>,
        servers: Vec<ServerMeta>,
        thresholds: Thresholds,
        stale_after: Duration,
        refresh_secs: u64,
    ) -> Self {
        Self {
            auth: Arc::new(Auth::new(store.clone(), AuthSettings::default())),
            fleet: Fleet::new(store, servers, thresholds, stale_after),
            refresh_secs,
            events: Arc::new(EventHub::new()),
            rules: Arc::default(),
            push: Push::new(None, PushSettings::default()),
        }
    }

    /// Takes pushes (`POST /api/ingest`) for the servers configured with `transport = "push"`,
    /// stored by `ingest`, within `settings`.
    pub fn with_ingest(mut self, ingest: Arc<dyn Ingest>, settings: PushSettings) -> Self {
        self.push = Push::new(Some(ingest), settings);
        self
    }

    /// Shows the loaded alert configuration at `/api/alerts/rules` (rules, standing silences,
    /// channels by name and kind: their secrets are not kept here). Without it, that list is
    /// empty.
    pub fn with_alerting(mut self, alerting: &Alerting) -> Self {
        self.rules = Arc::new(AlertRules::from(alerting));
        self
    }

    /// Sets how the API asks who is calling (default: open on loopback until a user exists).
    pub fn with_auth(mut self, settings: AuthSettings) -> Self {
        self.auth = Arc::new(Auth::new(self.fleet.store_arc(), settings));
        self
    }

    /// The auth runtime (for the setup link at start).
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Starts the task that feeds `/api/events`, polling the store every `every`.
    /// Must be called inside a Tokio runtime; it stops at [`AppState::close_streams`].
    pub fn start_events(&self, every: Duration) {
        tokio::spawn(crate::events::run(self.events.clone(), self.fleet.clone(), every));
    }

    /// Ends the live streams and their feeding task (call before a graceful shutdown).
    pub fn close_streams(&self) {
        self.events.close();
    }
}

impl FromRef<AppState> for Fleet {
    fn from_ref(state: &AppState) -> Self {
        state.fleet.clone()
    }
}

impl FromRef<AppState> for Arc<EventHub> {
    fn from_ref(state: &AppState) -> Self {
        state.events.clone()
    }
}

impl FromRef<AppState> for Arc<AlertRules> {
    fn from_ref(state: &AppState) -> Self {
        state.rules.clone()
    }
}

impl FromRef<AppState> for Push {
    fn from_ref(state: &AppState) -> Self {
        state.push.clone()
    }
}

impl FromRef<AppState> for Arc<Auth> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}
