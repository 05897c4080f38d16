//! `/api/servers…`: the configured servers, their latest samples, history and status.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use fleetwatch_common::{HistoryPoint, Sample, ServerInfo, ServerStatus};

use std::collections::HashMap;

use axum::extract::Query;
use fleetwatch_store::TimeRange;

use super::{fleet, known, parse_time};
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
            transport: m.transport,
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
    Ok(Json(state.store.history(&name, TimeRange::since(since)).await?))
}

/// Most points `…/metrics/range` returns; the default is [`DEFAULT_POINTS`].
pub const MAX_POINTS: u32 = 10_000;
pub const DEFAULT_POINTS: u32 = 1_000;

/// `GET /api/servers/{server_name}/metrics/range?from=&to=&max_points=`: history between two
/// RFC 3339 times (default: the last 24 hours), averaged into at most `max_points` points.
pub async fn range(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<HistoryPoint>>> {
    known(&state, &name)?;
    let (from, to) = time_window(&q)?;
    let max_points = max_points(&q)?;
    Ok(Json(state.store.history(&name, TimeRange { from, to, max_points: Some(max_points) }).await?))
}

/// `max_points` from a query: 1 to [`MAX_POINTS`], default [`DEFAULT_POINTS`].
pub(crate) fn max_points(q: &HashMap<String, String>) -> Result<u32> {
    match q.get("max_points") {
        None => Ok(DEFAULT_POINTS),
        Some(v) => {
            v.parse().ok().filter(|n| (1..=MAX_POINTS).contains(n)).ok_or_else(|| {
                ApiError::BadRequest(format!("max_points must be a whole number from 1 to {MAX_POINTS}"))
            })
        }
    }
}

/// `from` and `to` from a query (RFC 3339), defaulting to the last 24 hours; `from` < `to`.
pub(crate) fn time_window(q: &HashMap<String, String>) -> Result<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> {
    let to = match q.get("to") {
        Some(t) => parse_time("to", t)?,
        None => Utc::now(),
    };
    let from = match q.get("from") {
        Some(f) => parse_time("from", f)?,
        None => to - chrono::Duration::hours(24),
    };
    if from >= to {
        return Err(ApiError::BadRequest("from must be before to".into()));
    }
    Ok((from, to))
}

/// `GET /api/servers/{server_name}/status`.
pub async fn status(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<ServerStatus>> {
    known(&state, &name)?;
    let (states, latest) = tokio::try_join!(state.store.server_states(), state.store.latest_sample(&name))?;
    let st = states.iter().find(|s| s.server_name == name);
    Ok(Json(evaluate(&name, st, latest.as_ref(), &state.thresholds, state.stale_after, Utc::now())))
}
