//! `/api/silences`: the silences made at run time.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use fleetwatch_alerts::{Silence, SilenceSpec};
use serde::Serialize;

use crate::auth::{Auth, Caller};
use crate::error::{ApiError, Result};
use crate::extract::{self, Path};
use crate::fleet::Fleet;

/// A stored silence: its id, who made it and when, and the spec's fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SilenceItem {
    pub id: i64,
    pub created_by: String,
    pub created: DateTime<Utc>,
    #[serde(flatten)]
    pub spec: SilenceSpec,
}

/// `GET /api/silences`: oldest first, expired ones included until deleted.
#[utoipa::path(
    get,
    path = "/api/silences",
    tag = "silences",
    responses((status = 200, description = "OK", body = Vec<SilenceItem>))
)]
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
#[utoipa::path(
    post,
    path = "/api/silences",
    tag = "silences",
    request_body = fleetwatch_alerts::SilenceSpec,
    responses((status = 201, description = "Stored", body = SilenceItem))
)]
pub async fn create(
    State(fleet): State<Fleet>,
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    extract::Json(spec): extract::Json<SilenceSpec>,
) -> Result<(StatusCode, Json<SilenceItem>)> {
    Silence::new(spec.clone()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let created = Utc::now();
    let created_by = caller.principal.actor();
    let id = fleet.store().create_silence(&spec, &created_by, created).await?;
    auth.audit(&caller, "silence_created", Some(&id.to_string()), serde_json::to_string(&spec).ok()).await;
    Ok((StatusCode::CREATED, Json(SilenceItem { id, created_by, created, spec })))
}

/// `DELETE /api/silences/{id}`: 204, or 404 when there is no such silence.
#[utoipa::path(
    delete,
    path = "/api/silences/{id}",
    tag = "silences",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(fleet): State<Fleet>,
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    if fleet.store().delete_silence(id).await? {
        auth.audit(&caller, "silence_deleted", Some(&id.to_string()), None).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no silence {id}")))
    }
}
