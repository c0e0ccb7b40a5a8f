//! What `fsck` compares: each account's counters beside what its rows add up to, which
//! object prefixes the database accounts for, and whether every stored photo is held by
//! an album (shown, or in the Trash) or on its way out (marked deleted, with its job).

use super::{Db, JobKind, Result, UploadState};

/// One account's counters beside the sums of its rows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Usage {
    pub id: String,
    pub email: String,
    pub used_bytes: i64,
    pub reserved_bytes: i64,
    pub counted_photo_bytes: i64,
    pub counted_reservations: i64,
}

impl Db {
    /// True when a photo (live or awaiting purge) or a pending upload owns the prefix.
    pub async fn prefix_is_accounted_for(&self, prefix: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM photos WHERE object_prefix = $1 \
             UNION ALL SELECT 1 FROM uploads WHERE id = $1 AND state = $2",
        )
        .bind(prefix)
        .bind(UploadState::Pending.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    pub async fn pending_upload_ids(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM uploads WHERE state = $1")
                .bind(UploadState::Pending.as_str())
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Each account's counters beside what its rows add up to.
    pub async fn usage(&self) -> Result<Vec<Usage>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.email, u.used_bytes, u.reserved_bytes, \
               CAST(COALESCE((SELECT SUM(p.stored_bytes) FROM photos p WHERE p.user_id = u.id), 0) \
                 AS BIGINT) AS counted_photo_bytes, \
               CAST(COALESCE((SELECT SUM(x.reserved_bytes) FROM uploads x \
                 WHERE x.user_id = u.id AND x.state = $1), 0) AS BIGINT) \
                 AS counted_reservations \
             FROM users u ORDER BY u.email",
        )
        .bind(UploadState::Pending.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sets each account's counters to what its rows add up to (`fsck --repair`). Meant
    /// for a quiet moment: an upload completing at the same instant could be miscounted.
    pub async fn recount_usage(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE users SET \
               used_bytes = CAST(COALESCE((SELECT SUM(p.stored_bytes) FROM photos p \
                 WHERE p.user_id = users.id), 0) AS BIGINT), \
               reserved_bytes = CAST(COALESCE((SELECT SUM(x.reserved_bytes) FROM uploads x \
                 WHERE x.user_id = users.id AND x.state = $1), 0) AS BIGINT)",
        )
        .bind(UploadState::Pending.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    /// Stored photos (not marked deleted) that no album holds, neither shown nor in the
    /// Trash: nothing shows them, and no purge will ever erase them.
    pub async fn photos_held_by_nothing(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT p.id FROM photos p WHERE p.deleted_at IS NULL AND NOT EXISTS ( \
               SELECT 1 FROM album_photos ap JOIN albums a ON a.id = ap.album_id \
               WHERE ap.photo_id = p.id AND a.deleted_at IS NULL) ORDER BY p.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Photos marked deleted with no job to erase them: they would be counted forever.
    pub async fn deleted_photos_without_job(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT p.id FROM photos p WHERE p.deleted_at IS NOT NULL AND NOT EXISTS ( \
               SELECT 1 FROM jobs j WHERE j.id = $1 || ':' || p.id) ORDER BY p.id",
        )
        .bind(JobKind::PurgePhoto.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Places of photos kept in albums marked deleted (a purge forgets them).
    pub async fn places_in_deleted_albums(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM album_photos ap JOIN albums a ON a.id = ap.album_id \
             WHERE a.deleted_at IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}
