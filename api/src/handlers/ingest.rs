//! `POST /api/ingest` (and the seed's `POST /api/metrics`): a push host's collection program
//! output, with its server's ingest token. Checked here in this order: the token's binding
//! (403), the size (413), a replay (409), the rate (429); then the output is parsed and stored
//! by the binary's [`Ingest`](crate::ingest::Ingest) (422 when it holds no usable section:
//! nothing is stored). The time of the sample is this server's clock, never the body's.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use fleetwatch_common::Transport;
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, Principal};
use crate::error::{ApiError, Result, echo};
use crate::extract::Query;
use crate::fleet::Fleet;
use crate::ingest::{IngestError, Sequence};
use crate::state::Push;

/// `?server=`: optional; when given it must be the token's own server.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(default)]
    pub server: Option<String>,
}

/// The answer to an accepted push (202).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Accepted {
    pub server: String,
    /// The sample's time: when this server received it.
    pub received_at: DateTime<Utc>,
    /// Sections that failed; the rest of the sample was kept.
    pub warnings: usize,
}

#[utoipa::path(
    post,
    path = "/api/ingest",
    tag = "ingest",
    params(Target),
    request_body(
        content = String,
        content_type = "text/plain",
        description = "The collection program's raw output, as the push script sends it"
    ),
    responses(
        (status = 202, description = "Stored as a sample of the token's server", body = Accepted),
        (status = 403, description = "Not an ingest token, or not this token's push server"),
        (status = 409, description = "A replay of an earlier push"),
        (status = 413, description = "Over the push body limit"),
        (status = 422, description = "No usable section: nothing stored"),
        (status = 429, description = "Faster than one push per server per 5 s (Retry-After)")
    )
)]
pub async fn push(
    State(push): State<Push>,
    State(fleet): State<Fleet>,
    Extension(caller): Extension<Caller>,
    Query(target): Query<Target>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>)> {
    let Principal::Token { server: bound, name, .. } = &caller.principal else {
        return Err(ApiError::Forbidden("only a server's ingest token may push".into()));
    };
    let Some(server) = bound else {
        return Err(ApiError::Forbidden(format!("token {name:?} is bound to no server: it may not push")));
    };
    if let Some(asked) = &target.server
        && asked != server
    {
        return Err(ApiError::Forbidden(format!(
            "this token pushes for {:?} only, not for {:?}",
            echo(server),
            echo(asked)
        )));
    }
    if fleet.server(server).map(|m| m.transport) != Some(Transport::Push) {
        return Err(ApiError::Forbidden(IngestError::NotPush(echo(server)).to_string()));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(push.settings.max_body_bytes)
        } else {
            ApiError::BadRequest(format!("unreadable body: {}", e.status()))
        }
    })?;
    let Some(ingest) = &push.ingest else {
        return Err(ApiError::NotFound("this Fleetwatch process does not take pushes".into()));
    };
    let admission = push.guard.admit(server, &body, sequence(&headers)?, Instant::now())?;
    let at = Utc::now();
    match ingest.ingest(server, &body, at).await {
        Ok(done) => {
            push.guard.confirm(admission);
            tracing::debug!(server = %server, bytes = body.len(), "push stored");
            Ok((
                StatusCode::ACCEPTED,
                Json(Accepted { server: server.clone(), received_at: at, warnings: done.warnings }),
            ))
        }
        Err(e) => {
            push.guard.release(admission);
            Err(match e {
                IngestError::NotPush(_) => ApiError::Forbidden(e.to_string()),
                IngestError::Unusable(why) => {
                    ApiError::Unprocessable(format!("not the output of the collection program: {why}; nothing stored"))
                }
                IngestError::Store(se) => ApiError::Store(se),
            })
        }
    }
}

/// `X-Fleetwatch-Boot` and `X-Fleetwatch-Seq`, both or neither.
fn sequence(headers: &HeaderMap) -> Result<Option<Sequence>> {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().map(str::trim));
    match (text("x-fleetwatch-boot"), text("x-fleetwatch-seq")) {
        (None, None) => Ok(None),
        (Some(Ok(boot)), Some(Ok(seq)))
            if (1..=64).contains(&boot.len()) && boot.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') =>
        {
            let seq = seq.parse().map_err(|_| ApiError::BadRequest("X-Fleetwatch-Seq: a whole number".into()))?;
            Ok(Some(Sequence { boot: boot.to_owned(), seq }))
        }
        _ => Err(ApiError::BadRequest(
            "X-Fleetwatch-Boot (the host's boot id) and X-Fleetwatch-Seq (a whole number) go together".into(),
        )),
    }
}
