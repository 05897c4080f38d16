//! `/api/auth/{me,login,logout,setup,password}`: sessions. Failed logins are counted per address
//! and per name (429 past the limit), logged and audited without the password.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use fleetwatch_common::auth::{AuthMode, AuthStatus, LoginRequest, Me, PasswordChange, Role, SetupRequest};
use fleetwatch_store::auth::{
    NewSession, UserRecord, decoy_hash, digest, hash_password, password_problem, random_hex, verify_password,
};

use super::accounts::valid_name;
use crate::auth::{Auth, Caller, Principal, clear_cookie, session_cookie};
use crate::error::{ApiError, Result};
use crate::extract;

/// `GET /api/auth/me`: whether login is asked, and who is calling.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(()),
    responses((status = 200, description = "OK", body = AuthStatus))
)]
pub async fn me(State(auth): State<Arc<Auth>>, Extension(caller): Extension<Caller>) -> Result<Json<AuthStatus>> {
    Ok(Json(AuthStatus { auth: auth.mode().await?, user: caller.principal.me() }))
}

/// `POST /api/auth/login` `{name, password}`: a session cookie and the status; 401 for a wrong
/// name or password (the same answer for both), 429 after too many failures.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    security(()),
    responses((status = 200, description = "Logged in: the session cookie is set", body = AuthStatus))
)]
pub async fn login(
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    extract::Json(req): extract::Json<LoginRequest>,
) -> Result<Response> {
    let now = Instant::now();
    if let Some(wait) = auth.limiter.blocked(&caller.address, &req.name, now) {
        tracing::warn!(user = %req.name, from = %caller.address, "login refused: too many failures");
        return Err(ApiError::TooManyRequests {
            message: format!("too many failed logins: try again in {wait} s"),
            retry_after_secs: wait,
        });
    }
    let user = auth.store.user(&req.name).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| decoy_hash().clone());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(format!("password check failed: {e}")))?;
    let Some(user) = user.filter(|_| ok) else {
        auth.limiter.failed(&caller.address, &req.name, now);
        tracing::warn!(user = %req.name, from = %caller.address, "login failed");
        auth.audit_as(req.name.chars().take(100).collect(), &caller, "login_failed", None, None).await;
        return Err(ApiError::Unauthorized("wrong name or password".into()));
    };
    auth.limiter.succeeded(&user.name);
    // Ended sessions go now and then: at each login is often enough.
    if let Err(e) = auth.store.purge_sessions(Utc::now()).await {
        tracing::warn!(error = ?e, "cannot delete ended sessions");
    }
    let principal = Principal::User { name: user.name.clone(), role: user.role };
    let response = open_session(&auth, &caller, &user.name, user.role).await?;
    tracing::info!(user = %user.name, from = %caller.address, "login");
    auth.audit(&Caller { principal, ..caller }, "login", None, None).await;
    Ok(response)
}

/// A new session for `name`: its cookie and the status, as the answer.
async fn open_session(auth: &Auth, caller: &Caller, name: &str, role: Role) -> Result<Response> {
    let id = random_hex()?;
    let max = auth.session_max();
    let session =
        NewSession { id_hash: &digest(&id), user: name, now: Utc::now(), idle: auth.session_idle(), absolute: max };
    auth.store.create_session(session).await?;
    let status =
        AuthStatus { auth: AuthMode::Required, user: Some(Me { name: name.to_owned(), role, via: "session".into() }) };
    let cookie = session_cookie(&id, max.num_seconds(), caller.https);
    Ok(([(header::SET_COOKIE, cookie)], Json(status)).into_response())
}

/// `POST /api/auth/logout`: ends the session (if any) and clears the cookie; 204.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    security(()),
    responses((status = 204, description = "Logged out: the cookie is cleared"))
)]
pub async fn logout(State(auth): State<Arc<Auth>>, Extension(caller): Extension<Caller>) -> Result<Response> {
    if let Some(hash) = &caller.session_hash
        && auth.store.delete_session(hash).await?
    {
        auth.audit(&caller, "logout", None, None).await;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_cookie(caller.https))]).into_response())
}

/// `POST /api/auth/setup` `{token, name, password}`: the first admin, with the one-time token
/// of the setup link; logged in at once. 409 once a user exists, 401 for a wrong or used token.
#[utoipa::path(
    post,
    path = "/api/auth/setup",
    tag = "auth",
    request_body = SetupRequest,
    security(()),
    responses((status = 200, description = "The first admin, logged in", body = AuthStatus))
)]
pub async fn setup(
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    extract::Json(req): extract::Json<SetupRequest>,
) -> Result<Response> {
    if auth.mode().await? != AuthMode::Setup {
        return Err(ApiError::Conflict("setup is done: log in instead".into()));
    }
    valid_name(&req.name)?;
    if let Some(problem) = password_problem(&req.password) {
        return Err(ApiError::BadRequest(problem));
    }
    if !auth.setup.redeem(&req.token) {
        tracing::warn!(from = %caller.address, "setup refused: wrong, used or expired setup token");
        return Err(ApiError::Unauthorized(
            "this setup link is wrong, used or expired: restart Fleetwatch for a new one, or use `fleetwatch user add`"
                .into(),
        ));
    }
    let now = Utc::now();
    let password = req.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))??;
    let user =
        UserRecord { name: req.name.clone(), role: Role::Admin, password_hash, created: now, password_changed: now };
    auth.store.create_user(&user).await?;
    tracing::info!(user = %req.name, from = %caller.address, "first admin created through the setup link");
    let admin = Caller { principal: Principal::User { name: req.name.clone(), role: Role::Admin }, ..caller };
    auth.audit(&admin, "user_added", Some(&req.name), Some("first admin, through the setup link".into())).await;
    open_session(&auth, &admin, &req.name, Role::Admin).await
}

/// `POST /api/auth/password` `{current, new}`: one's own password. Every session of the user
/// ends; this browser gets a new one.
#[utoipa::path(
    post,
    path = "/api/auth/password",
    tag = "auth",
    request_body = PasswordChange,
    responses((status = 204, description = "Changed; other sessions ended"))
)]
pub async fn password(
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    extract::Json(req): extract::Json<PasswordChange>,
) -> Result<Response> {
    let Principal::User { name, role } = &caller.principal else {
        return Err(ApiError::Forbidden("only a logged-in user can change their password".into()));
    };
    if let Some(problem) = password_problem(&req.new) {
        return Err(ApiError::BadRequest(problem));
    }
    let user = auth.store.user(name).await?.ok_or_else(|| ApiError::Unauthorized("no such user".into()))?;
    let (current, new) = (req.current, req.new);
    let stored = user.password_hash;
    let hashed = tokio::task::spawn_blocking(move || verify_password(&current, &stored).then(|| hash_password(&new)))
        .await
        .map_err(|e| ApiError::Internal(format!("password check failed: {e}")))?;
    let Some(hash) = hashed else {
        auth.audit(&caller, "password_change_failed", Some(name), None).await;
        return Err(ApiError::Forbidden("the current password is wrong".into()));
    };
    auth.store.set_password(name, &hash?, Utc::now()).await?;
    auth.audit(&caller, "password_changed", Some(name), None).await;
    open_session(&auth, &caller, name, *role).await
}
