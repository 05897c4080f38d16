//! Our `Query`, `Path` and `Json` extractors: axum's, with every rejection turned into an [`ApiError`],
//! so a bad parameter gets the one error body and axum's own rejection text never reaches a
//! client. The message names the parameter: `max_points: expected a whole number from 1 to
//! 10000, got "0"` (the readers in `crate::params::de` say what they accept).

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::Uri;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Result, echo};

/// The query string as a `T` (see `crate::params`).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> Query<T> {
    /// Reads the query of `uri`: for a handler that learns from its path which parameters apply.
    pub fn parse(uri: &Uri) -> Result<T> {
        axum::extract::Query::try_from_uri(uri).map(|q| q.0).map_err(query_error)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        Self::parse(&parts.uri).map(Query)
    }
}

fn query_error(e: QueryRejection) -> ApiError {
    // axum's Query reads through `serde_path_to_error`: the cause's text starts with the
    // parameter's name. The rejection's own text would add axum's sentence in front.
    let cause = std::error::Error::source(&e).map(ToString::to_string);
    ApiError::BadRequest(cause.unwrap_or_else(|| "malformed query string".into()))
}

/// The path parameters as a `T`. A value that does not parse is a 400 naming the parameter.
/// (Names of closed sets, such as a section, are parsed by their handler: an unknown one is a 404.)
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(path_error(e.into_kind())),
            // No parameters where the handler expects some: the route table and the handler disagree.
            Err(e) => Err(ApiError::Internal(e.body_text())),
        }
    }
}

fn path_error(kind: ErrorKind) -> ApiError {
    let message = match kind {
        ErrorKind::DeserializeError { key, message, .. } => format!("{key}: {message}"),
        ErrorKind::ParseErrorAtKey { key, value, expected_type } => {
            format!("{key}: expected {expected_type}, got {:?}", echo(&value))
        }
        ErrorKind::ParseErrorAtIndex { value, expected_type, .. } | ErrorKind::ParseError { value, expected_type } => {
            format!("expected {expected_type} in the path, got {:?}", echo(&value))
        }
        ErrorKind::InvalidUtf8InPathParam { key } => format!("{key}: not UTF-8"),
        ErrorKind::Message(message) => message,
        // The handler's type does not fit its route: a bug of ours, logged, never shown.
        other => return ApiError::Internal(other.to_string()),
    };
    ApiError::BadRequest(message)
}

/// A JSON request body as a `T`. A body that does not parse is a 400 naming the field
/// (`end: premature end of input`), never axum's rejection text.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> Json<T> {
    /// Reads `bytes` as JSON, whatever the content type: for an optional body.
    pub fn parse(bytes: &[u8]) -> Result<T> {
        axum::Json::from_bytes(bytes).map(|j| j.0).map_err(json_error)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        axum::Json::from_request(req, state).await.map(|j| Json(j.0)).map_err(json_error)
    }
}

fn json_error(e: JsonRejection) -> ApiError {
    match e {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::BadRequest("expected a JSON body (Content-Type: application/json)".into())
        }
        JsonRejection::JsonDataError(_) | JsonRejection::JsonSyntaxError(_) => {
            // As for Query: the cause (serde_path_to_error's) starts with the field's path.
            let cause = std::error::Error::source(&e).map(ToString::to_string);
            ApiError::BadRequest(cause.unwrap_or_else(|| "malformed JSON body".into()))
        }
        other if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(crate::error::MAX_BODY_BYTES)
        }
        // The body could not be read (connection lost).
        other => ApiError::BadRequest(format!("unreadable body: {}", other.status())),
    }
}
