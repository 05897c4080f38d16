//! The SQL of the auth tables (`migrations/*/0009_auth.sql`), shared by both backends.

pub(crate) const INSERT_USER: &str =
    "INSERT INTO auth_users (name, role, password_hash, created_ms, password_changed_ms) VALUES ($1, $2, $3, $4, $5)";

const USER_COLUMNS: &str = "name, role, password_hash, created_ms, password_changed_ms";

pub(crate) fn user() -> String {
    format!("SELECT {USER_COLUMNS} FROM auth_users WHERE name = $1")
}

pub(crate) fn users() -> String {
    format!("SELECT {USER_COLUMNS} FROM auth_users ORDER BY name")
}

pub(crate) const USER_COUNT: &str = "SELECT COUNT(*) FROM auth_users";

/// Followed by the backend's row lock.
pub(crate) const ADMINS: &str = "SELECT name FROM auth_users WHERE role = 'admin'";

pub(crate) const ROLE_OF: &str = "SELECT role FROM auth_users WHERE name = $1";

/// `$1` name, `$2` hash, `$3` at.
pub(crate) const SET_PASSWORD: &str =
    "UPDATE auth_users SET password_hash = $2, password_changed_ms = $3 WHERE name = $1";

pub(crate) const SET_ROLE: &str = "UPDATE auth_users SET role = $2 WHERE name = $1";

pub(crate) const DELETE_USER: &str = "DELETE FROM auth_users WHERE name = $1";

pub(crate) const DELETE_SESSIONS_OF: &str = "DELETE FROM auth_sessions WHERE user_name = $1";

/// `$1` id hash, `$2` user, `$3` now, `$4` idle until, `$5` expires.
pub(crate) const INSERT_SESSION: &str = "INSERT INTO auth_sessions \
     (id_hash, user_name, created_ms, last_seen_ms, idle_until_ms, expires_ms) VALUES ($1, $2, $3, $3, $4, $5)";

/// `$1` id hash, `$2` now, `$3` now + idle: a live session is used now, and lives on until
/// `$3` (never past its absolute expiry).
pub(crate) const TOUCH_SESSION: &str = "UPDATE auth_sessions SET last_seen_ms = $2, \
     idle_until_ms = CASE WHEN $3 < expires_ms THEN $3 ELSE expires_ms END \
     WHERE id_hash = $1 AND idle_until_ms > $2 AND expires_ms > $2 \
     RETURNING user_name, created_ms, expires_ms";

pub(crate) const DELETE_SESSION: &str = "DELETE FROM auth_sessions WHERE id_hash = $1";

pub(crate) const PURGE_SESSIONS: &str = "DELETE FROM auth_sessions WHERE idle_until_ms <= $1 OR expires_ms <= $1";

/// `$1` name, `$2` scopes, `$3` secret hash, `$4` by, `$5` created, `$6` expires, `$7` server.
pub(crate) const INSERT_TOKEN: &str = "INSERT INTO auth_tokens \
     (name, scopes, secret_hash, created_by, created_ms, expires_ms, server) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

const TOKEN_COLUMNS: &str = "id, name, scopes, created_by, created_ms, expires_ms, last_used_ms, revoked_ms, server";

pub(crate) fn tokens() -> String {
    format!("SELECT {TOKEN_COLUMNS} FROM auth_tokens ORDER BY id")
}

/// `$1` secret hash, `$2` now: a token neither revoked nor expired is used now.
pub(crate) fn use_token() -> String {
    format!(
        "UPDATE auth_tokens SET last_used_ms = $2 \
         WHERE secret_hash = $1 AND revoked_ms IS NULL AND (expires_ms IS NULL OR expires_ms > $2) \
         RETURNING {TOKEN_COLUMNS}"
    )
}

/// `$1` id, `$2` at.
pub(crate) const REVOKE_TOKEN: &str = "UPDATE auth_tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL";

pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO auth_audit (at_ms, actor, action, target, source, detail) VALUES ($1, $2, $3, $4, $5, $6)";

/// Newest first, `$1` at most.
pub(crate) const AUDIT: &str =
    "SELECT id, at_ms, actor, action, target, source, detail FROM auth_audit ORDER BY id DESC LIMIT $1";
