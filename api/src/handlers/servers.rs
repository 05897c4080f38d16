//! `/api/servers…`: the configured servers, their latest samples, history and status.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use fleetwatch_common::{HistoryPoint, Sample, ServerInfo, ServerStatus};

use super::fleet;
use crate::error::{ApiError, Result};
use crate::state::AppState;
use crate::status::evaluate;

/// Longest history a request may ask for: one year.
pub const MAX_HOURS: i64 = 8760;

/// `GET /api/servers`.
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ServerInfo>>> {
    let fleet = fleet(&state).await?;
    let out = state
        .servers
        .iter()
        .zip(fleet)
        .map(|(m, (status, latest))| ServerInfo {
            name: m.name.clone(),
            transport: m.transport.clone(),
            host: m.host.clone(),
            port: m.port,
            tags: m.tags.clone(),
            status,
            latest,
        })
        .collect();
    Ok(Json(out))
}

/// `GET /api/servers/metrics/latest`: the latest sample of each configured server that has one.
pub async fn latest(State(state): State<AppState>) -> Result<Json<Vec<Sample>>> {
    let mut samples = state.store.latest_samples().await?;
    samples.retain(|s| state.server(&s.server_name).is_some());
    samples.sort_by(|a, b| a.server_name.cmp(&b.server_name));
    Ok(Json(samples))
}

/// `GET /api/servers/{server_name}/metrics/historical/{hours}`, oldest first.
pub async fn history(
    State(state): State<AppState>,
    Path((name, hours)): Path<(String, String)>,
) -> Result<Json<Vec<HistoryPoint>>> {
    known(&state, &name)?;
    let hours: i64 = hours
        .parse()
        .ok()
        .filter(|h| (1..=MAX_HOURS).contains(h))
        .ok_or_else(|| ApiError::BadRequest(format!("hours must be a whole number from 1 to {MAX_HOURS}")))?;
    let since = Utc::now() - chrono::Duration::hours(hours);
    Ok(Json(state.store.history(&name, since).await?))
}

/// `GET /api/servers/{server_name}/status`.
pub async fn status(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<ServerStatus>> {
    known(&state, &name)?;
    let (states, latest) = tokio::try_join!(state.store.server_states(), state.store.latest_sample(&name))?;
    let st = states.iter().find(|s| s.server_name == name);
    Ok(Json(evaluate(&name, st, latest.as_ref(), &state.thresholds, state.stale_after, Utc::now())))
}

fn known(state: &AppState, name: &str) -> Result<()> {
    match state.server(name) {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("no server named {:?}", truncate(name)))),
    }
}

/// Echoes at most 64 characters of user input back.
fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}
