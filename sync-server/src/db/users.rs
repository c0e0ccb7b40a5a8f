//! Accounts and their sign-in sessions.

use super::{Db, DbError, Result, Tx};

/// An account, with its storage counters.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub quota_bytes: i64,
    pub used_bytes: i64,
    pub reserved_bytes: i64,
    /// When the account was turned off (`picup-server user disable`), if it is.
    pub disabled_at: Option<i64>,
    /// The name the family page calls its owner by ("Photos from Anna"), if one is set.
    pub display_name: Option<String>,
}

/// A sign-in as the operator sees it; the token's hash stays in the database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub device_name: String,
    pub created_at: i64,
    pub expires_at: i64,
}

const ACCOUNT_COLUMNS: &str = "SELECT id, email, password_hash, quota_bytes, used_bytes, \
    reserved_bytes, disabled_at, display_name FROM users";

impl Db {
    pub async fn insert_user(
        &self,
        id: &str,
        email: &str,
        hash: &str,
        quota: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, quota_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(email)
        .bind(hash)
        .bind(quota)
        .bind(now)
        .execute(&self.writer)
        .await
        .map_err(|e| match DbError::from(e) {
            e if e.is_conflict() => DbError::EmailTaken,
            e => e,
        })?;
        Ok(())
    }

    /// The account with this email, if it may sign in: a disabled account is left out, so
    /// signing in to it fails exactly like a wrong password.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<Account>> {
        let sql = format!("{ACCOUNT_COLUMNS} WHERE email = $1 AND disabled_at IS NULL");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<Account>> {
        let sql = format!("{ACCOUNT_COLUMNS} WHERE id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn list_users(&self) -> Result<Vec<Account>> {
        let sql = format!("{ACCOUNT_COLUMNS} ORDER BY email");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?)
    }

    /// The id of the account with this email, disabled or not.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Returns false when no account has that email.
    pub async fn set_quota(&self, email: &str, quota: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET quota_bytes = $1 WHERE email = $2")
            .bind(quota)
            .bind(email)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets (or, with None, clears) the name the family page calls the account's owner
    /// by; the caller has checked it. Returns false when there is no such account.
    pub async fn set_display_name(&self, user_id: &str, name: Option<&str>) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(name)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn enable_user(&self, user_id: &str) -> Result<()> {
        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Opens a session for an account whose password was just checked against
    /// `checked_hash`; false (and nothing stored) when that is no longer its password or
    /// the account was disabled meanwhile. One statement, so no reset or disable can
    /// slip in between the check and the insert.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: &str,
        checked_hash: &str,
        device_name: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, device_name, created_at, expires_at) \
             SELECT $1, id, $3, $4, $5 FROM users \
             WHERE id = $2 AND password_hash = $6 AND disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(device_name)
        .bind(now)
        .bind(expires_at)
        .bind(checked_hash)
        .execute(&self.writer)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// The session's user and expiry time, if the token hash is known and its account is
    /// not disabled. Answered together with the lookups made at the same moment, by a
    /// statement that begins after this call (see [`super::session_lookups`]).
    pub async fn session(&self, token_hash: &str) -> Result<Option<(String, i64)>> {
        self.session_lookups.look_up(token_hash).await
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The account's stored sessions, oldest first, ended ones the worker has not yet
    /// removed included.
    pub async fn sessions_of(&self, user_id: &str) -> Result<Vec<Session>> {
        Ok(sqlx::query_as(
            "SELECT device_name, created_at, expires_at FROM sessions \
             WHERE user_id = $1 ORDER BY created_at, token_hash",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Removes up to `limit` sessions that ended at or before `now`; returns how many.
    pub async fn purge_expired_sessions(&self, now: i64, limit: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE token_hash IN \
               (SELECT token_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)",
        )
        .bind(now)
        .bind(limit)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}

impl Tx {
    /// Holds the account's row until the transaction ends, so that changes to what its
    /// albums hold (a photo added, removed, restored or purged) happen one at a time: a
    /// purge that finds a photo in no album cannot miss a place added meanwhile. (On
    /// PostgreSQL a row lock; SQLite has one writer anyway.)
    pub async fn lock_account(&mut self, user_id: &str) -> Result<()> {
        sqlx::query("UPDATE users SET change_seq = change_seq WHERE id = $1")
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Marks the account disabled; disabling it again keeps the first time.
    pub async fn disable_user(&mut self, user_id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE users SET disabled_at = COALESCE(disabled_at, $1) WHERE id = $2")
            .bind(now)
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn set_password_hash(&mut self, user_id: &str, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Deletes every session of the account; returns how many there were.
    pub async fn delete_sessions_of(&mut self, user_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }

    /// Holds `bytes` more of the account's quota if they fit: one conditional UPDATE, so
    /// concurrent requests on any number of replicas can never together exceed it.
    pub async fn hold_quota(&mut self, user_id: &str, bytes: i64) -> Result<bool> {
        let held = sqlx::query(
            "UPDATE users SET reserved_bytes = reserved_bytes + $1 \
             WHERE id = $2 AND used_bytes + reserved_bytes + $1 <= quota_bytes",
        )
        .bind(bytes)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(held.rows_affected() == 1)
    }

    /// Gives held bytes back.
    pub async fn release_quota(&mut self, user_id: &str, bytes: i64) -> Result<()> {
        self.move_quota(user_id, bytes, 0).await
    }

    /// Takes `reserved` off the account's held bytes and adds `used` to its stored ones
    /// (a completion moves a reservation to use; a purge gives used bytes back with a
    /// negative `used`).
    pub async fn move_quota(&mut self, user_id: &str, reserved: i64, used: i64) -> Result<()> {
        sqlx::query(
            "UPDATE users SET reserved_bytes = reserved_bytes - $1, used_bytes = used_bytes + $2 \
             WHERE id = $3",
        )
        .bind(reserved)
        .bind(used)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
