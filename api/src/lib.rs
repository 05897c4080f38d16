//! The HTTP API (axum) and the static dashboard: it reads the store and answers JSON, CSV and
//! xlsx. Only this crate knows HTTP; it never writes samples or server states.
//!
//! Layers, each importing only the ones after it: `router`, `serve` (the accept loop and its
//! deadlines) → `openapi` (the API's contract,
//! from the handlers' annotations) → `handlers` → `extract`, `params` (the typed edges),
//! `schemas` (the contract's composite answers), `export`, `metrics` (the Prometheus text) →
//! `state` (data only) → `events` (the live-stream hub), `ingest` (push ingest's trait and
//! guard) → `fleet` (status, overview, staleness), `rules` (the alert configuration as served)
//! → `error`, the store. So the hub and the fleet view never
//! reach a handler, and every page and live update reads the fleet the same way.

mod auth;
mod error;
mod events;
pub mod export;
mod extract;
mod fleet;
mod handlers;
pub mod ingest;
mod metrics;
mod openapi;
mod params;
mod router;
mod rules;
mod schemas;
mod security;
mod serve;
mod state;

pub use auth::AuthSettings;
pub use error::ApiError;
pub use events::{AlertChange, AlertEvent, EventHub, LiveEvent};
pub use fleet::{ServerMeta, status};
pub use openapi::document as openapi_document;
pub use router::router;
pub use rules::AlertRules;
pub use serve::{Limits, serve, serve_with};
pub use state::AppState;
