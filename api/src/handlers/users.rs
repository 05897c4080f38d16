//! `/api/users/top`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fleetwatch_common::TopUser;

use super::known;
use crate::error::Result;
use crate::extract::Query;
use crate::fleet::Fleet;
use crate::params::{Limit, MAX_LIMIT, UserFilter, Window};

/// `GET /api/users/top?server=&tag=&q=&limit=`: users of the latest samples, highest CPU first.
/// With `from` or `to`: each user's totals over that window instead (`super::activity`).
#[utoipa::path(
    get,
    path = "/api/users/top",
    tag = "users",
    params(crate::params::UserFilter, crate::params::Limit, crate::params::Window),
    responses((status = 200, description = "The latest users, or with `from`/`to` their totals over the window", body = crate::schemas::TopUsersAnswer))
)]
pub async fn top(
    State(fleet): State<Fleet>,
    Query(filter): Query<UserFilter>,
    Query(Limit { limit }): Query<Limit>,
    Query(window): Query<Window>,
) -> Result<Response> {
    if window.given() {
        return Ok(Json(super::activity::top_over(&fleet, &filter, &window, limit.0).await?).into_response());
    }
    Ok(Json(filtered(&fleet, &filter, limit.0).await?).into_response())
}

/// Users of the latest samples of the configured servers matching `f`, highest CPU first, at
/// most `limit`. A 404 when `f` names a server that is not configured.
pub(crate) async fn filtered(fleet: &Fleet, f: &UserFilter, limit: u32) -> Result<Vec<TopUser>> {
    if let Some(name) = &f.server {
        known(fleet, name)?;
    }
    let q = f.q.as_ref().map(|q| q.to_lowercase());
    let mut users = fleet.store().top_users(f.server.as_deref(), i64::from(MAX_LIMIT) * 10).await?;
    users.retain(|u| {
        let Some(meta) = fleet.server(&u.server_name) else { return false };
        let tag_ok = f.tag.as_ref().is_none_or(|t| meta.tags.iter().any(|x| x == t));
        let q_ok = q.as_ref().is_none_or(|q| u.username.to_lowercase().contains(q));
        tag_ok && q_ok
    });
    users.truncate(limit as usize);
    Ok(users)
}
