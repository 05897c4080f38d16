//! The TOML file as written: every key optional, unknown keys refused. Validation and the
//! environment's overrides come after (see [`crate::Config`]).

use std::path::PathBuf;

use fleetwatch_alerts::AlertsConfig;
use fleetwatch_common::{Thresholds, Transport};
use serde::Deserialize;

use crate::auth::AuthSettings;
use crate::error::{ConfigError, Result};
use crate::settings::{CollectorSettings, UiSettings};
use crate::spool::SpoolSettings;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub web_dir: Option<PathBuf>,
    pub public_url: Option<String>,
    #[serde(default)]
    pub collector: CollectorSettings,
    #[serde(default)]
    pub spool: SpoolSettings,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub ui: UiSettings,
    #[serde(default)]
    pub auth: AuthSettings,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default)]
    pub retention: crate::RetentionSettings,
    #[serde(default)]
    pub servers: Vec<FileServer>,
}

/// One `[[servers]]` table. Names only secrets' sources (variables, files), never the secrets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileServer {
    pub name: String,
    #[serde(default)]
    pub transport: Transport,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_file: Option<PathBuf>,
    pub passphrase_env: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    pub host_key: Option<String>,
    pub known_hosts_file: Option<PathBuf>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// This server's own cron schedule, instead of `collector.schedule`.
    pub schedule: Option<String>,
}

impl FileConfig {
    /// Parses a config text; `path` names it in the error.
    pub fn parse(text: &str, path: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.into(), message: e.to_string() })
    }
}
