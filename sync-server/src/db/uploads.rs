//! Uploads: a reservation of quota for one item, its state, and the store's multipart id
//! when the original goes in parts.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError, Result, Tx, placeholders};

/// Where an upload is in its life. Stored as these words; only the step that moves an
/// upload out of `Pending` changes a quota counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// Space is held; objects may still arrive.
    Pending,
    /// Recorded as a new photo.
    Completed,
    /// The same content was stored by another upload first; this one points at that photo.
    Deduplicated,
    /// Cancelled by the client, or its album went away before it completed.
    Aborted,
    /// Its time ran out before it completed.
    Expired,
}

impl UploadState {
    pub const ALL: [UploadState; 5] = [
        UploadState::Pending,
        UploadState::Completed,
        UploadState::Deduplicated,
        UploadState::Aborted,
        UploadState::Expired,
    ];

    /// The word the database keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Pending => "pending",
            UploadState::Completed => "completed",
            UploadState::Deduplicated => "deduplicated",
            UploadState::Aborted => "aborted",
            UploadState::Expired => "expired",
        }
    }

    pub fn parse(word: &str) -> Result<UploadState> {
        UploadState::ALL
            .into_iter()
            .find(|state| state.as_str() == word)
            .ok_or_else(|| DbError::UnknownWord {
                what: "an upload state",
                word: word.to_owned(),
            })
    }
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub user_id: String,
    pub album_id: String,
    pub sha256: String,
    pub size: i64,
    pub thumbnail_size: Option<i64>,
    pub preview_size: Option<i64>,
    pub reserved_bytes: i64,
    pub content_type: String,
    pub taken_at: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub state: UploadState,
    pub photo_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// The store's id when the original goes in parts.
    pub multipart_id: Option<String>,
    pub part_size: Option<i64>,
    /// The original's name and modification time on the computer it came from.
    pub file_name: Option<String>,
    pub file_modified_at: Option<i64>,
    /// Who added it through an album link, and which link (none: the owner's own).
    pub added_by: Option<String>,
    pub share_link_id: Option<String>,
}

/// Everything an upload records about its item when it is reserved.
#[derive(Debug, Clone)]
pub struct NewUpload<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub album_id: &'a str,
    pub sha256: &'a str,
    pub size: i64,
    pub thumbnail_size: Option<i64>,
    pub preview_size: Option<i64>,
    pub reserved_bytes: i64,
    pub content_type: &'a str,
    pub taken_at: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub expires_at: i64,
    pub file_name: Option<&'a str>,
    pub file_modified_at: Option<i64>,
    pub added_by: Option<&'a str>,
    pub share_link_id: Option<&'a str>,
}

/// An upload as stored; its state still a word.
#[derive(sqlx::FromRow)]
struct UploadRow {
    id: String,
    user_id: String,
    album_id: String,
    sha256: String,
    size: i64,
    thumbnail_size: Option<i64>,
    preview_size: Option<i64>,
    reserved_bytes: i64,
    content_type: String,
    taken_at: Option<i64>,
    width: Option<i64>,
    height: Option<i64>,
    state: String,
    photo_id: Option<String>,
    created_at: i64,
    expires_at: i64,
    multipart_id: Option<String>,
    part_size: Option<i64>,
    file_name: Option<String>,
    file_modified_at: Option<i64>,
    added_by: Option<String>,
    share_link_id: Option<String>,
}

impl TryFrom<UploadRow> for Upload {
    type Error = DbError;

    fn try_from(row: UploadRow) -> Result<Upload> {
        Ok(Upload {
            state: UploadState::parse(&row.state)?,
            id: row.id,
            user_id: row.user_id,
            album_id: row.album_id,
            sha256: row.sha256,
            size: row.size,
            thumbnail_size: row.thumbnail_size,
            preview_size: row.preview_size,
            reserved_bytes: row.reserved_bytes,
            content_type: row.content_type,
            taken_at: row.taken_at,
            width: row.width,
            height: row.height,
            photo_id: row.photo_id,
            created_at: row.created_at,
            expires_at: row.expires_at,
            multipart_id: row.multipart_id,
            part_size: row.part_size,
            file_name: row.file_name,
            file_modified_at: row.file_modified_at,
            added_by: row.added_by,
            share_link_id: row.share_link_id,
        })
    }
}

impl Db {
    /// The user's upload; None for unknown ids and for other users' uploads alike.
    pub async fn upload(&self, user_id: &str, upload_id: &str) -> Result<Option<Upload>> {
        let row: Option<UploadRow> =
            sqlx::query_as("SELECT * FROM uploads WHERE id = $1 AND user_id = $2")
                .bind(upload_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(Upload::try_from).transpose()
    }

    /// An upload made through the album link `share_link_id`; None for any other.
    pub async fn link_upload(
        &self,
        share_link_id: &str,
        upload_id: &str,
    ) -> Result<Option<Upload>> {
        let row: Option<UploadRow> =
            sqlx::query_as("SELECT * FROM uploads WHERE id = $1 AND share_link_id = $2")
                .bind(upload_id)
                .bind(share_link_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(Upload::try_from).transpose()
    }

    /// How many uploads were started through the link since `since`, and their bytes.
    pub async fn link_uploads_since(&self, share_link_id: &str, since: i64) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM uploads \
             WHERE share_link_id = $1 AND created_at >= $2",
        )
        .bind(share_link_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }

    /// An upload's state and the photo it became, if any.
    pub async fn upload_outcome(
        &self,
        upload_id: &str,
    ) -> Result<Option<(UploadState, Option<String>)>> {
        let row: Option<AnyRow> = sqlx::query("SELECT state, photo_id FROM uploads WHERE id = $1")
            .bind(upload_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some((
                UploadState::parse(row.try_get::<String, _>(0)?.as_str())?,
                row.try_get(1)?,
            ))),
            None => Ok(None),
        }
    }

    /// Records that the original goes to the store in parts.
    pub async fn set_upload_multipart(
        &self,
        upload_id: &str,
        multipart_id: &str,
        part_size: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE uploads SET multipart_id = $1, part_size = $2 WHERE id = $3")
            .bind(multipart_id)
            .bind(part_size)
            .bind(upload_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Holds a pending upload's space until `expires_at`. False if it is no longer
    /// pending.
    pub async fn renew_upload(&self, upload_id: &str, expires_at: i64) -> Result<bool> {
        let renewed =
            sqlx::query("UPDATE uploads SET expires_at = $1 WHERE id = $2 AND state = $3")
                .bind(expires_at)
                .bind(upload_id)
                .bind(UploadState::Pending.as_str())
                .execute(&self.writer)
                .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// The store's multipart id of each listed upload that went in parts.
    pub async fn multipart_ids(&self, upload_ids: &[String]) -> Result<Vec<(String, String)>> {
        if upload_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, multipart_id FROM uploads \
             WHERE multipart_id IS NOT NULL AND id IN ({})",
            placeholders(1, upload_ids.len())
        );
        // Only numbered placeholders are formatted in; the ids are bound.
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for id in upload_ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Pending uploads whose time ran out before `now`.
    pub async fn expired_uploads(&self, now: i64, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM uploads WHERE state = $1 AND expires_at < $2 \
             ORDER BY expires_at LIMIT $3",
        )
        .bind(UploadState::Pending.as_str())
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Tx {
    /// Records a new pending upload.
    pub async fn insert_upload(&mut self, upload: &NewUpload<'_>, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO uploads (id, user_id, album_id, sha256, size, thumbnail_size, \
               preview_size, reserved_bytes, content_type, taken_at, width, height, state, \
               created_at, expires_at, file_name, file_modified_at, added_by, share_link_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
               $17, $18, $19)",
        )
        .bind(upload.id)
        .bind(upload.user_id)
        .bind(upload.album_id)
        .bind(upload.sha256)
        .bind(upload.size)
        .bind(upload.thumbnail_size)
        .bind(upload.preview_size)
        .bind(upload.reserved_bytes)
        .bind(upload.content_type)
        .bind(upload.taken_at)
        .bind(upload.width)
        .bind(upload.height)
        .bind(UploadState::Pending.as_str())
        .bind(now)
        .bind(upload.expires_at)
        .bind(upload.file_name)
        .bind(upload.file_modified_at)
        .bind(upload.added_by)
        .bind(upload.share_link_id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Moves a pending upload to `to` (pointing at `photo_id`), and returns its owner and
    /// held bytes; None, with nothing changed, when it was no longer pending. Whoever gets
    /// Some is the one caller that settles its quota.
    pub async fn leave_pending(
        &mut self,
        upload_id: &str,
        to: UploadState,
        photo_id: Option<&str>,
    ) -> Result<Option<(String, i64)>> {
        Ok(sqlx::query_as(
            "UPDATE uploads SET state = $1, photo_id = $2 WHERE id = $3 AND state = $4 \
             RETURNING user_id, reserved_bytes",
        )
        .bind(to.as_str())
        .bind(photo_id)
        .bind(upload_id)
        .bind(UploadState::Pending.as_str())
        .fetch_optional(self.conn())
        .await?)
    }

    /// Changes the outcome of an upload this transaction has just taken out of pending.
    pub async fn set_upload_outcome(
        &mut self,
        upload_id: &str,
        state: UploadState,
        photo_id: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE uploads SET state = $1, photo_id = $2 WHERE id = $3")
            .bind(state.as_str())
            .bind(photo_id)
            .bind(upload_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_stored_as_their_words_and_unknown_words_are_errors() {
        for state in UploadState::ALL {
            assert_eq!(UploadState::parse(state.as_str()).unwrap(), state);
        }
        assert!(matches!(
            UploadState::parse("Pending"),
            Err(DbError::UnknownWord { .. })
        ));
    }
}
