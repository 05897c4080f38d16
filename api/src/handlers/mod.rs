//! Handlers grouped by resource. They read the fleet view (`crate::fleet`) and the store, take
//! their parameters through `crate::extract` as the structs of `crate::params`, and answer JSON
//! or files; nothing here is called by anything but the route table.

pub mod alerts;
pub mod events;
pub mod export;
pub mod health;
pub mod metrics;
pub mod sections;
pub mod servers;
pub mod silences;
pub mod system;
pub mod ui;
pub mod users;

use crate::error::{ApiError, Result, echo};
use crate::fleet::{Fleet, ServerMeta};

/// 404 unless `name` is a configured server.
pub(crate) fn known<'a>(fleet: &'a Fleet, name: &str) -> Result<&'a ServerMeta> {
    fleet.server(name).ok_or_else(|| ApiError::NotFound(format!("no server named {:?}", echo(name))))
}
