//! `POST /api/servers/{name}/host-key/accept`: trust a server's new host key after it changed.
//! Only the key the collector last saw the server offer can be accepted (the API cannot look
//! itself); the `host-key-changed` alert resolves at the next successful collection.

use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use chrono::Utc;
use fleetwatch_store::{KeyAcceptance, KeyAccepted};
use serde::{Deserialize, Serialize};

use super::{known, who};
use crate::auth::{Auth, Caller};
use crate::error::{ApiError, Result, echo};
use crate::extract::{self, Path};
use crate::fleet::Fleet;

/// The body: the offered key's fingerprint, and optionally who accepts it (default `api`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    pub fingerprint: String,
    #[serde(default)]
    pub by: Option<String>,
}

/// The answer: the key now recorded and the one it replaced.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub server: String,
    pub fingerprint: String,
    pub previous: String,
}

/// `SHA256:` then unpadded base64, as `ssh-keygen -l` prints it.
fn is_fingerprint(fp: &str) -> bool {
    fp.strip_prefix("SHA256:").is_some_and(|b64| {
        (1..=64).contains(&b64.len())
            && b64.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
    })
}

/// 200 with the new and previous fingerprints; 400 for a malformed body, 404 for an unknown
/// server, 409 when no key is recorded or the fingerprint is not the one the collector saw.
#[utoipa::path(
    post,
    path = "/api/servers/{server_name}/host-key/accept",
    tag = "servers",
    params(("server_name" = String, Path, description = "A configured server's name")),
    request_body = AcceptBody,
    responses((status = 200, description = "OK", body = Accepted))
)]
pub async fn accept(
    State(fleet): State<Fleet>,
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    extract::Json(body): extract::Json<AcceptBody>,
) -> Result<Json<Accepted>> {
    known(&fleet, &name)?;
    let fingerprint = body.fingerprint.trim();
    if !is_fingerprint(fingerprint) {
        return Err(ApiError::BadRequest(format!(
            "fingerprint: {:?} is not a SHA256 fingerprint (SHA256:… as ssh-keygen -l prints it)",
            echo(fingerprint)
        )));
    }
    let by = who(&caller, body.by.as_deref())?;
    let acceptance = KeyAcceptance { server: &name, fingerprint, by: &by, at: Utc::now(), only_offered: true };
    match fleet.store().accept_host_key(&acceptance).await? {
        KeyAccepted::Accepted { previous } => {
            tracing::info!(server = %name, fingerprint, previous = %previous, by = %by, "host key accepted");
            auth.audit(&caller, "host_key_accepted", Some(&name), Some(fingerprint.to_owned())).await;
            Ok(Json(Accepted { server: name, fingerprint: fingerprint.to_owned(), previous }))
        }
        KeyAccepted::NothingRecorded => Err(ApiError::Conflict(format!(
            "no host key is recorded for {:?}: the collector trusts the first one it sees",
            echo(&name)
        ))),
        KeyAccepted::NotOffered { offered: None } => {
            Err(ApiError::Conflict(format!("{:?} has not offered a changed host key to the collector", echo(&name))))
        }
        KeyAccepted::NotOffered { offered: Some(offered) } => Err(ApiError::Conflict(format!(
            "the collector last saw {:?} offer {offered}, not {}",
            echo(&name),
            echo(fingerprint)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::is_fingerprint;

    #[test]
    fn fingerprints_look_like_ssh_keygen_s() {
        assert!(is_fingerprint("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"));
        for bad in ["", "SHA256:", "MD5:aa:bb", "uNiVztksCsDhcc0u9e8BujQ", "SHA256:a b", "SHA256:x\"y"] {
            assert!(!is_fingerprint(bad), "{bad:?}");
        }
    }
}
