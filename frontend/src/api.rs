//! The HTTP client of the Fleetwatch API: one method per endpoint, one error type.
//!
//! The API is served by the same origin as this page, so every URL is relative.

use fleetwatch_common::{ErrorBody, ServerInfo};
use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

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
        self.get_json("/servers").await
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let url = format!("{}{}", self.base, path);
        let response = Request::get(&url)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        if !response.ok() {
            return Err(error_from(response).await);
        }
        response.json::<T>().await.map_err(|e| ApiError::Decode(e.to_string()))
    }
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
    }
}
