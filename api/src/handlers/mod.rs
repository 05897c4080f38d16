//! Handlers grouped by resource. They read the fleet view (`crate::fleet`) and the store, take
//! their parameters through `crate::extract` as the structs of `crate::params`, and answer JSON
//! or files; nothing here is called by anything but the route table.

pub mod accounts;
pub mod activity;
pub mod alerts;
pub mod auth;
pub mod events;
pub mod export;
pub mod health;
pub mod host_keys;
pub mod ingest;
pub mod metrics;
pub mod sections;
pub mod seed_metrics;
pub mod server_detail;
pub mod servers;
pub mod silences;
pub mod system;
pub mod system_health;
pub mod ui;
pub mod users;

use crate::auth::{Caller, Principal};
use crate::error::{ApiError, Result, echo};
use crate::fleet::{Fleet, ServerMeta};

/// 404 unless `name` is a configured server.
pub(crate) fn known<'a>(fleet: &'a Fleet, name: &str) -> Result<&'a ServerMeta> {
    fleet.server(name).ok_or_else(|| ApiError::NotFound(format!("no server named {:?}", echo(name))))
}

/// The server a seed endpoint's optional `?server=` names (404 if it is not configured), else
/// [`Fleet::default_server`] (404 when none is configured).
pub(crate) fn chosen<'a>(fleet: &'a Fleet, server: Option<&str>) -> Result<&'a ServerMeta> {
    match server {
        Some(name) => known(fleet, name),
        None => fleet.default_server().ok_or_else(|| ApiError::NotFound("no server is configured".into())),
    }
}

/// Longest `by` (who did it) of a request body, in characters.
pub const MAX_BY: usize = 100;

/// Who did it, from a body's optional `by`: trimmed, 1 to [`MAX_BY`] characters, no control
/// characters; `api` when absent.
pub(crate) fn actor(by: Option<&str>) -> Result<String> {
    match by.map(str::trim) {
        None => Ok("api".to_owned()),
        Some(by) if by.is_empty() || by.chars().count() > MAX_BY || by.chars().any(char::is_control) => {
            Err(ApiError::BadRequest(format!("by: 1 to {MAX_BY} characters, no control characters")))
        }
        Some(by) => Ok(by.to_owned()),
    }
}

/// Who did it: the logged-in user or the token (a body's `by` cannot speak for someone else),
/// else, in open mode, the body's `by` as [`actor`] reads it.
pub(crate) fn who(caller: &Caller, by: Option<&str>) -> Result<String> {
    match caller.principal {
        Principal::Open | Principal::Anonymous => actor(by),
        _ => Ok(caller.principal.actor()),
    }
}
