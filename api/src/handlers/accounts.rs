//! `/api/auth/{users,tokens,audit}`: what admins manage. A token's secret is in the one answer
//! that creates it, and only its digest is kept.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use fleetwatch_common::auth::{AuditItem, CreatedToken, NewToken, NewUser, TokenInfo, UserInfo};
use fleetwatch_store::auth::{
    self as store_auth, TokenRecord, UserRecord, digest, hash_password, new_token_secret, password_problem,
};
use serde::Deserialize;

use crate::auth::{Auth, Caller};
use crate::error::{ApiError, Result, echo};
use crate::extract::{self, Path, Query};
use crate::fleet::Fleet;

/// Longest user or token name, in characters.
pub const MAX_NAME: usize = 64;

/// 1 to [`MAX_NAME`] characters, no control characters, no leading or trailing space.
pub(crate) fn valid_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) || name.trim() != name {
        return Err(ApiError::BadRequest(format!(
            "name: 1 to {MAX_NAME} characters, no control characters, no spaces around it"
        )));
    }
    Ok(())
}

fn user_info(u: UserRecord) -> UserInfo {
    UserInfo { name: u.name, role: u.role, created: u.created, password_changed: u.password_changed }
}

fn token_info(t: TokenRecord) -> TokenInfo {
    TokenInfo {
        id: t.id,
        name: t.name,
        scopes: t.scopes,
        created_by: t.created_by,
        created: t.created,
        expires: t.expires,
        last_used: t.last_used,
        revoked: t.revoked,
        server: t.server,
    }
}

/// `GET /api/auth/users`.
#[utoipa::path(
    get,
    path = "/api/auth/users",
    tag = "accounts",
    responses((status = 200, description = "OK", body = Vec<UserInfo>))
)]
pub async fn users(State(auth): State<Arc<Auth>>) -> Result<Json<Vec<UserInfo>>> {
    Ok(Json(auth.store.users().await?.into_iter().map(user_info).collect()))
}

/// `POST /api/auth/users` `{name, role, password}`: 201; 409 when the name is taken.
#[utoipa::path(
    post,
    path = "/api/auth/users",
    tag = "accounts",
    request_body = NewUser,
    responses((status = 201, description = "Created", body = UserInfo))
)]
pub async fn add_user(
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    extract::Json(req): extract::Json<NewUser>,
) -> Result<(StatusCode, Json<UserInfo>)> {
    valid_name(&req.name)?;
    if let Some(problem) = password_problem(&req.password) {
        return Err(ApiError::BadRequest(problem));
    }
    let password = req.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))??;
    let now = Utc::now();
    let user =
        UserRecord { name: req.name.clone(), role: req.role, password_hash, created: now, password_changed: now };
    auth.store.create_user(&user).await.map_err(conflict)?;
    auth.audit(&caller, "user_added", Some(&req.name), Some(format!("role {}", req.role))).await;
    Ok((StatusCode::CREATED, Json(user_info(user))))
}

/// `DELETE /api/auth/users/{name}`: 204; 404 when unknown, 409 for the last admin.
#[utoipa::path(
    delete,
    path = "/api/auth/users/{name}",
    tag = "accounts",
    params(("name" = String, Path)),
    responses((status = 204, description = "Removed"))
)]
pub async fn remove_user(
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    if !auth.store.delete_user(&name).await.map_err(conflict)? {
        return Err(ApiError::NotFound(format!("no user named {:?}", echo(&name))));
    }
    auth.audit(&caller, "user_removed", Some(&name), None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The store's conflicts (a taken name, the last admin) as 409 with their text.
fn conflict(e: fleetwatch_store::Error) -> ApiError {
    match e {
        fleetwatch_store::Error::Conflict(text) => ApiError::Conflict(text),
        other => ApiError::from(other),
    }
}

/// `GET /api/auth/tokens`: every token, without secrets.
#[utoipa::path(
    get,
    path = "/api/auth/tokens",
    tag = "accounts",
    responses((status = 200, description = "OK", body = Vec<TokenInfo>))
)]
pub async fn tokens(State(auth): State<Arc<Auth>>) -> Result<Json<Vec<TokenInfo>>> {
    Ok(Json(auth.store.tokens().await?.into_iter().map(token_info).collect()))
}

/// Longest token lifetime, in days.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// `POST /api/auth/tokens` `{name, scopes, expires_in_days?}`: 201 with the secret, shown this
/// once.
#[utoipa::path(
    post,
    path = "/api/auth/tokens",
    tag = "accounts",
    request_body = NewToken,
    responses((status = 201, description = "Created; the secret is shown this once", body = CreatedToken))
)]
pub async fn create_token(
    State(auth): State<Arc<Auth>>,
    State(fleet): State<Fleet>,
    Extension(caller): Extension<Caller>,
    extract::Json(req): extract::Json<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>)> {
    valid_name(&req.name)?;
    if req.scopes.is_empty() {
        return Err(ApiError::BadRequest("scopes: at least one of read, ingest, admin".into()));
    }
    if req.expires_in_days.is_some_and(|d| d == 0 || d > MAX_TOKEN_DAYS) {
        return Err(ApiError::BadRequest(format!("expires_in_days: 1 to {MAX_TOKEN_DAYS}")));
    }
    let mut scopes = req.scopes.clone();
    scopes.sort();
    scopes.dedup();
    fleetwatch_common::auth::check_token_binding(&scopes, req.server.as_deref()).map_err(ApiError::BadRequest)?;
    if let Some(name) = &req.server
        && fleet.server(name).map(|m| m.transport) != Some(fleetwatch_common::Transport::Push)
    {
        return Err(ApiError::BadRequest(format!(
            "server: {:?} is not a server with transport = \"push\"",
            echo(name)
        )));
    }
    let secret = new_token_secret()?;
    let created = Utc::now();
    let expires = req.expires_in_days.map(|d| created + chrono::Duration::days(i64::from(d)));
    let created_by = caller.principal.actor();
    let id = auth
        .store
        .create_token(store_auth::NewToken {
            name: &req.name,
            scopes: &scopes,
            secret_hash: &digest(&secret),
            created_by: &created_by,
            created,
            expires,
            server: req.server.as_deref(),
        })
        .await?;
    let words: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let bound = req.server.as_deref().map(|s| format!(", server {s}")).unwrap_or_default();
    auth.audit(&caller, "token_created", Some(&req.name), Some(format!("id {id}, scopes {}{bound}", words.join(","))))
        .await;
    let token = TokenInfo {
        id,
        name: req.name,
        scopes,
        created_by,
        created,
        expires,
        last_used: None,
        revoked: None,
        server: req.server,
    };
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

/// `DELETE /api/auth/tokens/{id}`: revokes it; 204, or 404 when there is no live token `id`.
#[utoipa::path(
    delete,
    path = "/api/auth/tokens/{id}",
    tag = "accounts",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Revoked"))
)]
pub async fn revoke_token(
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    if !auth.store.revoke_token(id, Utc::now()).await? {
        return Err(ApiError::NotFound(format!("no live token {id}")));
    }
    auth.audit(&caller, "token_revoked", Some(&id.to_string()), None).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    #[serde(default)]
    /// How many entries, default 200; read as 1 to 1000 (0 as 1, more as 1000).
    #[param(minimum = 0, maximum = 65535)]
    pub limit: Option<u16>,
}

/// `GET /api/auth/audit?limit=200`: newest first.
#[utoipa::path(
    get,
    path = "/api/auth/audit",
    tag = "accounts",
    params(AuditParams),
    responses((status = 200, description = "Newest first", body = Vec<AuditItem>))
)]
pub async fn audit(State(auth): State<Arc<Auth>>, Query(p): Query<AuditParams>) -> Result<Json<Vec<AuditItem>>> {
    let limit = i64::from(p.limit.unwrap_or(200).clamp(1, 1000));
    let log = auth.store.audit_log(limit).await?;
    Ok(Json(
        log.into_iter()
            .map(|e| AuditItem {
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                target: e.target,
                source: e.source,
                detail: e.detail,
            })
            .collect(),
    ))
}
