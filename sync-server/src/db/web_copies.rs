//! Videos' web copies: which video still needs its copy looked at, and recording one
//! (once; its bytes join the photo's and the owner's).

use super::{Db, Result, Tx};

/// A stored video whose web copy has not been made.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ToCopy {
    pub user_id: String,
    pub object_prefix: String,
}

impl Db {
    /// The live video `photo_id`, if it has no web copy yet.
    pub async fn video_to_copy(&self, photo_id: &str) -> Result<Option<ToCopy>> {
        Ok(sqlx::query_as(
            "SELECT user_id, object_prefix FROM photos \
             WHERE id = $1 AND deleted_at IS NULL AND web_copy_size IS NULL \
               AND content_type LIKE 'video/%'",
        )
        .bind(photo_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

impl Tx {
    /// Records the web copy of `photo_id` (`size` bytes, already stored) and counts it in
    /// the photo's stored bytes and its owner's space. False, changing nothing, if the
    /// photo has one already or is no longer live.
    pub async fn set_web_copy(&mut self, photo_id: &str, user_id: &str, size: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE photos SET web_copy_size = $1, stored_bytes = stored_bytes + $1 \
             WHERE id = $2 AND web_copy_size IS NULL AND deleted_at IS NULL",
        )
        .bind(size)
        .bind(photo_id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        self.move_quota(user_id, 0, size).await?;
        Ok(true)
    }
}
