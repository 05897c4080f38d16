//! `/api/ui-config`.

use axum::Json;
use axum::extract::State;
use fleetwatch_common::UiConfig;

use crate::state::AppState;

/// `GET /api/ui-config`: what the dashboard needs to know before it loads data.
#[utoipa::path(
    get,
    path = "/api/ui-config",
    tag = "system",
    responses((status = 200, description = "OK", body = UiConfig))
)]
pub async fn config(State(state): State<AppState>) -> Json<UiConfig> {
    Json(UiConfig { refresh_secs: state.refresh_secs, version: env!("CARGO_PKG_VERSION").into() })
}
