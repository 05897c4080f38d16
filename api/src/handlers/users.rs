//! `/api/users/top`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use fleetwatch_common::TopUser;

use crate::error::{ApiError, Result};
use crate::state::AppState;

pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 1000;

/// Which users to list: the same filters serve the table and its export.
#[derive(Debug, Default)]
pub(crate) struct UserFilter {
    pub server: Option<String>,
    pub tag: Option<String>,
    /// A case-insensitive substring of the user name.
    pub q: Option<String>,
}

impl UserFilter {
    pub(crate) fn from_query(state: &AppState, q: &HashMap<String, String>) -> Result<Self> {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let server = get("server");
        if let Some(name) = &server {
            super::known(state, name)?;
        }
        Ok(Self { server, tag: get("tag"), q: get("q").map(|s| s.to_lowercase()) })
    }
}

/// Users of the latest samples of the configured servers matching `f`, highest CPU first.
pub(crate) async fn filtered(state: &AppState, f: &UserFilter, limit: usize) -> Result<Vec<TopUser>> {
    let mut users = state.store.top_users(f.server.as_deref(), MAX_LIMIT * 10).await?;
    users.retain(|u| {
        let Some(meta) = state.server(&u.server_name) else { return false };
        let tag_ok = f.tag.as_ref().is_none_or(|t| meta.tags.iter().any(|x| x == t));
        let q_ok = f.q.as_ref().is_none_or(|q| u.username.to_lowercase().contains(q));
        tag_ok && q_ok
    });
    users.truncate(limit);
    Ok(users)
}

/// `GET /api/users/top?server=&tag=&q=&limit=`: users of the latest samples, highest CPU first.
pub async fn top(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<TopUser>>> {
    let filter = UserFilter::from_query(&state, &q)?;
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be a whole number from 1 to {MAX_LIMIT}")))?,
    };
    Ok(Json(filtered(&state, &filter, limit as usize).await?))
}
