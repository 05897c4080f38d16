//! `/api/silences`: the silences made at run time.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use fleetwatch_alerts::{Silence, SilenceSpec};
use serde::Serialize;

use crate::error::{ApiError, Result};
use crate::extract::{self, Path};
use crate::fleet::Fleet;

/// Who made a silence through the API.
const CREATED_BY: &str = "api";

/// A stored silence: its id, who made it and when, and the spec's fields.
#[derive(Debug, Serialize)]
pub struct SilenceItem {
    pub id: i64,
    pub created_by: String,
    pub created: DateTime<Utc>,
    #[serde(flatten)]
    pub spec: SilenceSpec,
}

/// `GET /api/silences`: oldest first, expired ones included until deleted.
pub async fn list(State(fleet): State<Fleet>) -> Result<Json<Vec<SilenceItem>>> {
    let silences = fleet.store().silences().await?;
    Ok(Json(
        silences
            .into_iter()
            .map(|s| SilenceItem { id: s.id, created_by: s.created_by, created: s.created, spec: s.spec })
            .collect(),
    ))
}

/// `POST /api/silences`, a `SilenceSpec` as JSON: 201 with the stored silence; 400 naming the
/// field when the body does not parse or the silence does not check.
pub async fn create(
    State(fleet): State<Fleet>,
    extract::Json(spec): extract::Json<SilenceSpec>,
) -> Result<(StatusCode, Json<SilenceItem>)> {
    Silence::new(spec.clone()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let created = Utc::now();
    let id = fleet.store().create_silence(&spec, CREATED_BY, created).await?;
    Ok((StatusCode::CREATED, Json(SilenceItem { id, created_by: CREATED_BY.into(), created, spec })))
}

/// `DELETE /api/silences/{id}`: 204, or 404 when there is no such silence.
pub async fn delete(State(fleet): State<Fleet>, Path(id): Path<i64>) -> Result<StatusCode> {
    if fleet.store().delete_silence(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no silence {id}")))
    }
}
