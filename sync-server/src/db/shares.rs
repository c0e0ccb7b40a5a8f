//! Album share links. Only a hash of each link's token is kept.

use super::{Db, Result};

/// A link as its owner sees it.
#[derive(Debug, Clone)]
pub struct ShareLink {
    pub id: String,
    pub album_id: String,
    pub allow_download: bool,
    pub allow_add: bool,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// The family page asks for a password first.
    pub has_password: bool,
    /// The family may give hearts and write comments.
    pub allow_comments: bool,
}

/// A share link found by its token, with what the family page needs of its album.
#[derive(Debug, Clone)]
pub struct SharedAlbum {
    pub id: String,
    pub album_id: String,
    /// The account the album belongs to (what the family adds counts against it).
    pub user_id: String,
    pub allow_download: bool,
    pub allow_add: bool,
    pub expires_at: Option<i64>,
    /// When the link was turned off, or its owner's account disabled.
    pub revoked_at: Option<i64>,
    pub title: String,
    /// When the album was deleted or moved to the Trash: the link is closed meanwhile
    /// (and opens again if the album is restored).
    pub album_gone_at: Option<i64>,
    /// The Argon2id hash of the password the family page asks for, if the owner set one.
    pub password_hash: Option<String>,
    /// The family may give hearts and write comments.
    pub allow_comments: bool,
    /// The name the owner goes by on the family page, if they set one (never the e-mail).
    pub owner_name: Option<String>,
}

/// The stored forms, with the flag as the integer both databases keep.
#[derive(sqlx::FromRow)]
pub(super) struct ShareRow {
    id: String,
    album_id: String,
    allow_download: i64,
    allow_add: i64,
    created_at: i64,
    expires_at: Option<i64>,
    has_password: i64,
    allow_comments: i64,
}

#[derive(sqlx::FromRow)]
struct SharedAlbumRow {
    id: String,
    album_id: String,
    user_id: String,
    allow_download: i64,
    allow_add: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    title: String,
    album_gone_at: Option<i64>,
    password_hash: Option<String>,
    allow_comments: i64,
    owner_name: Option<String>,
}

impl From<ShareRow> for ShareLink {
    fn from(row: ShareRow) -> ShareLink {
        ShareLink {
            id: row.id,
            album_id: row.album_id,
            allow_download: row.allow_download != 0,
            allow_add: row.allow_add != 0,
            created_at: row.created_at,
            expires_at: row.expires_at,
            has_password: row.has_password != 0,
            allow_comments: row.allow_comments != 0,
        }
    }
}

impl From<SharedAlbumRow> for SharedAlbum {
    fn from(row: SharedAlbumRow) -> SharedAlbum {
        SharedAlbum {
            id: row.id,
            album_id: row.album_id,
            user_id: row.user_id,
            allow_download: row.allow_download != 0,
            allow_add: row.allow_add != 0,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            title: row.title,
            album_gone_at: row.album_gone_at,
            password_hash: row.password_hash,
            allow_comments: row.allow_comments != 0,
            owner_name: row.owner_name,
        }
    }
}

/// Everything a new link records.
pub struct NewShare<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub album_id: &'a str,
    pub user_id: &'a str,
    pub allow_download: bool,
    pub allow_add: bool,
    pub expires_at: Option<i64>,
    /// The Argon2id hash of the password the family page is to ask for.
    pub password_hash: Option<&'a str>,
    pub allow_comments: bool,
}

impl Db {
    pub async fn insert_share(&self, share: &NewShare<'_>, now: i64) -> Result<ShareLink> {
        sqlx::query(
            "INSERT INTO share_links (id, token_hash, album_id, user_id, allow_download, \
               created_at, expires_at, allow_add, password_hash, allow_comments) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(share.id)
        .bind(share.token_hash)
        .bind(share.album_id)
        .bind(share.user_id)
        .bind(i64::from(share.allow_download))
        .bind(now)
        .bind(share.expires_at)
        .bind(i64::from(share.allow_add))
        .bind(share.password_hash)
        .bind(i64::from(share.allow_comments))
        .execute(&self.writer)
        .await?;
        Ok(ShareLink {
            id: share.id.into(),
            album_id: share.album_id.into(),
            allow_download: share.allow_download,
            allow_add: share.allow_add,
            created_at: now,
            expires_at: share.expires_at,
            has_password: share.password_hash.is_some(),
            allow_comments: share.allow_comments,
        })
    }

    /// The album's links that have not been turned off, oldest first.
    pub async fn album_shares(&self, user_id: &str, album_id: &str) -> Result<Vec<ShareLink>> {
        let rows: Vec<ShareRow> = sqlx::query_as(
            "SELECT id, album_id, allow_download, allow_add, created_at, expires_at, \
               CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, allow_comments \
             FROM share_links WHERE album_id = $1 AND user_id = $2 AND revoked_at IS NULL \
             ORDER BY created_at, id",
        )
        .bind(album_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ShareLink::from).collect())
    }

    /// Turns a link off at once. False if the user has no such live link.
    pub async fn revoke_share(&self, user_id: &str, share_id: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE share_links SET revoked_at = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(share_id)
        .bind(user_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Lets the family add through a live link, or stops it. The link as it is now, or
    /// None if the user has no such live link.
    pub async fn set_share_adding(
        &self,
        user_id: &str,
        share_id: &str,
        allow_add: bool,
    ) -> Result<Option<ShareLink>> {
        let row: Option<ShareRow> = sqlx::query_as(
            "UPDATE share_links SET allow_add = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL \
             RETURNING id, album_id, allow_download, allow_add, created_at, expires_at, \
               CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, allow_comments",
        )
        .bind(i64::from(allow_add))
        .bind(share_id)
        .bind(user_id)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(ShareLink::from))
    }

    /// Lets the family give hearts and write comments through a live link, or stops it.
    /// The link as it is now, or None if the user has no such live link.
    pub async fn set_share_comments(
        &self,
        user_id: &str,
        share_id: &str,
        allow_comments: bool,
    ) -> Result<Option<ShareLink>> {
        let row: Option<ShareRow> = sqlx::query_as(
            "UPDATE share_links SET allow_comments = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL \
             RETURNING id, album_id, allow_download, allow_add, created_at, expires_at, \
               CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, \
               allow_comments",
        )
        .bind(i64::from(allow_comments))
        .bind(share_id)
        .bind(user_id)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(ShareLink::from))
    }

    /// The link with this token hash and its album. A disabled owner's links read as
    /// revoked (from when the account was disabled), and open again if it is enabled.
    pub async fn shared_album(&self, token_hash: &str) -> Result<Option<SharedAlbum>> {
        let row: Option<SharedAlbumRow> = sqlx::query_as(
            "SELECT s.id, s.album_id, s.user_id, s.allow_download, s.allow_add, s.expires_at, \
               COALESCE(s.revoked_at, u.disabled_at) AS revoked_at, a.title, \
               COALESCE(a.deleted_at, a.trashed_at) AS album_gone_at, s.password_hash, \
               s.allow_comments, u.display_name AS owner_name \
             FROM share_links s JOIN albums a ON a.id = s.album_id \
               JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(SharedAlbum::from))
    }
}
