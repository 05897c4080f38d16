//! Which config file is read, and where the configuration came from.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::env::Env;

/// Where the configuration came from (logged at start, printed by `fleetwatch check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A TOML file (environment variables still override it).
    File(PathBuf),
    /// A TOML text handed over directly ([`crate::Config::from_toml`]); behaves like a file.
    Text,
    /// No file; environment variables set at least one setting or server.
    Environment,
    /// No file and no environment: everything built in, monitoring only this machine.
    Defaults,
}

impl ConfigSource {
    /// Whether a file (or a text standing for one) was read. Without one, an empty server list
    /// means "monitor this machine".
    pub fn has_file(&self) -> bool {
        matches!(self, Self::File(_) | Self::Text)
    }
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Text => f.write_str("<text>"),
            Self::Environment => f.write_str("environment variables"),
            Self::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// Where the config file is: `--config`/`FLEETWATCH_CONFIG`, else `./fleetwatch.toml` if present.
pub fn config_path(explicit: Option<&Path>, env: &dyn Env) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = env.var("FLEETWATCH_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let default = PathBuf::from("fleetwatch.toml");
    default.exists().then_some(default)
}
