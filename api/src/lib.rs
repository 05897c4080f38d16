//! The HTTP API (axum) and the static dashboard: it reads the store and answers JSON, CSV and
//! xlsx. Only this crate knows HTTP; it never writes samples or server states, and never runs
//! a collection.
//!
//! Imports point one way: `router` → `handlers` → `extract`/`params` (the typed edges),
//! `state` → `fleet` (status, overview, staleness) and `events` (the live-stream hub) →
//! `store`. `fleet` and `events` know neither handlers nor HTTP; `state` holds only data.

mod error;
mod events;
pub mod export;
mod extract;
mod fleet;
mod handlers;
mod params;
mod router;
mod state;

pub use error::ApiError;
pub use events::EventHub;
pub use fleet::{Fleet, ServerMeta, ServerView, status};
pub use router::router;
pub use state::AppState;

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
