//! `[auth]`: when login is asked, and how long sessions live. The binary turns it into the
//! API's `AuthSettings` (the API does not read configuration).

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::duration;
use crate::env::Env;
use crate::error::{ConfigError, Result};

/// `mode`: `auto` asks for a login when the listener is not loopback-only or once a user
/// exists; `required` always (with no user yet: the setup link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginMode {
    #[default]
    Auto,
    Required,
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    pub mode: LoginMode,
    /// A session unused for this long ends.
    #[serde(deserialize_with = "duration::secs")]
    pub session_idle_secs: u64,
    /// A session ends this long after login however much it is used.
    #[serde(deserialize_with = "duration::secs")]
    pub session_max_secs: u64,
    /// How long the setup link logged at start works.
    #[serde(deserialize_with = "duration::secs")]
    pub setup_link_secs: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            mode: LoginMode::Auto,
            session_idle_secs: 12 * 3600,
            session_max_secs: 7 * 24 * 3600,
            setup_link_secs: 3600,
        }
    }
}

impl AuthSettings {
    /// Whether login is asked even with no user yet: `mode = "required"`, or a listener
    /// reachable from other hosts.
    pub fn login_required(&self, listen: SocketAddr) -> bool {
        self.mode == LoginMode::Required || !listen.ip().is_loopback()
    }

    pub fn session_idle(&self) -> Duration {
        Duration::from_secs(self.session_idle_secs)
    }

    pub fn session_max(&self) -> Duration {
        Duration::from_secs(self.session_max_secs)
    }

    pub fn setup_link_valid(&self) -> Duration {
        Duration::from_secs(self.setup_link_secs)
    }

    /// `FLEETWATCH_AUTH` (`auto` or `required`) over the file's `mode`, then the checks.
    pub(crate) fn resolve(mut self, env: &dyn Env) -> Result<Self> {
        if let Some(mode) = env.var("FLEETWATCH_AUTH") {
            self.mode = match mode.trim() {
                "auto" => LoginMode::Auto,
                "required" => LoginMode::Required,
                other => {
                    return Err(ConfigError::invalid(
                        "FLEETWATCH_AUTH",
                        format!("{other:?}: expected auto or required"),
                    ));
                }
            };
        }
        if self.session_idle_secs == 0 || self.session_max_secs == 0 || self.setup_link_secs == 0 {
            return Err(ConfigError::invalid(
                "auth",
                "session_idle_secs, session_max_secs and setup_link_secs must be above 0",
            ));
        }
        if self.session_idle_secs > self.session_max_secs {
            return Err(ConfigError::invalid("auth.session_idle_secs", "must not exceed session_max_secs"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::Config;

    use super::*;

    fn load(toml: &str, vars: &[(&str, &str)]) -> std::result::Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_toml(toml, &env)
    }

    #[test]
    fn login_is_required_off_loopback_or_when_configured() {
        let c = load("", &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.auth.mode, LoginMode::Auto);
        assert!(!c.auth.login_required(c.listen), "127.0.0.1 by default: open until a user exists");
        for listen in ["0.0.0.0:8080", "[::]:8080", "192.168.1.5:80"] {
            let c = load(&format!("listen = \"{listen}\""), &[]).unwrap_or_else(|e| panic!("{e}"));
            assert!(c.auth.login_required(c.listen), "{listen}");
        }
        let c = load("[auth]\nmode = \"required\"\nsession_idle_secs = \"30m\"\nsession_max_secs = \"1d\"", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.auth.login_required(c.listen));
        assert_eq!((c.auth.session_idle_secs, c.auth.session_max_secs), (1800, 86_400));
        let c = load("", &[("FLEETWATCH_AUTH", "required")]).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.auth.login_required(c.listen));
    }

    #[test]
    fn bad_auth_settings_name_their_key() {
        let e = load("", &[("FLEETWATCH_AUTH", "none")]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("FLEETWATCH_AUTH"), "{e}");
        let e = load("[auth]\nmode = \"off\"", &[]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("mode") || e.contains("off"), "{e}");
        let e = load("[auth]\nsession_idle_secs = \"2d\"\nsession_max_secs = \"1d\"", &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("auth.session_idle_secs"), "{e}");
    }
}
