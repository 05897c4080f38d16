//! The seed deployment's servers from the environment: `SERVER<n>_NAME`, `_HOST`, `_IP`,
//! `_USERNAME`, `_PASSWORD` (or `_PASSWORD_FILE`), plus `_PORT`, `_KEY` (identity file, with
//! `_KEY_PASSPHRASE`), `_HOST_KEY` (pinned fingerprint), `_TAGS` (comma-separated).

use std::path::PathBuf;

use crate::env::{Env, secret_var};
use crate::error::{ConfigError, Result};
use crate::server::{Credentials, HostKeyPolicy, Server, SshServer};
use crate::servers::pinned;
use crate::validate;

/// Every server the `SERVER<n>_*` variables define, in the order of `n`.
pub(crate) fn servers(env: &dyn Env) -> Result<Vec<Server>> {
    numbers(env).into_iter().map(|n| server(env, n)).collect()
}

/// The `n`s for which a `SERVER<n>_NAME`, `_HOST`, `_IP` or `_USERNAME` is set.
fn numbers(env: &dyn Env) -> Vec<u32> {
    let mut numbers: Vec<u32> = env
        .names()
        .iter()
        .filter_map(|k| {
            let rest = k.strip_prefix("SERVER")?;
            let (n, field) = rest.split_once('_')?;
            let known = ["NAME", "HOST", "IP", "USERNAME"].contains(&field);
            if known { n.parse().ok() } else { None }
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

fn server(env: &dyn Env, n: u32) -> Result<Server> {
    let var = |f: &str| env.var(&format!("SERVER{n}_{f}"));
    let key = |f: &str| format!("SERVER{n}_{f}");
    let address = var("IP")
        .or_else(|| var("HOST"))
        .ok_or_else(|| ConfigError::invalid(key("HOST"), format!("SERVER{n}_HOST or SERVER{n}_IP is required")))?;
    let name = var("NAME").or_else(|| var("HOST")).unwrap_or_else(|| address.clone());
    validate::name(&key("NAME"), &name)?;
    let user = var("USERNAME").ok_or_else(|| ConfigError::invalid(key("USERNAME"), "required"))?;
    let port = match var("PORT") {
        Some(p) => p.parse().map_err(|_| ConfigError::invalid(key("PORT"), format!("{p:?} is not a port")))?,
        None => 22,
    };
    let credentials = match (var("KEY"), secret_var(env, &key("PASSWORD"))?) {
        (Some(path), None) => {
            Credentials::Key { path: PathBuf::from(path), passphrase: secret_var(env, &key("KEY_PASSPHRASE"))? }
        }
        (None, Some(pw)) => Credentials::Password(pw),
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(
                key("KEY"),
                format!("give SERVER{n}_KEY or SERVER{n}_PASSWORD, not both"),
            ));
        }
        (None, None) => {
            return Err(ConfigError::invalid(
                key("PASSWORD"),
                format!("SERVER{n}_PASSWORD or SERVER{n}_KEY is required"),
            ));
        }
    };
    let host_key = match var("HOST_KEY") {
        Some(fp) => pinned(&key("HOST_KEY"), fp)?,
        None => HostKeyPolicy::TrustOnFirstUse,
    };
    let tags = var("TAGS")
        .map(|t| t.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    Ok(Server {
        name,
        tags,
        ssh: Some(SshServer { host: address, port, user, credentials, host_key }),
        push: false,
        schedule: None,
    })
}
