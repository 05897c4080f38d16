//! `/api/system/overview`.

use axum::Json;
use axum::extract::State;
use fleetwatch_common::Overview;

use crate::error::Result;
use crate::fleet::Fleet;

/// `GET /api/system/overview`: counts, averages and alerts over the fleet.
#[utoipa::path(
    get,
    path = "/api/system/overview",
    tag = "system",
    responses((status = 200, description = "OK", body = fleetwatch_common::Overview))
)]
pub async fn overview(State(fleet): State<Fleet>) -> Result<Json<Overview>> {
    Ok(Json(fleet.overview().await?))
}
