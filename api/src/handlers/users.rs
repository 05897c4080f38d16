//! `/api/users/top`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use fleetwatch_common::TopUser;

use crate::error::{ApiError, Result};
use crate::state::AppState;

pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 1000;

/// `GET /api/users/top?server=&limit=`: users of the latest samples, highest CPU first.
pub async fn top(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<TopUser>>> {
    let server = q.get("server").map(String::as_str).filter(|s| !s.is_empty());
    if let Some(name) = server
        && state.server(name).is_none()
    {
        return Err(ApiError::NotFound(format!("no server named {:?}", name.chars().take(64).collect::<String>())));
    }
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be a whole number from 1 to {MAX_LIMIT}")))?,
    };
    let mut users = state.store.top_users(server, MAX_LIMIT).await?;
    users.retain(|u| state.server(&u.server_name).is_some());
    users.truncate(limit as usize);
    Ok(Json(users))
}
