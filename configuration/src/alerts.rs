//! `[alerts]` (channels, rules, standing silences) and `public_url`, checked with the alerting
//! engine's own validation: every error names its key (`alerts.rules[2].critical: …`).
//! Channel secrets given as `*_env` / `*_file` are read here, from the same environment as the
//! rest of the configuration, and become `SecretString`s.

use std::path::Path;

use fleetwatch_alerts::{Alerting, AlertsConfig, Defaults, SecretSource};
use fleetwatch_common::Thresholds;

use crate::env::Env;
use crate::error::{ConfigError, Result};
use crate::settings::CollectorSettings;

/// Reads `*_env` secrets from the configuration's environment and `*_file` ones from disk.
struct EnvSecrets<'a>(&'a dyn Env);

impl SecretSource for EnvSecrets<'_> {
    fn env(&self, name: &str) -> Option<String> {
        self.0.var(name)
    }

    fn file(&self, path: &Path) -> std::result::Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

/// The checked `[alerts]` section; the built-in rules take their levels from `[thresholds]`
/// and their staleness from `collector.stale_after_secs`.
pub(crate) fn alerting(
    config: &AlertsConfig,
    thresholds: Thresholds,
    collector: &CollectorSettings,
    env: &dyn Env,
) -> Result<Alerting> {
    let defaults = Defaults { thresholds, stale_after: collector.stale_after() };
    config.validate(&defaults, &EnvSecrets(env)).map_err(ConfigError::Alerts)
}

/// `public_url` (or `FLEETWATCH_PUBLIC_URL`): where people reach the dashboard; messages link
/// to server pages under it. Must be http(s); a trailing `/` is dropped.
pub(crate) fn public_url(file: Option<String>, env: &dyn Env) -> Result<Option<String>> {
    let Some(url) = env.var("FLEETWATCH_PUBLIC_URL").or(file) else { return Ok(None) };
    let url = url.trim().trim_end_matches('/').to_owned();
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(Some(url)),
        _ => Err(ConfigError::invalid(
            "public_url (or FLEETWATCH_PUBLIC_URL)",
            format!("{url:?} is not an http:// or https:// URL, e.g. \"https://fleet.example.com\""),
        )),
    }
}
