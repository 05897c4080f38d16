//! Who may see and change what: users with roles and argon2id password hashes, login sessions,
//! API tokens with scopes, and the audit log. Session ids and token secrets are stored only as
//! digests ([`digest`]); the random values themselves exist only in the answer that hands them
//! out.
//!
//! [`AuthStore`] is a supertrait of [`crate::Store`], so every store has it; `store.rs`
//! implements it once for both backends.

mod credentials;
mod rows;
mod sql;
mod store;
mod types;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use credentials::{
    MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, TOKEN_PREFIX, decoy_hash, digest, hash_password, new_token_secret,
    password_problem, random_hex, verify_password,
};
pub use types::{AuditEntry, NewSession, NewToken, PasswordHash, Role, Scope, SessionUser, TokenRecord, UserRecord};

use crate::error::Result;

/// The accounts part of the [`crate::Store`].
#[async_trait]
pub trait AuthStore: Send + Sync {
    /// Stores a new user; `Error::Conflict` when the name is taken.
    async fn create_user(&self, user: &UserRecord) -> Result<()>;

    /// One user, with its password hash.
    async fn user(&self, name: &str) -> Result<Option<UserRecord>>;

    /// Every user, by name.
    async fn users(&self) -> Result<Vec<UserRecord>>;

    /// How many users there are (none: the first admin is still to be made).
    async fn user_count(&self) -> Result<i64>;

    /// Replaces a user's password hash and ends all of its sessions, in one transaction.
    /// Returns whether the user exists.
    async fn set_password(&self, name: &str, hash: &PasswordHash, at: DateTime<Utc>) -> Result<bool>;

    /// Changes a user's role and ends its sessions (they carried the old role). Returns whether
    /// the user exists; `Error::Conflict` when it would leave no admin.
    async fn set_role(&self, name: &str, role: Role) -> Result<bool>;

    /// Removes a user and its sessions. Returns whether it existed; `Error::Conflict` when it is
    /// the last admin.
    async fn delete_user(&self, name: &str) -> Result<bool>;

    /// Opens a session.
    async fn create_session(&self, session: NewSession<'_>) -> Result<()>;

    /// The user of a live session (neither idle for longer than it may be nor past its
    /// absolute expiry), which counts as used at `now` and may stay idle until `now + idle`.
    async fn session(&self, id_hash: &str, now: DateTime<Utc>, idle: chrono::Duration) -> Result<Option<SessionUser>>;

    /// Ends a session (logout). Returns whether it existed.
    async fn delete_session(&self, id_hash: &str) -> Result<bool>;

    /// Deletes the sessions that ended by `now`; returns how many.
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64>;

    /// Stores a new token; returns its id.
    async fn create_token(&self, token: NewToken<'_>) -> Result<i64>;

    /// Every token (revoked and expired ones too), oldest first, without secrets.
    async fn tokens(&self) -> Result<Vec<TokenRecord>>;

    /// The token whose secret has this digest, if it is neither revoked nor expired at `now`;
    /// it counts as used at `now`.
    async fn use_token(&self, secret_hash: &str, now: DateTime<Utc>) -> Result<Option<TokenRecord>>;

    /// Revokes a token. Returns whether a token not yet revoked was found.
    async fn revoke_token(&self, id: i64, at: DateTime<Utc>) -> Result<bool>;

    /// Appends to the audit log (the entry's `id` is ignored).
    async fn record_audit(&self, entry: &AuditEntry) -> Result<()>;

    /// The newest `limit` audit entries, newest first.
    async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>>;
}
