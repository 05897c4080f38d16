//! Where environment variables come from, and the `NAME` / `NAME_FILE` (Docker secrets) rule.

use std::collections::BTreeMap;
use std::path::Path;

use secrecy::SecretString;

use crate::error::{ConfigError, Result};

/// A source of environment variables, so loading can be tested without touching the process's.
/// An empty value counts as unset.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    /// All variable names (for the `SERVER<n>_*` scheme).
    fn names(&self) -> Vec<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn names(&self) -> Vec<String> {
        std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()).collect()
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.is_empty())
    }
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

/// Reads `NAME`, else the file named by `NAME_FILE` (Docker secrets), trimmed of its final newline.
pub(crate) fn secret_var(env: &dyn Env, name: &str) -> Result<Option<SecretString>> {
    if let Some(v) = env.var(name) {
        return Ok(Some(SecretString::from(v)));
    }
    let file_var = format!("{name}_FILE");
    match env.var(&file_var) {
        Some(path) => read_secret_file(Path::new(&path), &file_var).map(Some),
        None => Ok(None),
    }
}

/// Reads a secret from a file, trimmed of its final newline; errors name `key`, never the content.
pub(crate) fn read_secret_file(path: &Path, key: &str) -> Result<SecretString> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::invalid(key, format!("cannot read {}: {e}", path.display())))?;
    Ok(SecretString::from(text.trim_end_matches(['\r', '\n']).to_string()))
}
