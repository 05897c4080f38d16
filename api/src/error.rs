//! The one HTTP error type: internal causes are logged in full, the client gets a safe message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use fleetwatch_common::{ErrorBody, ErrorDetails};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// Who is calling is unknown (no session, no token, or one that ended).
    #[error("{0}")]
    Unauthorized(String),
    /// Known, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed attempts; try again after this many seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    #[error("the request body is too large (at most {0} bytes)")]
    PayloadTooLarge(usize),
    /// The request is well formed but the state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// The body was read but holds nothing usable (a push whose output parses to no sample).
    #[error("{0}")]
    Unprocessable(String),
    #[error("database unavailable")]
    Unavailable(#[source] fleetwatch_store::Error),
    #[error("internal error")]
    Store(#[from] fleetwatch_store::Error),
    /// Any other internal failure; the text is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadRequest(_) => "BAD_REQUEST",
            Self::Conflict(_) => "CONFLICT",
            Self::Unprocessable(_) => "UNPROCESSABLE",
            Self::Unauthorized(_) => "UNAUTHORIZED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::TooManyRequests { .. } => "RATE_LIMITED",
            Self::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Store(_) | Self::Internal(_) => "INTERNAL_ERROR",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Store(e) | Self::Unavailable(e) => tracing::error!(error = ?e, "request failed"),
            Self::Internal(e) => tracing::error!(error = %e, "request failed"),
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let body = ErrorBody {
            success: false,
            // `Display` of the store variants is a fixed safe sentence: no SQL, no URL.
            error: self.to_string(),
            details: ErrorDetails { code: self.code().into(), timestamp: Utc::now() },
        };
        let mut response = (self.status_code(), Json(body)).into_response();
        if let Self::TooManyRequests { retry_after_secs, .. } = self {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        } else if let Self::Unauthorized(_) = self {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"fleetwatch\""),
            );
        }
        response
    }
}

/// The largest request body the API reads; a larger one is refused with 413 before it is read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Echoes at most 64 characters of user input back.
pub(crate) fn echo(s: &str) -> String {
    s.chars().take(64).collect()
}
