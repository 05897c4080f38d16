//! The HTTP API (axum) and the static dashboard. Only this crate knows HTTP.

mod error;
mod events;
pub mod export;
mod handlers;
mod router;
mod state;
pub mod status;

pub use error::ApiError;
pub use events::EventHub;
pub use router::router;
pub use state::{AppState, ServerMeta};

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
