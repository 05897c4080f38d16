//! Handlers grouped by resource.

pub mod events;
pub mod export;
pub mod health;
pub mod sections;
pub mod servers;
pub mod system;
pub mod ui;
pub mod users;

use std::collections::HashMap;

use chrono::Utc;
use fleetwatch_common::{Sample, ServerStatus};

use crate::error::{ApiError, Result};
use crate::state::AppState;
use crate::status::evaluate;

/// The status and latest sample of every configured server, in configuration order.
pub(crate) async fn fleet(state: &AppState) -> Result<Vec<(ServerStatus, Option<Sample>)>> {
    let (states, latest) = tokio::try_join!(state.store.server_states(), state.store.latest_samples())?;
    let states: HashMap<_, _> = states.into_iter().map(|s| (s.server_name.clone(), s)).collect();
    let mut latest: HashMap<_, _> = latest.into_iter().map(|s| (s.server_name.clone(), s)).collect();
    let now = Utc::now();
    Ok(state
        .servers
        .iter()
        .map(|m| {
            let sample = latest.remove(&m.name);
            let st = evaluate(&m.name, states.get(&m.name), sample.as_ref(), &state.thresholds, state.stale_after, now);
            (st, sample)
        })
        .collect())
}

/// 404 unless `name` is a configured server.
pub(crate) fn known(state: &AppState, name: &str) -> Result<()> {
    match state.server(name) {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("no server named {:?}", truncate(name)))),
    }
}

/// Echoes at most 64 characters of user input back.
pub(crate) fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

/// An RFC 3339 time from the query parameter `key`.
pub(crate) fn parse_time(key: &str, value: &str) -> Result<chrono::DateTime<Utc>> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ApiError::BadRequest(format!("{key} must be an RFC 3339 time such as 2026-01-31T12:00:00Z")))
}
