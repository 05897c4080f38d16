//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use fleetwatch_common::Health;

use crate::error::{ApiError, Result};
use crate::fleet::Fleet;

/// `GET /api/health` and `GET /health` (seed 000): the seed's health body.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "health",
    security(()),
    responses((status = 200, description = "OK", body = Health))
)]
pub async fn health() -> Json<Health> {
    Json(Health { status: "healthy".into(), timestamp: Utc::now() })
}

/// `GET /ready` (seed 000): readiness as JSON, `{"status":"ready","database":"ok","timestamp":…}`,
/// or 503 with the error body when the database does not answer.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "health",
    security(()),
    responses((status = 200, description = "The database answers", body = crate::schemas::Ready))
)]
pub async fn ready(State(fleet): State<Fleet>) -> Result<Json<serde_json::Value>> {
    fleet.store().ping().await.map_err(ApiError::Unavailable)?;
    Ok(Json(serde_json::json!({ "status": "ready", "database": "ok", "timestamp": Utc::now() })))
}

/// `GET /healthz`: the process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    security(()),
    responses((status = 200, description = "ok", body = String, content_type = "text/plain"))
)]
pub async fn healthz() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok\n")
}

/// `GET /readyz`: the database answers; 503 otherwise. The body then tells the notifications
/// waiting in the outbox and the channels whose last delivery failed:
/// `ready\noutbox_depth 0\nfailing_channels ops,chat\n` (lines left out if unreadable).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    security(()),
    responses((status = 200, description = "ready, the outbox depth and the failing channels", body = String, content_type = "text/plain"))
)]
pub async fn readyz(State(fleet): State<Fleet>) -> Result<(StatusCode, String)> {
    let store = fleet.store();
    store.ping().await.map_err(ApiError::Unavailable)?;
    let mut body = String::from("ready\n");
    if let Ok(depth) = store.outbox_depth().await {
        body.push_str(&format!("outbox_depth {depth}\n"));
    }
    if let Ok(results) = store.channel_results().await {
        let failing: Vec<_> = results.into_iter().filter(|r| !r.ok).map(|r| r.channel).collect();
        body.push_str(&format!("failing_channels {}\n", failing.join(",")));
    }
    Ok((StatusCode::OK, body))
}
