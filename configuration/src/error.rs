//! The one error type of configuration loading.

/// A configuration problem. Every variant names the key, variable or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    /// Problems in `[alerts]`, each naming its key.
    #[error("{0}")]
    Alerts(fleetwatch_alerts::ConfigErrors),
}

impl ConfigError {
    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { key: key.into(), message: message.into() }
    }
}

pub(crate) type Result<T, E = ConfigError> = std::result::Result<T, E>;
