//! Fleetwatch's whole configuration (database, listener, API, dashboard, collector, servers,
//! alerts, retention):
//! built-in defaults, then a TOML file, then environment variables, validated once at start.
//! It only reads the config file, secret files and the environment: no network, no database.
//! Secrets become [`secrecy::SecretString`] here, and every `Debug` that could be logged redacts them.

mod alerts;
mod auth;
mod config;
mod database;
pub mod duration;
mod env;
mod error;
mod file;
mod retention;
mod seed_env;
mod server;
mod servers;
mod settings;
mod source;
mod spool;
mod validate;

pub use auth::{AuthSettings, LoginMode};
pub use config::Config;
pub use env::{Env, ProcessEnv};
pub use error::ConfigError;
pub use fleetwatch_common::Transport;
pub use retention::RetentionSettings;
pub use server::{Credentials, HostKeyPolicy, Server, SshServer};
pub use settings::{
    CollectorSettings, MAX_AUTO_CONCURRENCY, MIN_AUTO_CONCURRENCY, UiSettings, UserDiskSettings, cron_interval,
};
pub use source::{ConfigSource, config_path};
pub use spool::SpoolSettings;

/// The commented example printed by `fleetwatch default-config`.
pub const EXAMPLE: &str = include_str!("../../docs/fleetwatch.example.toml");

/// The database used when neither the file nor the environment names one.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/fleetwatch.db";
/// The listener's address when neither the file nor the environment names one.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
