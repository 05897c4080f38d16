//! `[[servers]]` tables → validated [`Server`]s: exactly one credential source, one host-key
//! policy, secrets read from the variables or files the table names.

use secrecy::SecretString;

use crate::env::{Env, read_secret_file};
use crate::error::{ConfigError, Result};
use crate::file::FileServer;
use crate::server::{Credentials, HostKeyPolicy, Server, SshServer};
use crate::validate;
use fleetwatch_common::Transport;

/// Resolves the `i`-th `[[servers]]` table; errors name it as `servers[i] (name).key`.
pub(crate) fn resolve(i: usize, s: FileServer, env: &dyn Env) -> Result<Server> {
    let key = |field: &str| format!("servers[{i}] ({}).{field}", s.name);
    validate::name(&format!("servers[{i}].name"), &s.name)?;
    if let Some(expr) = &s.schedule {
        crate::settings::parse_cron(expr).map_err(|e| ConfigError::invalid(key("schedule"), e))?;
    }
    if matches!(s.transport, Transport::Local | Transport::Push) {
        let extra = s.host.is_some()
            || s.port.is_some()
            || s.user.is_some()
            || s.identity_file.is_some()
            || s.passphrase_env.is_some()
            || s.password_env.is_some()
            || s.password_file.is_some()
            || s.host_key.is_some()
            || s.known_hosts_file.is_some();
        if extra {
            let msg = format!("a {} server takes no host, port, user, credentials or host key", s.transport);
            return Err(ConfigError::invalid(key("transport"), msg));
        }
        let push = s.transport == Transport::Push;
        if push && s.schedule.is_some() {
            return Err(ConfigError::invalid(
                key("schedule"),
                "a push server is not collected: its host's timer decides",
            ));
        }
        return Ok(Server { name: s.name.clone(), tags: s.tags, ssh: None, push, schedule: s.schedule });
    }
    let host = s.host.clone().ok_or_else(|| ConfigError::invalid(key("host"), "required for an SSH server"))?;
    let user = s.user.clone().ok_or_else(|| ConfigError::invalid(key("user"), "required for an SSH server"))?;
    let credentials = credentials(&s, env, &key)?;
    let host_key = match (s.host_key, s.known_hosts_file) {
        (Some(fp), None) => pinned(&key("host_key"), fp)?,
        (None, Some(path)) => HostKeyPolicy::KnownHosts(path),
        (None, None) => HostKeyPolicy::TrustOnFirstUse,
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(key("host_key"), "give host_key or known_hosts_file, not both"));
        }
    };
    Ok(Server {
        name: s.name,
        tags: s.tags,
        schedule: s.schedule,
        push: false,
        ssh: Some(SshServer { host, port: s.port.unwrap_or(22), user, credentials, host_key }),
    })
}

fn credentials(s: &FileServer, env: &dyn Env, key: &dyn Fn(&str) -> String) -> Result<Credentials> {
    let from_var = |field: &str, var: &str| {
        env.var(var)
            .map(SecretString::from)
            .ok_or_else(|| ConfigError::invalid(key(field), format!("environment variable {var} is not set")))
    };
    match (&s.identity_file, &s.password_env, &s.password_file) {
        (Some(path), None, None) => {
            let passphrase = s.passphrase_env.as_deref().map(|var| from_var("passphrase_env", var)).transpose()?;
            Ok(Credentials::Key { path: path.clone(), passphrase })
        }
        (None, Some(var), None) => Ok(Credentials::Password(from_var("password_env", var)?)),
        (None, None, Some(path)) => Ok(Credentials::Password(read_secret_file(path, &key("password_file"))?)),
        (None, None, None) => Err(ConfigError::invalid(
            key("identity_file"),
            "an SSH server needs identity_file, password_env or password_file",
        )),
        _ => Err(ConfigError::invalid(
            key("identity_file"),
            "give only one of identity_file, password_env, password_file",
        )),
    }
}

/// A pinned fingerprint, checked for its `SHA256:` form; `key` names where it was given.
pub(crate) fn pinned(key: &str, fingerprint: String) -> Result<HostKeyPolicy> {
    validate::fingerprint(key, &fingerprint)?;
    Ok(HostKeyPolicy::Pinned(fingerprint))
}
