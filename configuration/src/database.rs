//! The database URL from the environment: `DATABASE_URL` (or `_FILE`), else one built from the
//! seed's `POSTGRES_HOST`/`_PORT`/`_USER`/`_PASSWORD` (or `_FILE`)/`_DB`.

use fleetwatch_common::percent_encode as encode;
use secrecy::{ExposeSecret, SecretString};

use crate::env::{Env, secret_var};
use crate::error::Result;

/// The URL the environment asks for, if any. It may hold a password, so it stays secret.
pub(crate) fn from_env(env: &dyn Env) -> Result<Option<SecretString>> {
    if let Some(url) = secret_var(env, "DATABASE_URL")? {
        return Ok(Some(url));
    }
    let pg_host = env.var("POSTGRES_HOST");
    let pg_password = secret_var(env, "POSTGRES_PASSWORD")?;
    if pg_host.is_none() && pg_password.is_none() {
        return Ok(None);
    }
    let host = pg_host.unwrap_or_else(|| "localhost".into());
    let user = env.var("POSTGRES_USER").unwrap_or_else(|| "postgres".into());
    let db = env.var("POSTGRES_DB").unwrap_or_else(|| "fleetwatch".into());
    let port = env.var("POSTGRES_PORT").unwrap_or_else(|| "5432".into());
    let auth = match pg_password {
        Some(p) => format!("{}:{}@", encode(&user), encode(p.expose_secret())),
        None => format!("{}@", encode(&user)),
    };
    Ok(Some(SecretString::from(format!("postgres://{auth}{host}:{port}/{}", encode(&db)))))
}
