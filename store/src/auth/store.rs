//! [`AuthStore`] for both backends, written once, generic in the backend like the rest of the
//! store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use super::rows::{AuditRow, SessionRow, TokenRow, UserRow, role, scopes_text};
use super::types::{AuditEntry, NewSession, NewToken, PasswordHash, Role, SessionUser, TokenRecord, UserRecord};
use super::{AuthStore, sql};
use crate::backend::{Backend, SqlStore};
use crate::error::{Error, Result};
use crate::rows::convert;
use crate::values::{from_ms, to_ms};

#[async_trait]
impl<DB> AuthStore for SqlStore<DB>
where
    DB: Backend,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> &'a str: ColumnIndex<DB::Row> + Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB>,
{
    async fn create_user(&self, u: &UserRecord) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let taken: Option<String> =
            sqlx::query_scalar(sql::ROLE_OF).bind(u.name.as_str()).fetch_optional(&mut *tx).await?;
        if taken.is_some() {
            return Err(Error::Conflict(format!("a user named {:?} already exists", u.name)));
        }
        sqlx::query(sql::INSERT_USER)
            .bind(u.name.as_str())
            .bind(u.role.as_str())
            .bind(u.password_hash.0.as_str())
            .bind(to_ms(u.created))
            .bind(to_ms(u.password_changed))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql::user()))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(UserRecord::try_from).transpose()
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        convert(sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql::users())).fetch_all(&self.pool).await?)
    }

    async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(sql::USER_COUNT).fetch_one(&self.pool).await?)
    }

    async fn set_password(&self, name: &str, hash: &PasswordHash, at: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let done =
            sqlx::query(sql::SET_PASSWORD).bind(name).bind(hash.0.as_str()).bind(to_ms(at)).execute(&mut *tx).await?;
        if DB::rows_affected(&done) == 0 {
            return Ok(false);
        }
        sqlx::query(sql::DELETE_SESSIONS_OF).bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_role(&self, name: &str, new_role: Role) -> Result<bool> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let current: Option<String> = sqlx::query_scalar(sql::ROLE_OF).bind(name).fetch_optional(&mut *tx).await?;
        let Some(current) = current else { return Ok(false) };
        if role(&current)? == Role::Admin && new_role != Role::Admin {
            refuse_last_admin::<DB>(&mut tx, name).await?;
        }
        sqlx::query(sql::SET_ROLE).bind(name).bind(new_role.as_str()).execute(&mut *tx).await?;
        sqlx::query(sql::DELETE_SESSIONS_OF).bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_user(&self, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let current: Option<String> = sqlx::query_scalar(sql::ROLE_OF).bind(name).fetch_optional(&mut *tx).await?;
        let Some(current) = current else { return Ok(false) };
        if role(&current)? == Role::Admin {
            refuse_last_admin::<DB>(&mut tx, name).await?;
        }
        sqlx::query(sql::DELETE_SESSIONS_OF).bind(name).execute(&mut *tx).await?;
        sqlx::query(sql::DELETE_USER).bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn create_session(&self, s: NewSession<'_>) -> Result<()> {
        let expires = s.now + s.absolute;
        let idle_until = (s.now + s.idle).min(expires);
        sqlx::query(sql::INSERT_SESSION)
            .bind(s.id_hash)
            .bind(s.user)
            .bind(to_ms(s.now))
            .bind(to_ms(idle_until))
            .bind(to_ms(expires))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, now: DateTime<Utc>, idle: chrono::Duration) -> Result<Option<SessionUser>> {
        let row = sqlx::query_as::<_, SessionRow>(sql::TOUCH_SESSION)
            .bind(id_hash)
            .bind(to_ms(now))
            .bind(to_ms(now + idle))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let current: Option<String> =
            sqlx::query_scalar(sql::ROLE_OF).bind(row.user_name.as_str()).fetch_optional(&self.pool).await?;
        let Some(current) = current else { return Ok(None) };
        Ok(Some(SessionUser {
            role: role(&current)?,
            name: row.user_name,
            created: from_ms(row.created_ms)?,
            expires: from_ms(row.expires_ms)?,
        }))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool> {
        let done = sqlx::query(sql::DELETE_SESSION).bind(id_hash).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(sql::PURGE_SESSIONS).bind(to_ms(now)).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done))
    }

    async fn create_token(&self, t: NewToken<'_>) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(sql::INSERT_TOKEN)
            .bind(t.name)
            .bind(scopes_text(t.scopes))
            .bind(t.secret_hash)
            .bind(t.created_by)
            .bind(to_ms(t.created))
            .bind(t.expires.map(to_ms))
            .bind(t.server)
            .fetch_one(&self.pool)
            .await?;
        Ok(id)
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        convert(sqlx::query_as::<_, TokenRow>(sqlx::AssertSqlSafe(sql::tokens())).fetch_all(&self.pool).await?)
    }

    async fn use_token(&self, secret_hash: &str, now: DateTime<Utc>) -> Result<Option<TokenRecord>> {
        let row = sqlx::query_as::<_, TokenRow>(sqlx::AssertSqlSafe(sql::use_token()))
            .bind(secret_hash)
            .bind(to_ms(now))
            .fetch_optional(&self.pool)
            .await?;
        row.map(TokenRecord::try_from).transpose()
    }

    async fn revoke_token(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(sql::REVOKE_TOKEN).bind(id).bind(to_ms(at)).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn record_audit(&self, e: &AuditEntry) -> Result<()> {
        sqlx::query(sql::INSERT_AUDIT)
            .bind(to_ms(e.at))
            .bind(e.actor.as_str())
            .bind(e.action.as_str())
            .bind(e.target.as_deref())
            .bind(e.source.as_deref())
            .bind(e.detail.as_deref())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        convert(sqlx::query_as::<_, AuditRow>(sql::AUDIT).bind(limit).fetch_all(&self.pool).await?)
    }
}

/// `Error::Conflict` unless another admin than `name` exists.
async fn refuse_last_admin<DB>(tx: &mut sqlx::Transaction<'_, DB>, name: &str) -> Result<()>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> String: Decode<'a, DB> + Type<DB>,
{
    // PostgreSQL: the admins' rows stay locked until the commit, and a second removal meanwhile
    // skips them, sees too few admins and is refused. SQLite's write transactions take turns.
    let admins: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("{}{}", sql::ADMINS, DB::LOCK_ROWS)))
        .fetch_all(&mut **tx)
        .await?;
    if admins.iter().all(|a| a == name) {
        return Err(Error::Conflict(format!("{name:?} is the last admin: make another admin first")));
    }
    Ok(())
}
