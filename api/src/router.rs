//! The one route table.

use std::path::Path;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, MAX_BODY_BYTES};
use crate::handlers::{
    accounts, activity, alerts, auth, events, export, health, host_keys, ingest, metrics, sections, seed_metrics,
    server_detail, servers, silences, system, system_health, ui, users,
};
use crate::security::{self, SecurityHeaders};
use crate::state::AppState;

/// A push endpoint: `POST` only (any other method: 405 with `Allow: POST`), bodies up to
/// the push settings' bound instead of [`MAX_BODY_BYTES`].
fn push(state: &AppState) -> axum::routing::MethodRouter<AppState> {
    post(ingest::push).layer(DefaultBodyLimit::max(state.push.settings.max_body_bytes))
}

/// The API under `/api`, health probes, and the dashboard from `web_dir` at `/`.
///
/// Every `/api/…` request and `/metrics` pass the auth gate (`crate::auth::require`); bodies
/// over [`MAX_BODY_BYTES`] are refused; every answer carries the security headers
/// (`crate::security`).
///
/// Answers are gzipped for clients that accept it (the server list of a large fleet is
/// hundreds of KB of JSON), except the event stream (a compressor would hold events back),
/// spreadsheets (already zip files) and small answers. The dashboard's files are served from
/// the `.gz` copies `frontend/build.sh` writes next to them, compressed once at build time.
pub fn router(state: AppState, web_dir: &Path) -> Router {
    let api = Router::new()
        .route("/health", get(health::health))
        .route("/openapi.json", get(crate::openapi::serve))
        .route("/servers", get(servers::list))
        .route("/servers/metrics/latest", get(servers::latest))
        .route("/servers/{server_name}/metrics/historical/{hours}", get(servers::history))
        .route("/servers/{server_name}", get(server_detail::detail))
        .route("/servers/{server_name}/", get(server_detail::detail))
        .route("/servers/{server_name}/metrics/range", get(servers::range))
        .route("/servers/{server_name}/metrics/series", get(sections::series))
        .route("/servers/{server_name}/metrics/summary", get(servers::summary))
        .route("/servers/{server_name}/status", get(servers::status))
        .route("/servers/{server_name}/{section}", get(sections::section))
        .route("/servers/{server_name}/host-key/accept", post(host_keys::accept))
        .route("/users/top", get(users::top))
        .route("/metrics/cpu", get(seed_metrics::cpu_metrics))
        .route("/metrics/memory", get(seed_metrics::memory_metrics))
        .route("/metrics/disk", get(seed_metrics::disk_metrics))
        .route("/metrics/all", get(seed_metrics::all_metrics))
        .route("/metrics/recent", get(seed_metrics::recent))
        .route("/system/health", get(system_health::health))
        .route("/system/health/metrics", get(system_health::metrics))
        .route("/system/health/containers", get(system_health::containers))
        .route("/system/health/containers/{id}", get(system_health::container))
        .route("/users/{user}/history", get(activity::history))
        .route("/system/overview", get(system::overview))
        .route("/events", get(events::stream))
        .route("/ui-config", get(ui::config))
        .route("/export/{file}", get(export::download))
        .route("/alerts", get(alerts::list))
        .route("/alerts/history", get(alerts::history))
        .route("/alerts/channels", get(alerts::channels))
        .route("/alerts/rules", get(alerts::rules))
        .route("/alerts/{server}/{rule}/ack", post(alerts::ack))
        .route("/alerts/{server}/{rule}/{instance}/ack", post(alerts::ack))
        .route("/silences", get(silences::list).post(silences::create))
        .route("/silences/{id}", delete(silences::delete))
        .route("/auth/me", get(auth::me))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/setup", post(auth::setup))
        .route("/auth/password", post(auth::password))
        .route("/auth/users", get(accounts::users).post(accounts::add_user))
        .route("/auth/users/{name}", delete(accounts::remove_user))
        .route("/auth/tokens", get(accounts::tokens).post(accounts::create_token))
        .route("/auth/tokens/{id}", delete(accounts::revoke_token))
        .route("/auth/audit", get(accounts::audit))
        .route("/ingest", push(&state))
        .route("/metrics", push(&state))
        .fallback(|| async { ApiError::NotFound("no such API endpoint".into()) })
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));

    let index = web_dir.join("index.html");
    let web = ServeDir::new(web_dir).precompressed_gzip().fallback(ServeFile::new(index).precompressed_gzip());
    let compress = DefaultPredicate::new().and(NotForContentType::const_new("application/vnd.openxmlformats"));

    Router::new()
        .nest("/api", api)
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .fallback_service(web)
        .layer(from_fn_with_state(state.auth.clone(), crate::auth::require))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn_with_state(Arc::new(SecurityHeaders::for_dashboard(web_dir)), security::add))
        .layer(CompressionLayer::new().compress_when(compress))
        // The span names the path only: a query may carry a secret (the setup link's token).
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}
