//! User activity over time: `GET /api/users/{user}/history` (per server per UTC day) and
//! `GET /api/users/top?from=&to=` (each user's totals over a window), from the store's user
//! days; the users export's activity sheets read the same.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use fleetwatch_common::user_activity::totals;
use fleetwatch_common::{UserDay, UserTotal};

use super::known;
use crate::error::Result;
use crate::extract::{Path, Query};
use crate::fleet::Fleet;
use crate::params::{ACTIVITY_DAYS, ServerFilter, UserFilter, Window};

/// `GET /api/users/{user}/history?from=&to=&server=`: one row per server per UTC day of the
/// days from `from`'s through `to`'s (by default the 7 days up to now), oldest first.
#[utoipa::path(
    get,
    path = "/api/users/{user}/history",
    tag = "users",
    params(("user" = String, Path, description = "A user name"), crate::params::ServerFilter, crate::params::Window),
    responses((status = 200, description = "OK", body = Vec<fleetwatch_common::UserDay>))
)]
pub async fn history(
    State(fleet): State<Fleet>,
    Path(user): Path<String>,
    Query(filter): Query<ServerFilter>,
    Query(window): Query<Window>,
) -> Result<Json<Vec<UserDay>>> {
    let (from, to) = window.bounds_or(Duration::days(ACTIVITY_DAYS))?;
    if let Some(name) = &filter.server {
        known(&fleet, name)?;
    }
    let mut days = fleet.store().user_days(Some(user.as_str()), filter.server.as_deref(), from, to).await?;
    days.retain(|d| fleet.server(&d.server_name).is_some());
    Ok(Json(days))
}

/// The user days of the configured servers matching `f`, for the UTC days from `from`'s
/// through `to`'s. A 404 when `f` names a server that is not configured.
pub(crate) async fn days(
    fleet: &Fleet,
    f: &UserFilter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<UserDay>> {
    if let Some(name) = &f.server {
        known(fleet, name)?;
    }
    let q = f.q.as_ref().map(|q| q.to_lowercase());
    let mut days = fleet.store().user_days(None, f.server.as_deref(), from, to).await?;
    days.retain(|d| {
        let Some(meta) = fleet.server(&d.server_name) else { return false };
        let tag_ok = f.tag.as_ref().is_none_or(|t| meta.tags.iter().any(|x| x == t));
        let q_ok = q.as_ref().is_none_or(|q| d.username.to_lowercase().contains(q));
        tag_ok && q_ok
    });
    Ok(days)
}

/// `/api/users/top` with `from` or `to`: each user's totals over the window (its UTC days),
/// most CPU time first, at most `limit`.
pub(crate) async fn top_over(fleet: &Fleet, f: &UserFilter, window: &Window, limit: u32) -> Result<Vec<UserTotal>> {
    let (from, to) = window.bounds()?;
    let mut out = totals(&days(fleet, f, from, to).await?, from, to);
    out.truncate(limit as usize);
    Ok(out)
}
