//! The validated configuration and its layering: defaults → TOML file → environment.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use fleetwatch_alerts::Alerting;
use fleetwatch_common::Thresholds;
use secrecy::SecretString;

use crate::auth::AuthSettings;
use crate::env::Env;
use crate::error::{ConfigError, Result};
use crate::file::FileConfig;
use crate::server::Server;
use crate::settings::{CollectorSettings, UiSettings};
use crate::source::ConfigSource;
use crate::spool::SpoolSettings;
use crate::{DEFAULT_DATABASE_URL, DEFAULT_LISTEN, alerts, database, seed_env, servers, validate};

/// The validated configuration. Its `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct Config {
    /// May hold a password: kept secret, exposed only to open the pool.
    pub database_url: SecretString,
    pub listen: SocketAddr,
    /// Directory holding the built web frontend.
    pub web_dir: PathBuf,
    pub collector: CollectorSettings,
    /// `[spool]`: the collector's on-disk queue while the database is unreachable.
    pub spool: SpoolSettings,
    pub thresholds: Thresholds,
    pub ui: UiSettings,
    /// `[auth]`: when login is asked, how long sessions live.
    pub auth: AuthSettings,
    pub servers: Vec<Server>,
    /// Where people reach the dashboard (`public_url`): notifications link under it.
    pub public_url: Option<String>,
    /// `[alerts]`, checked: rules (built-in ones included), channels with their secrets read,
    /// standing silences.
    pub alerting: Alerting,
    /// `[retention]`: how long each tier of samples is kept.
    pub retention: crate::RetentionSettings,
    /// Where the configuration came from, for the logs.
    pub source: ConfigSource,
}

impl Config {
    /// Loads and validates the configuration: the file at `path` (if any), then `env`.
    pub fn load(path: Option<&Path>, env: &dyn Env) -> Result<Self> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|source| ConfigError::Read { path: p.display().to_string(), source })?;
                let file = FileConfig::parse(&text, &p.display().to_string())?;
                Self::build(file, Some(ConfigSource::File(p.to_path_buf())), env)
            }
            None => Self::build(FileConfig::default(), None, env),
        }
    }

    /// Parses and validates a config text (the file part only; env still applies).
    pub fn from_toml(text: &str, env: &dyn Env) -> Result<Self> {
        Self::build(FileConfig::parse(text, "<text>")?, Some(ConfigSource::Text), env)
    }

    /// Layers `env` over `file` and validates. `file_source` is `None` when no file was read.
    fn build(file: FileConfig, file_source: Option<ConfigSource>, env: &dyn Env) -> Result<Self> {
        let env_database = database::from_env(env)?;
        let env_listen = env.var("FLEETWATCH_LISTEN");
        let env_web_dir = env.var("FLEETWATCH_WEB_DIR");
        let mut from_env = env_database.is_some() || env_listen.is_some() || env_web_dir.is_some();

        let database_url = env_database
            .unwrap_or_else(|| SecretString::from(file.database_url.unwrap_or_else(|| DEFAULT_DATABASE_URL.into())));
        let listen_text = env_listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen_text.parse::<SocketAddr>().map_err(|e| {
            ConfigError::invalid("listen (or FLEETWATCH_LISTEN)", format!("{listen_text:?} is not host:port: {e}"))
        })?;
        let web_dir = env_web_dir.map(PathBuf::from).or(file.web_dir).unwrap_or_else(|| PathBuf::from("dist"));

        validate::collector(&file.collector)?;
        file.spool.validate()?;
        validate::thresholds(&file.thresholds)?;
        validate::ui(&file.ui)?;
        crate::retention::validate(&file.retention)?;
        let auth = file.auth.resolve(env)?;
        let alerting = alerts::alerting(&file.alerts, file.thresholds, &file.collector, env)?;
        let public_url = alerts::public_url(file.public_url, env)?;

        let mut all = Vec::new();
        for (i, s) in file.servers.into_iter().enumerate() {
            all.push(servers::resolve(i, s, env)?);
        }
        let env_servers = seed_env::servers(env)?;
        from_env |= !env_servers.is_empty();
        all.extend(env_servers);
        let source = file_source.unwrap_or(if from_env { ConfigSource::Environment } else { ConfigSource::Defaults });
        if all.is_empty() && !source.has_file() {
            all.push(Server::local("local"));
        }
        let mut seen = HashSet::new();
        for s in &all {
            if !seen.insert(s.name.as_str()) {
                return Err(ConfigError::invalid(format!("servers.{}", s.name), "server names must be unique"));
            }
        }
        Ok(Self {
            database_url,
            listen,
            web_dir,
            collector: file.collector,
            spool: file.spool,
            thresholds: file.thresholds,
            ui: file.ui,
            auth,
            servers: all,
            public_url,
            alerting,
            retention: file.retention,
            source,
        })
    }
}
