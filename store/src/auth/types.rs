//! Accounts, sessions, API tokens and audit entries as the store keeps them.

use std::fmt;

use chrono::{DateTime, Utc};
pub use fleetwatch_common::auth::{Role, Scope};
use serde::Serialize;

/// A password's argon2id hash (PHC string). Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub name: String,
    pub role: Role,
    pub password_hash: PasswordHash,
    pub created: DateTime<Utc>,
    pub password_changed: DateTime<Utc>,
}

/// A session being opened. `id_hash` is the digest of the id the browser holds
/// ([`crate::auth::digest`]), never the id itself.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user: &'a str,
    pub now: DateTime<Utc>,
    /// Unused for this long, the session ends.
    pub idle: chrono::Duration,
    /// The session ends this long after `now` however much it is used.
    pub absolute: chrono::Duration,
}

/// Whose a live session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub name: String,
    pub role: Role,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// A token being created; `secret_hash` is the digest of the secret handed out once.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub scopes: &'a [Scope],
    pub secret_hash: &'a str,
    pub created_by: &'a str,
    pub created: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    /// The one server an `ingest` token may push for; `None`: not bound to a server.
    pub server: Option<&'a str>,
}

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    pub created: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
    /// The one server an `ingest` token may push for.
    pub server: Option<String>,
}

impl TokenRecord {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// One line of the audit log: who did what, when, from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// 0 for an entry not yet stored.
    pub id: i64,
    pub at: DateTime<Utc>,
    /// A user's name, `token:<name>`, `cli`, or the name tried at a failed login.
    pub actor: String,
    /// What happened: `login`, `login_failed`, `logout`, `user_added`, `token_created`, …
    pub action: String,
    /// What it happened to (a user, a token, an alert, a silence).
    pub target: Option<String>,
    /// Where the request came from (the client's address).
    pub source: Option<String>,
    pub detail: Option<String>,
}
