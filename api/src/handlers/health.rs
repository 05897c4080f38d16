//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use fleetwatch_common::Health;

use crate::error::{ApiError, Result};
use crate::fleet::Fleet;

/// `GET /api/health`: the seed's health body.
pub async fn health() -> Json<Health> {
    Json(Health { status: "healthy".into(), timestamp: Utc::now() })
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok\n")
}

/// `GET /readyz`: the database answers; 503 otherwise.
pub async fn readyz(State(fleet): State<Fleet>) -> Result<(StatusCode, &'static str)> {
    fleet.store().ping().await.map_err(ApiError::Unavailable)?;
    Ok((StatusCode::OK, "ready\n"))
}
