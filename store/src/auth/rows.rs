//! Auth rows as both backends return them, and their conversion.

use super::types::{AuditEntry, PasswordHash, Role, Scope, TokenRecord, UserRecord};
use crate::error::{Error, Result};
use crate::values::{from_ms, from_ms_opt};

pub(crate) fn role(text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| Error::Corrupt(format!("unknown role {text:?}")))
}

/// Scopes as stored: comma-separated words.
pub(crate) fn scopes_text(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

fn scopes(text: &str) -> Result<Vec<Scope>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Scope::parse(s).ok_or_else(|| Error::Corrupt(format!("unknown token scope {s:?}"))))
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    name: String,
    role: String,
    password_hash: String,
    created_ms: i64,
    password_changed_ms: i64,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = Error;

    fn try_from(r: UserRow) -> Result<Self> {
        Ok(UserRecord {
            role: role(&r.role)?,
            name: r.name,
            password_hash: PasswordHash(r.password_hash),
            created: from_ms(r.created_ms)?,
            password_changed: from_ms(r.password_changed_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub user_name: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: i64,
    name: String,
    scopes: String,
    created_by: String,
    created_ms: i64,
    expires_ms: Option<i64>,
    last_used_ms: Option<i64>,
    revoked_ms: Option<i64>,
    server: Option<String>,
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = Error;

    fn try_from(r: TokenRow) -> Result<Self> {
        Ok(TokenRecord {
            id: r.id,
            scopes: scopes(&r.scopes)?,
            name: r.name,
            created_by: r.created_by,
            created: from_ms(r.created_ms)?,
            expires: from_ms_opt(r.expires_ms)?,
            last_used: from_ms_opt(r.last_used_ms)?,
            revoked: from_ms_opt(r.revoked_ms)?,
            server: r.server,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    at_ms: i64,
    actor: String,
    action: String,
    target: Option<String>,
    source: Option<String>,
    detail: Option<String>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = Error;

    fn try_from(r: AuditRow) -> Result<Self> {
        Ok(AuditEntry {
            id: r.id,
            at: from_ms(r.at_ms)?,
            actor: r.actor,
            action: r.action,
            target: r.target,
            source: r.source,
            detail: r.detail,
        })
    }
}
