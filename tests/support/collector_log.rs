//! Reading a `fleetwatch collector`'s JSON log (`FLEETWATCH_LOG_FORMAT=json`): its cycles and
//! what it said.
#![allow(dead_code)] // each test binary uses part of it

use std::path::Path;

/// One "collection cycle finished" line.
#[derive(Debug, Clone, Copy)]
pub struct Cycle {
    pub servers: u64,
    pub failed: u64,
}

/// The JSON lines of the log file whose `fields.message` is `message`.
pub fn lines(stderr: &Path, message: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(stderr).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"].as_str() == Some(message))
        .collect()
}

/// Every finished cycle in the log.
pub fn cycles(stderr: &Path) -> Vec<Cycle> {
    lines(stderr, "collection cycle finished")
        .iter()
        .map(|v| Cycle {
            servers: v["fields"]["servers"].as_u64().unwrap_or(0),
            failed: v["fields"]["failed"].as_u64().unwrap_or(0),
        })
        .collect()
}

/// How many lines of the log start with `message`.
pub fn count(stderr: &Path, message_start: &str) -> usize {
    let text = std::fs::read_to_string(stderr).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"].as_str().is_some_and(|m| m.starts_with(message_start)))
        .count()
}
