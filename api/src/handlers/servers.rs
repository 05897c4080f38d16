//! `/api/servers…`: the configured servers, their latest samples, history and status.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use fleetwatch_common::{HistoryPoint, Sample, ServerInfo, ServerStatus};
use fleetwatch_store::TimeRange;

use super::known;
use crate::error::Result;
use crate::extract::{Path, Query};
use crate::fleet::{Fleet, ServerView};
use crate::params::{Hours, Points, Window};

/// `GET /api/servers`: every configured server with its status and latest sample.
pub async fn list(State(fleet): State<Fleet>) -> Result<Json<Vec<ServerInfo>>> {
    Ok(Json(fleet.view().await?.into_iter().map(ServerView::info).collect()))
}

/// `GET /api/servers/metrics/latest`: the latest sample of each configured server that has one.
pub async fn latest(State(fleet): State<Fleet>) -> Result<Json<Vec<Sample>>> {
    let mut samples = fleet.store().latest_samples().await?;
    samples.retain(|s| fleet.server(&s.server_name).is_some());
    samples.sort_by(|a, b| a.server_name.cmp(&b.server_name));
    Ok(Json(samples))
}

/// `GET /api/servers/{server_name}/metrics/historical/{hours}`, oldest first.
pub async fn history(
    State(fleet): State<Fleet>,
    Path((name, hours)): Path<(String, Hours)>,
) -> Result<Json<Vec<HistoryPoint>>> {
    known(&fleet, &name)?;
    let since = Utc::now() - chrono::Duration::hours(i64::from(hours.0));
    Ok(Json(fleet.store().history(&name, TimeRange::since(since)).await?))
}

/// `GET /api/servers/{server_name}/metrics/range?from=&to=&max_points=`: history between two
/// RFC 3339 times (default: the last 24 hours), averaged into at most `max_points` points.
pub async fn range(
    State(fleet): State<Fleet>,
    Path(name): Path<String>,
    Query(window): Query<Window>,
    Query(points): Query<Points>,
) -> Result<Json<Vec<HistoryPoint>>> {
    known(&fleet, &name)?;
    let range = window.range(points.max_points.0)?;
    Ok(Json(fleet.store().history(&name, range).await?))
}

/// `GET /api/servers/{server_name}/status`.
pub async fn status(State(fleet): State<Fleet>, Path(name): Path<String>) -> Result<Json<ServerStatus>> {
    known(&fleet, &name)?;
    Ok(Json(fleet.status(&name).await?))
}
