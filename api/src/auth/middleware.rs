//! The gate in front of `/api/…` and `/metrics`: finds who is calling (an `Authorization:
//! Bearer` token, else the session cookie), refuses what their role or scopes do not allow, and
//! guards cookie-authenticated changes against cross-site requests (a custom header no other
//! site can send without CORS, which stays closed, and an `Origin` that must be ours). The
//! dashboard's static files and the health probes pass untouched: they hold no data.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use fleetwatch_common::auth::AuthMode;
use fleetwatch_store::auth::{TOKEN_PREFIX, digest};

use super::Auth;
use super::caller::{Caller, Level, Principal};
use super::cookie::session_id;
use crate::error::{ApiError, Result};

/// The header every state-changing request with a session cookie must carry (the dashboard
/// sends it). A page of another site cannot add it without a CORS preflight, which the API
/// never grants.
pub const CSRF_HEADER: &str = "x-fleetwatch-csrf";
pub const CSRF_VALUE: &str = "1";

/// Answered to everyone (each checks what it needs itself).
const PUBLIC: &[&str] =
    &["/api/health", "/api/openapi.json", "/api/auth/me", "/api/auth/login", "/api/auth/logout", "/api/auth/setup"];

pub async fn require(State(auth): State<Arc<Auth>>, mut req: Request, next: Next) -> Response {
    // Logout, password, users, tokens, setup: credentials may change, so none is taken from
    // memory after this (`recent.rs`).
    let changes_credentials = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && req.uri().path().starts_with("/api/auth/");
    let response = match check(&auth, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    };
    if changes_credentials {
        auth.forget_credentials();
    }
    response
}

async fn check(auth: &Auth, req: &mut Request) -> Result<()> {
    let path = req.uri().path().to_owned();
    if !(path == "/api" || path.starts_with("/api/") || path == "/metrics") {
        return Ok(());
    }
    let mode = auth.mode().await?;
    let headers = req.headers();
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v == "https");
    let address = client_address(req);
    let (principal, session_hash) = identify(auth, req.headers(), mode).await?;
    let by_cookie = session_hash.is_some();
    let caller = Caller { principal: principal.clone(), address, session_hash, https };
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let csrf_checked = !matches!(principal, Principal::Token { .. }) && (by_cookie || PUBLIC.contains(&path.as_str()));
    if changes && csrf_checked && mode != AuthMode::Open {
        same_origin(req.headers())?;
    }
    req.extensions_mut().insert(caller);
    if PUBLIC.contains(&path.as_str()) {
        return Ok(());
    }
    if mode == AuthMode::Setup {
        return Err(ApiError::Unauthorized(
            "Fleetwatch has no user yet: open the setup link from the server's log to create the first admin".into(),
        ));
    }
    if principal == Principal::Anonymous {
        return Err(ApiError::Unauthorized("log in first, or send an API token (Authorization: Bearer …)".into()));
    }
    let level = level(req.method(), &path);
    if !principal.may(level) {
        if level == Level::Ingest {
            return Err(ApiError::Forbidden(format!(
                "{} may not push: only a token with the ingest scope, bound to its server, may",
                principal.actor()
            )));
        }
        return Err(ApiError::Forbidden(format!("{} may not do this: it needs {level:?} rights", principal.actor())));
    }
    Ok(())
}

/// What a request needs.
fn level(method: &Method, path: &str) -> Level {
    if *method == Method::POST && crate::ingest::PATHS.contains(&path) {
        return Level::Ingest;
    }
    let admin = ["/api/auth/users", "/api/auth/tokens", "/api/auth/audit"];
    if admin.iter().any(|p| path == *p || path.starts_with(&format!("{p}/"))) || path.ends_with("/host-key/accept") {
        Level::Admin
    } else if matches!(*method, Method::GET | Method::HEAD) || path == "/api/auth/password" {
        // Any logged-in user may change their own password.
        Level::Read
    } else {
        Level::Operate
    }
}

/// The token of `Authorization: Bearer`, else the session of the cookie; anonymous without
/// either (open in open mode). A token that is unknown, revoked or expired is refused (401); a
/// session cookie that ended counts as none.
async fn identify(auth: &Auth, headers: &HeaderMap, mode: AuthMode) -> Result<(Principal, Option<String>)> {
    let now = Utc::now();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default();
        let secret = text.strip_prefix("Bearer ").map(str::trim).filter(|s| s.starts_with(TOKEN_PREFIX));
        let Some(secret) = secret else {
            return Err(ApiError::Unauthorized("Authorization must be \"Bearer fwt_…\" (an API token)".into()));
        };
        let key = digest(secret);
        let token = auth.tokens.get_or_ask(key.clone(), now, |t| t.expires, || auth.store.use_token(&key, now)).await?;
        return match token {
            Some(t) => Ok((Principal::Token { name: t.name, scopes: t.scopes, server: t.server }, None)),
            None => Err(ApiError::Unauthorized("unknown, revoked or expired API token".into())),
        };
    }
    if mode != AuthMode::Open
        && let Some(id) = session_id(headers)
    {
        let hash = digest(&id);
        let ask = || auth.store.session(&hash, now, auth.session_idle());
        if let Some(user) = auth.sessions.get_or_ask(hash.clone(), now, |u| Some(u.expires), ask).await? {
            return Ok((Principal::User { name: user.name, role: user.role }, Some(hash)));
        }
    }
    Ok((if mode == AuthMode::Open { Principal::Open } else { Principal::Anonymous }, None))
}

/// The CSRF guard: the custom header, and an `Origin` (when the browser sends one) naming the
/// host the request was sent to.
fn same_origin(headers: &HeaderMap) -> Result<()> {
    if headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some(CSRF_VALUE) {
        return Err(ApiError::Forbidden(format!("a change needs the header {CSRF_HEADER}: {CSRF_VALUE}")));
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if origin_host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
        return Err(ApiError::Forbidden("cross-site request refused (Origin is not this site)".into()));
    }
    Ok(())
}

/// The peer's address, or nginx's `X-Real-IP` when the peer is a proxy on this host or a
/// private network (the compose stack).
fn client_address(req: &Request) -> String {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let local = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local(),
    };
    let forwarded =
        req.headers().get("x-real-ip").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<IpAddr>().ok());
    match (peer, forwarded) {
        (Some(p), Some(f)) if local(p) => f.to_string(),
        (Some(p), _) => p.to_string(),
        (None, _) => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn levels_follow_the_path_and_method() {
        assert_eq!(level(&Method::GET, "/api/servers"), Level::Read);
        assert_eq!(level(&Method::GET, "/metrics"), Level::Read);
        assert_eq!(level(&Method::POST, "/api/silences"), Level::Operate);
        assert_eq!(level(&Method::DELETE, "/api/silences/3"), Level::Operate);
        assert_eq!(level(&Method::GET, "/api/auth/users"), Level::Admin);
        assert_eq!(level(&Method::GET, "/api/auth/tokens"), Level::Admin);
        assert_eq!(level(&Method::DELETE, "/api/auth/tokens/4"), Level::Admin);
        assert_eq!(level(&Method::POST, "/api/servers/a/host-key/accept"), Level::Admin);
        assert_eq!(level(&Method::GET, "/api/auth/usersx"), Level::Read);
        assert_eq!(level(&Method::POST, "/api/auth/password"), Level::Read);
        assert_eq!(level(&Method::POST, "/api/ingest"), Level::Ingest);
        assert_eq!(level(&Method::POST, "/api/metrics"), Level::Ingest);
        assert_eq!(level(&Method::GET, "/api/metrics/cpu"), Level::Read);
    }

    #[test]
    fn changes_need_the_header_and_our_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("mon.example:8080"));
        assert!(same_origin(&h).is_err(), "no custom header");
        h.insert(CSRF_HEADER, HeaderValue::from_static("1"));
        assert!(same_origin(&h).is_ok(), "no Origin: not a browser's cross-site request");
        h.insert(header::ORIGIN, HeaderValue::from_static("http://mon.example:8080"));
        assert!(same_origin(&h).is_ok());
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(same_origin(&h).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(same_origin(&h).is_err());
    }
}
