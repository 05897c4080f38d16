//! The HTTP client of the Fleetwatch API: one method per endpoint, one error type.
//!
//! The API is served by the same origin as this page, so every URL is relative.

use fleetwatch_alerts::SilenceSpec;
use fleetwatch_common::auth::{
    AuditItem, AuthStatus, CreatedToken, LoginRequest, NewToken, NewUser, SetupRequest, TokenInfo, UserInfo,
};
use fleetwatch_common::{
    ErrorBody, HistoryPoint, Overview, Section, SeriesPoint, ServerInfo, TopUser, UiConfig, UserDay,
    percent_encode as encode,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use crate::alert_wire::{AlertItem, ChannelItem, HistoryItem, SilenceItem};
use crate::perf;

/// The most points a chart asks for per series.
pub const MAX_POINTS: u32 = 1000;
/// The most users `/api/users/top` returns.
pub const MAX_USERS: u32 = 1000;
/// The most transitions `/api/alerts/history` returns (its newest).
pub const MAX_HISTORY: i64 = 1000;

/// The header every change carries: the API refuses a change made with the session cookie
/// without it (another site's page cannot send it).
pub const CSRF_HEADER: &str = "x-fleetwatch-csrf";

fn post(url: &str) -> RequestBuilder {
    Request::post(url).header(CSRF_HEADER, "1")
}

fn delete(url: &str) -> RequestBuilder {
    Request::delete(url).header(CSRF_HEADER, "1")
}

/// Why an API call failed, in words fit for the page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The request never got an answer (server down, network gone).
    #[error("cannot reach the Fleetwatch server: {0}")]
    Network(String),
    /// The API answered with its own error body.
    #[error("{message} ({code}, HTTP {status})")]
    Api { status: u16, code: String, message: String },
    /// An error status without the API's error body (a proxy in between, say).
    #[error("HTTP {status} {status_text}")]
    Http { status: u16, status_text: String },
    /// A success status whose body is not what this page expects.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { status: 404, .. } | Self::Http { status: 404, .. })
    }
}

/// The client of `/api`. Cheap to copy; holds only the base path.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    base: &'static str,
}

impl Default for Client {
    fn default() -> Self {
        Self { base: "/api" }
    }
}

impl Client {
    /// `GET /api/servers`: every configured server with its status and latest sample.
    pub async fn servers(&self) -> Result<Vec<ServerInfo>, ApiError> {
        let body = self.get_body("/servers").await?;
        perf::mark("fw:servers-received");
        decode(&body)
    }

    /// `GET /api/system/overview`.
    pub async fn overview(&self) -> Result<Overview, ApiError> {
        self.get_json("/system/overview").await
    }

    /// `GET /api/ui-config`.
    pub async fn ui_config(&self) -> Result<UiConfig, ApiError> {
        self.get_json("/ui-config").await
    }

    /// `GET /api/users/top?server=&tag=&limit=`; empty filters are left out.
    pub async fn top_users(&self, server: &str, tag: &str, limit: u32) -> Result<Vec<TopUser>, ApiError> {
        let limit = limit.min(MAX_USERS).to_string();
        self.get_json(&format!("/users/top{}", query(&[("server", server), ("tag", tag), ("limit", &limit)]))).await
    }

    /// `GET /api/servers/{name}/metrics/series`: the names of the server's stored series.
    pub async fn series_names(&self, server: &str) -> Result<Vec<String>, ApiError> {
        self.get_json(&format!("/servers/{}/metrics/series", encode(server))).await
    }

    /// `GET /api/servers/{name}/metrics/series?name=&from=&to=&max_points=`, times in epoch ms.
    pub async fn series(
        &self,
        server: &str,
        name: &str,
        from_ms: f64,
        to_ms: f64,
    ) -> Result<Vec<SeriesPoint>, ApiError> {
        let (from, to, max) = (iso(from_ms), iso(to_ms), MAX_POINTS.to_string());
        let q = query(&[("name", name), ("from", &from), ("to", &to), ("max_points", &max)]);
        self.get_json(&format!("/servers/{}/metrics/series{q}", encode(server))).await
    }

    /// `GET /api/users/{user}/history?from=&to=`: the user's days on every server, times in
    /// epoch ms.
    pub async fn user_history(&self, user: &str, from_ms: f64, to_ms: f64) -> Result<Vec<UserDay>, ApiError> {
        let (from, to) = (iso(from_ms), iso(to_ms));
        self.get_json(&format!("/users/{}/history{}", encode(user), query(&[("from", &from), ("to", &to)]))).await
    }

    /// `GET /api/servers/{name}/metrics/range?from=&to=&max_points=`, times in epoch ms.
    pub async fn history(&self, server: &str, from_ms: f64, to_ms: f64) -> Result<Vec<HistoryPoint>, ApiError> {
        let (from, to) = (iso(from_ms), iso(to_ms));
        let max = MAX_POINTS.to_string();
        let q = query(&[("from", &from), ("to", &to), ("max_points", &max)]);
        self.get_json(&format!("/servers/{}/metrics/range{q}", encode(server))).await
    }

    /// `GET /api/servers/{name}/{section}` (processes, disks, network, sessions, containers):
    /// `Ok(None)` when the API has nothing for it (404: not collected, or not available there).
    /// `GET /api/servers/{server}/{section}?at=`: the latest snapshot, or the one stored at or
    /// before `at` (RFC 3339; `""` for the latest). `None` when there is none.
    pub async fn section<T: DeserializeOwned>(
        &self,
        server: &str,
        section: &str,
        at: &str,
    ) -> Result<Option<Section<T>>, ApiError> {
        match self.get_json(&format!("/servers/{}/{section}{}", encode(server), query(&[("at", at)]))).await {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /api/alerts`: every pending and firing alert (the page filters them itself, so the
    /// tab's count and the cards see them all).
    pub async fn alerts(&self) -> Result<Vec<AlertItem>, ApiError> {
        self.get_json("/alerts").await
    }

    /// `GET /api/alerts/history?from=&to=&server=`, times in epoch ms; newest first.
    pub async fn alert_history(&self, from_ms: f64, to_ms: f64, server: &str) -> Result<Vec<HistoryItem>, ApiError> {
        let (from, to) = (iso(from_ms), iso(to_ms));
        self.get_json(&format!("/alerts/history{}", query(&[("from", &from), ("to", &to), ("server", server)]))).await
    }

    /// `POST /api/alerts/{server}/{rule}[/{instance}]/ack` with `{"by", "comment"}` (the comment
    /// only when there is one).
    pub async fn acknowledge(&self, server: &str, rule: &str, instance: &str, comment: &str) -> Result<(), ApiError> {
        let body = AckBody { by: ACK_BY, comment: Some(comment.trim()).filter(|c| !c.is_empty()) };
        let request = post(&self.url(&ack_path(server, rule, instance))).json(&body);
        self.send(request).await.map(drop)
    }

    /// `GET /api/silences`: oldest first, expired ones included.
    pub async fn silences(&self) -> Result<Vec<SilenceItem>, ApiError> {
        self.get_json("/silences").await
    }

    /// `POST /api/silences`: the stored silence.
    pub async fn create_silence(&self, spec: &SilenceSpec) -> Result<SilenceItem, ApiError> {
        let response = self.send(post(&self.url("/silences")).json(spec)).await?;
        decode(&response.binary().await.map_err(|e| ApiError::Network(e.to_string()))?)
    }

    /// `DELETE /api/silences/{id}`.
    pub async fn delete_silence(&self, id: i64) -> Result<(), ApiError> {
        self.send(delete(&self.url(&format!("/silences/{id}"))).build()).await.map(drop)
    }

    /// `GET /api/alerts/channels`: each channel's last delivery result.
    pub async fn channels(&self) -> Result<Vec<ChannelItem>, ApiError> {
        self.get_json("/alerts/channels").await
    }

    /// `GET /api/auth/me`: whether login is asked, and who this page is logged in as.
    pub async fn auth_status(&self) -> Result<AuthStatus, ApiError> {
        self.get_json("/auth/me").await
    }

    /// `POST /api/auth/login`: the session cookie comes with the answer.
    pub async fn login(&self, name: &str, password: &str) -> Result<AuthStatus, ApiError> {
        let body = LoginRequest { name: name.to_owned(), password: password.to_owned() };
        self.post_json("/auth/login", &body).await
    }

    /// `POST /api/auth/setup`: the first admin, logged in at once.
    pub async fn setup(&self, token: &str, name: &str, password: &str) -> Result<AuthStatus, ApiError> {
        let body = SetupRequest { token: token.to_owned(), name: name.to_owned(), password: password.to_owned() };
        self.post_json("/auth/setup", &body).await
    }

    /// `POST /api/auth/logout`.
    pub async fn logout(&self) -> Result<(), ApiError> {
        self.send(post(&self.url("/auth/logout")).build()).await.map(drop)
    }

    /// `GET /api/auth/users` (admins).
    pub async fn users(&self) -> Result<Vec<UserInfo>, ApiError> {
        self.get_json("/auth/users").await
    }

    /// `POST /api/auth/users`.
    pub async fn add_user(&self, user: &NewUser) -> Result<UserInfo, ApiError> {
        self.post_json("/auth/users", user).await
    }

    /// `DELETE /api/auth/users/{name}`.
    pub async fn remove_user(&self, name: &str) -> Result<(), ApiError> {
        self.send(delete(&self.url(&format!("/auth/users/{}", encode(name)))).build()).await.map(drop)
    }

    /// `GET /api/auth/tokens` (admins): without secrets.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, ApiError> {
        self.get_json("/auth/tokens").await
    }

    /// `POST /api/auth/tokens`: the answer holds the secret, shown once.
    pub async fn create_token(&self, token: &NewToken) -> Result<CreatedToken, ApiError> {
        self.post_json("/auth/tokens", token).await
    }

    /// `DELETE /api/auth/tokens/{id}`.
    pub async fn revoke_token(&self, id: i64) -> Result<(), ApiError> {
        self.send(delete(&self.url(&format!("/auth/tokens/{id}"))).build()).await.map(drop)
    }

    /// `GET /api/auth/audit` (admins): newest first.
    pub async fn audit(&self) -> Result<Vec<AuditItem>, ApiError> {
        self.get_json("/auth/audit?limit=200").await
    }

    async fn post_json<B: serde::Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        let response = self.send(post(&self.url(path)).json(body)).await?;
        decode(&response.binary().await.map_err(|e| ApiError::Network(e.to_string()))?)
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        decode(&self.get_body(path).await?)
    }

    /// The body of a successful answer, as bytes: decoding them in place skips turning them into
    /// a JavaScript string and back (a tenth of the decoding time of `/api/servers`).
    async fn get_body(&self, path: &str) -> Result<Vec<u8>, ApiError> {
        let request = Request::get(&self.url(path)).header("Accept", "application/json").build();
        let response = self.send(request).await?;
        response.binary().await.map_err(|e| ApiError::Network(e.to_string()))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request; an error status becomes the [`ApiError`] its body tells.
    async fn send(&self, request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
        let response = request
            .map_err(|e| ApiError::Network(e.to_string()))?
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        if response.status() == 401 && !response.url().contains("/api/auth/") {
            // The session ended (idle, expired, password changed): the page asks for a login.
            if let Some(window) = web_sys::window()
                && let Err(e) = window.location().reload()
            {
                leptos::logging::warn!("cannot reload after the session ended: {e:?}");
            }
        }
        if response.ok() { Ok(response) } else { Err(error_from(response).await) }
    }
}

/// Who the API records as acknowledging an alert made on this page.
const ACK_BY: &str = "dashboard";

#[derive(serde::Serialize)]
struct AckBody<'a> {
    by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
}

/// The acknowledgement path of an alert; a rule with one alert per server has no instance.
pub fn ack_path(server: &str, rule: &str, instance: &str) -> String {
    let base = format!("/alerts/{}/{}", encode(server), encode(rule));
    if instance.is_empty() { format!("{base}/ack") } else { format!("{base}/{}/ack", encode(instance)) }
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// The link of the users workbook with the Users tab's filters.
pub fn users_export_url(format: &str, server: &str, tag: &str, q: &str) -> String {
    format!("/api/export/users.{format}{}", query(&[("server", server), ("tag", tag), ("q", q)]))
}

/// The page of one user's activity across the fleet.
pub fn user_href(name: &str) -> String {
    format!("/users/{}", encode(name))
}

/// The link of the users workbook over a time range (epoch ms), searched for one user name.
pub fn user_export_url(format: &str, user: &str, from_ms: f64, to_ms: f64) -> String {
    format!("/api/export/users.{format}{}", query(&[("q", user), ("from", &iso(from_ms)), ("to", &iso(to_ms))]))
}

/// The link of a server's metrics workbook over a time range (epoch ms).
pub fn metrics_export_url(format: &str, server: &str, from_ms: f64, to_ms: f64) -> String {
    format!(
        "/api/export/metrics.{format}{}",
        query(&[("server", server), ("from", &iso(from_ms)), ("to", &iso(to_ms))])
    )
}

/// The page of one server.
pub fn server_href(name: &str) -> String {
    format!("/servers/{}", encode(name))
}

/// `?a=1&b=2` from the non-empty pairs, values percent-encoded; `""` when all are empty.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> =
        pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", encode(v))).collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

/// RFC 3339 in UTC with milliseconds, from epoch ms: a moment picked on a chart, exact enough
/// to fall between two cycles a second apart.
pub fn iso_ms(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// RFC 3339 in UTC, whole seconds, from epoch ms.
pub fn iso(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    let status_text = response.status_text();
    match response.text().await {
        Ok(body) => error_from_body(status, status_text, &body),
        Err(_) => ApiError::Http { status, status_text },
    }
}

/// Reads the API's [`ErrorBody`] out of a failed response; any other body gives [`ApiError::Http`].
fn error_from_body(status: u16, status_text: String, body: &str) -> ApiError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) => ApiError::Api { status, code: e.details.code, message: e.error },
        Err(_) => ApiError::Http { status, status_text },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_error_body_gives_its_message_and_code() {
        let body = r#"{"success":false,"error":"database unavailable",
            "details":{"code":"STORE_ERROR","timestamp":"2026-11-21T10:00:00Z"}}"#;
        let e = error_from_body(503, "Service Unavailable".into(), body);
        assert_eq!(
            e,
            ApiError::Api { status: 503, code: "STORE_ERROR".into(), message: "database unavailable".into() }
        );
        assert_eq!(e.to_string(), "database unavailable (STORE_ERROR, HTTP 503)");
    }

    #[test]
    fn a_foreign_error_body_gives_the_http_status() {
        let e = error_from_body(502, "Bad Gateway".into(), "<html>nginx</html>");
        assert_eq!(e.to_string(), "HTTP 502 Bad Gateway");
        assert!(error_from_body(404, "Not Found".into(), "").is_not_found());
    }

    #[test]
    fn queries_leave_out_empty_filters_and_encode_values() {
        assert_eq!(query(&[("server", ""), ("tag", "")]), "");
        assert_eq!(
            query(&[("server", "web 1"), ("tag", ""), ("q", "a&b=c/ü")]),
            "?server=web%201&q=a%26b%3Dc%2F%C3%BC"
        );
        assert_eq!(users_export_url("xlsx", "", "prod", ""), "/api/export/users.xlsx?tag=prod");
        assert_eq!(server_href("db/1"), "/servers/db%2F1");
    }

    #[test]
    fn an_acknowledgement_names_the_instance_only_when_there_is_one() {
        assert_eq!(ack_path("web-1", "cpu-high", ""), "/alerts/web-1/cpu-high/ack");
        assert_eq!(ack_path("web-1", "disk", "/var"), "/alerts/web-1/disk/%2Fvar/ack");
        let body = |c| serde_json::to_string(&AckBody { by: ACK_BY, comment: c }).unwrap_or_default();
        assert_eq!(body(None), r#"{"by":"dashboard"}"#);
        assert_eq!(body(Some("on it")), r#"{"by":"dashboard","comment":"on it"}"#);
    }

    #[test]
    fn times_are_sent_as_utc_rfc3339() {
        assert_eq!(iso(1_764_000_000_123.0), "2025-11-24T16:00:00Z");
        assert_eq!(
            metrics_export_url("xlsx", "a", 0.0, 1000.0),
            "/api/export/metrics.xlsx?server=a&from=1970-01-01T00%3A00%3A00Z&to=1970-01-01T00%3A00%3A01Z"
        );
    }
}
