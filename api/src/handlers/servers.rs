//! `/api/servers…`: the configured servers, their latest samples, history and status.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use fleetwatch_common::{HistoryPoint, ServerInfo, ServerStatus};
use fleetwatch_store::TimeRange;
use serde::Serialize;

use super::known;
use crate::error::{ApiError, Result};
use crate::extract::{Path, Query};
use crate::fleet::{Fleet, Kept, ServerView};
use crate::params::{Hours, Interval, Points, SeriesName, Window};

/// `GET /api/servers`: every configured server with its status and latest sample.
#[utoipa::path(
    get,
    path = "/api/servers",
    tag = "servers",
    responses((status = 200, description = "Every configured server with its status and latest sample", body = Vec<fleetwatch_common::ServerInfo>))
)]
pub async fn list(State(fleet): State<Fleet>) -> Result<Json<Vec<ServerInfo>>> {
    Ok(Json(fleet.view().await?.into_iter().map(ServerView::info).collect()))
}

/// `GET /api/servers/metrics/latest`: the latest sample of each configured server that has one.
#[utoipa::path(
    get,
    path = "/api/servers/metrics/latest",
    tag = "servers",
    responses((status = 200, description = "The latest sample of each configured server that has one", body = Vec<fleetwatch_common::Sample>))
)]
pub async fn latest(State(fleet): State<Fleet>, headers: HeaderMap) -> Result<Response> {
    let kept = fleet
        .latest_answer(|| async {
            let samples = fleet.latest_samples().await?;
            let json = serde_json::to_vec(&samples).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok::<_, ApiError>(Kept { gzip: Bytes::from(gzip(&json)?), json: Bytes::from(json) })
        })
        .await?;
    let json = (header::CONTENT_TYPE, "application/json");
    let vary = (header::VARY, "accept-encoding");
    Ok(if accepts_gzip(&headers) {
        ([json, (header::CONTENT_ENCODING, "gzip"), vary], kept.gzip).into_response()
    } else {
        ([json, vary], kept.json).into_response()
    })
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not `gzip;q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused =
                parts.any(|p| p.replace(' ', "").trim_start_matches("q=").parse::<f32>().is_ok_and(|q| q == 0.0));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        },
    )
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 8), flate2::Compression::default());
    e.write_all(data).and_then(|()| e.finish()).map_err(|e| ApiError::Internal(format!("gzip: {e}")))
}

/// `GET /api/servers/{server_name}/metrics/historical/{hours}?interval=`, oldest first: every
/// sample, or one point per `interval` (`1m`, `5m`, `15m`, `1h`) as seed 001 has it.
#[utoipa::path(
    get,
    path = "/api/servers/{server_name}/metrics/historical/{hours}",
    tag = "servers",
    params(("server_name" = String, Path, description = "A configured server's name"), ("hours" = u32, Path, minimum = 1, maximum = 8760, description = "How many hours back"), crate::params::Interval),
    responses((status = 200, description = "Oldest first", body = Vec<fleetwatch_common::HistoryPoint>))
)]
pub async fn history(
    State(fleet): State<Fleet>,
    Path((name, hours)): Path<(String, Hours)>,
    Query(interval): Query<Interval>,
) -> Result<Json<Vec<HistoryPoint>>> {
    known(&fleet, &name)?;
    let since = Utc::now() - chrono::Duration::hours(i64::from(hours.0));
    Ok(Json(fleet.store().history(&name, interval.apply(TimeRange::since(since))).await?))
}

/// `GET /api/servers/{server_name}/metrics/range?from=&to=&max_points=`: history between two
/// RFC 3339 times (default: the last 24 hours), averaged into at most `max_points` points.
#[utoipa::path(
    get,
    path = "/api/servers/{server_name}/metrics/range",
    tag = "servers",
    params(("server_name" = String, Path, description = "A configured server's name"), crate::params::Window, crate::params::Points, crate::params::Interval),
    responses((status = 200, description = "Oldest first", body = Vec<fleetwatch_common::HistoryPoint>))
)]
pub async fn range(
    State(fleet): State<Fleet>,
    Path(name): Path<String>,
    Query(window): Query<Window>,
    Query(points): Query<Points>,
    Query(interval): Query<Interval>,
) -> Result<Json<Vec<HistoryPoint>>> {
    known(&fleet, &name)?;
    let range = interval.apply(window.range(points.max_points.0)?);
    Ok(Json(fleet.store().history(&name, range).await?))
}

/// One figure over a window, as `…/metrics/summary` answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FigureSummary {
    /// A history figure (`cpu_percent`, `ram_percentage`, …) or the series asked for.
    pub figure: String,
    pub avg: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The latest value within the window.
    pub last: Option<f64>,
    /// How many samples they summarise.
    pub samples: i64,
}

/// `GET /api/servers/{server_name}/metrics/summary?from=&to=&name=`: average, minimum and
/// maximum of every history figure (and of series `name`, if given) over the window (default:
/// the last 24 hours).
#[utoipa::path(
    get,
    path = "/api/servers/{server_name}/metrics/summary",
    tag = "servers",
    params(("server_name" = String, Path, description = "A configured server's name"), crate::params::Window, crate::params::SeriesName),
    responses((status = 200, description = "OK", body = Vec<FigureSummary>))
)]
pub async fn summary(
    State(fleet): State<Fleet>,
    Path(name): Path<String>,
    Query(window): Query<Window>,
    Query(SeriesName { name: series }): Query<SeriesName>,
) -> Result<Json<Vec<FigureSummary>>> {
    known(&fleet, &name)?;
    let (from, to) = window.bounds()?;
    let series: Vec<&str> = series.as_deref().into_iter().collect();
    let range = TimeRange { from, to, max_points: None };
    let figures = fleet.store().summary(&name, &series, range).await?;
    Ok(Json(
        figures
            .into_iter()
            .map(|f| FigureSummary {
                figure: f.figure,
                avg: f.avg,
                min: f.min,
                max: f.max,
                last: f.last,
                samples: f.samples,
            })
            .collect(),
    ))
}

/// `GET /api/servers/{server_name}/status`.
#[utoipa::path(
    get,
    path = "/api/servers/{server_name}/status",
    tag = "servers",
    params(("server_name" = String, Path, description = "A configured server's name")),
    responses((status = 200, description = "OK", body = fleetwatch_common::ServerStatus))
)]
pub async fn status(State(fleet): State<Fleet>, Path(name): Path<String>) -> Result<Json<ServerStatus>> {
    known(&fleet, &name)?;
    Ok(Json(fleet.status(&name).await?))
}
