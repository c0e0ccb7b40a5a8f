//! Link passwords: setting one (which forgets every browser that gave the old one), and
//! the browsers that gave it, each known by the hash of a random key in its cookie.

use super::shares::ShareLink;
use super::{Db, Result};

impl Db {
    /// Sets (or, with None, removes) the password of a live link of `user_id`, and
    /// forgets every browser that gave the old one. The link as it is now, or None if
    /// the user has no such live link.
    pub async fn set_share_password(
        &self,
        user_id: &str,
        share_id: &str,
        password_hash: Option<&str>,
    ) -> Result<Option<ShareLink>> {
        let mut tx = self.begin().await?;
        let row: Option<super::shares::ShareRow> = sqlx::query_as(
            "UPDATE share_links SET password_hash = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL \
             RETURNING id, album_id, allow_download, allow_add, created_at, expires_at, \
               CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, allow_comments",
        )
        .bind(password_hash)
        .bind(share_id)
        .bind(user_id)
        .fetch_optional(tx.conn())
        .await?;
        if row.is_some() {
            sqlx::query("DELETE FROM link_visits WHERE share_link_id = $1")
                .bind(share_id)
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(row.map(ShareLink::from))
    }

    /// Remembers a browser that gave the link's password (the one hashed as
    /// `password_hash`), until `expires_at`; nothing if the password changed meanwhile.
    /// Visits of any link that have run out go at the same time.
    pub async fn insert_link_visit(
        &self,
        key_hash: &str,
        share_link_id: &str,
        password_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM link_visits WHERE expires_at <= $1")
            .bind(now)
            .execute(tx.conn())
            .await?;
        sqlx::query(
            "INSERT INTO link_visits (key_hash, share_link_id, expires_at) \
             SELECT $1, id, $2 FROM share_links WHERE id = $3 AND password_hash = $4",
        )
        .bind(key_hash)
        .bind(expires_at)
        .bind(share_link_id)
        .bind(password_hash)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the browser whose key hashes to `key_hash` gave the password of
    /// `share_link_id` (its current one) and is remembered at `now`.
    pub async fn link_visit_is_valid(
        &self,
        key_hash: &str,
        share_link_id: &str,
        now: i64,
    ) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT expires_at FROM link_visits WHERE key_hash = $1 AND share_link_id = $2",
        )
        .bind(key_hash)
        .bind(share_link_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some_and(|expires_at| expires_at > now))
    }
}
