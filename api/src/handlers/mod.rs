//! Handlers grouped by resource.

pub mod health;
pub mod servers;
pub mod system;
pub mod users;

use std::collections::HashMap;

use chrono::Utc;
use fleetwatch_common::{Sample, ServerStatus};

use crate::error::Result;
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
