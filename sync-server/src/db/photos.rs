//! Photos and the albums that show them. A photo's place in an album (`album_photos`)
//! may be in the Trash (`trashed_at`): the album then neither shows nor counts it, but
//! the photo stays stored until the place is purged and no album holds it any more.

use super::{Backend, Db, DbError, Result, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Photo {
    pub id: String,
    /// The original's SHA-256, lowercase hex.
    pub sha256: String,
    pub object_prefix: String,
    pub size: i64,
    pub thumbnail_size: Option<i64>,
    pub preview_size: Option<i64>,
    pub stored_bytes: i64,
    pub content_type: String,
    pub taken_at: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub file_name: Option<String>,
    pub file_modified_at: Option<i64>,
    /// Who added it through an album link (the name they gave), if the family did.
    pub added_by: Option<String>,
    /// A video's copy that every browser plays, if the worker made one.
    pub web_copy_size: Option<i64>,
}

/// A photo about to be recorded.
#[derive(Debug, Clone)]
pub struct NewPhoto<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub sha256: &'a str,
    pub object_prefix: &'a str,
    pub size: i64,
    pub thumbnail_size: Option<i64>,
    pub preview_size: Option<i64>,
    pub stored_bytes: i64,
    pub content_type: &'a str,
    pub taken_at: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub file_name: Option<&'a str>,
    pub file_modified_at: Option<i64>,
    pub added_by: Option<&'a str>,
}

impl Db {
    /// One page of the photos an album shows (not those of its places in the Trash), in
    /// taken order, after keyset (taken_at, id).
    pub async fn album_photos_page(
        &self,
        album_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<Photo>> {
        let (after_time, after_id) = after.unwrap_or((i64::MIN, String::new()));
        const PAGE: &str = "SELECT p.id, p.sha256, p.object_prefix, p.size, p.thumbnail_size, \
               p.preview_size, p.stored_bytes, p.content_type, p.taken_at, p.width, p.height, \
               p.file_name, p.file_modified_at, p.added_by, p.web_copy_size \
             FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
             WHERE ap.album_id = $1 AND ap.trashed_at IS NULL AND p.deleted_at IS NULL \
               AND (ap.taken_at > $2 OR (ap.taken_at = $2 AND ap.photo_id > $3)) \
             ORDER BY ap.taken_at, ap.photo_id LIMIT $4";
        // sqlx's SQLite driver hands each row from its worker thread to the caller through
        // a channel, and on a busy server those hand-offs, not SQLite, dominated the page
        // (measured with perf under `cargo xtask bench server`). On SQLite the page is
        // therefore built as one JSON value inside SQLite: one row, one hand-off.
        const SQLITE_AS_ONE_ROW: &str = "SELECT json_group_array(json_array(id, sha256, \
               object_prefix, size, thumbnail_size, preview_size, stored_bytes, content_type, \
               taken_at, width, height, file_name, file_modified_at, added_by, web_copy_size)) \
             FROM (SELECT p.id, p.sha256, p.object_prefix, p.size, p.thumbnail_size, \
               p.preview_size, p.stored_bytes, p.content_type, p.taken_at, p.width, p.height, \
               p.file_name, p.file_modified_at, p.added_by, p.web_copy_size, ap.photo_id AS sort_id, ap.taken_at AS sort_time \
             FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
             WHERE ap.album_id = $1 AND ap.trashed_at IS NULL AND p.deleted_at IS NULL \
               AND (ap.taken_at > $2 OR (ap.taken_at = $2 AND ap.photo_id > $3)) \
             ORDER BY ap.taken_at, ap.photo_id LIMIT $4)";
        if self.backend == Backend::Postgres {
            return Ok(sqlx::query_as(PAGE)
                .bind(album_id)
                .bind(after_time)
                .bind(after_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?);
        }
        let page: String = sqlx::query_scalar(SQLITE_AS_ONE_ROW)
            .bind(album_id)
            .bind(after_time)
            .bind(after_id)
            .bind(limit)
            .fetch_one(&self.pool)
            .await?;
        type Columns = (
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            i64,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Columns> = serde_json::from_str(&page)
            .map_err(|e| DbError::Sql(sqlx::Error::Decode(Box::new(e))))?;
        let mut photos: Vec<Photo> = rows
            .into_iter()
            .map(|c| Photo {
                id: c.0,
                sha256: c.1,
                object_prefix: c.2,
                size: c.3,
                thumbnail_size: c.4,
                preview_size: c.5,
                stored_bytes: c.6,
                content_type: c.7,
                taken_at: c.8,
                width: c.9,
                height: c.10,
                file_name: c.11,
                file_modified_at: c.12,
                added_by: c.13,
                web_copy_size: c.14,
            })
            .collect();
        // An aggregate's input order is how SQLite works, not a documented promise.
        photos.sort_by(|a, b| (a.taken_at, &a.id).cmp(&(b.taken_at, &b.id)));
        Ok(photos)
    }

    /// This user's live photo with that content, if any.
    pub async fn live_photo_with_content(
        &self,
        user_id: &str,
        sha256: &str,
    ) -> Result<Option<String>> {
        Ok(live_photo_with_content(&self.pool, user_id, sha256).await?)
    }

    pub async fn photo_prefix(&self, photo_id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT object_prefix FROM photos WHERE id = $1")
                .bind(photo_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Every photo row (live or awaiting purge), for checking the bucket.
    pub async fn all_photos(&self) -> Result<Vec<Photo>> {
        Ok(sqlx::query_as(
            "SELECT id, sha256, object_prefix, size, thumbnail_size, preview_size, \
               stored_bytes, content_type, taken_at, width, height, file_name, \
               file_modified_at, added_by, web_copy_size FROM photos",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

/// A stored photo still without its derived images.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ToDerive {
    pub user_id: String,
    pub object_prefix: String,
    pub content_type: String,
}

/// What the worker made of an original.
#[derive(Debug, Clone, Copy)]
pub struct DerivedSizes {
    pub thumbnail: i64,
    pub preview: i64,
    pub width: i64,
    pub height: i64,
    /// When it was taken, if the file says (milliseconds since 1970).
    pub taken_at: Option<i64>,
}

impl Db {
    /// The live photo `photo_id` if it still has no derived images.
    pub async fn photo_to_derive(&self, photo_id: &str) -> Result<Option<ToDerive>> {
        Ok(sqlx::query_as(
            "SELECT user_id, object_prefix, content_type FROM photos \
             WHERE id = $1 AND deleted_at IS NULL AND thumbnail_size IS NULL",
        )
        .bind(photo_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

impl Tx {
    /// Records a photo's derived images (once: false if it had them already), its upright
    /// size and, when the file said, when it was taken (its places in albums follow, so
    /// the album shows it in order). The images' bytes count against the owner's space.
    pub async fn set_derived(&mut self, photo_id: &str, made: &DerivedSizes) -> Result<bool> {
        let added = made.thumbnail + made.preview;
        let done = sqlx::query(
            "UPDATE photos SET thumbnail_size = $1, preview_size = $2, width = $3, height = $4, \
               taken_at = COALESCE($5, taken_at), stored_bytes = stored_bytes + $6 \
             WHERE id = $7 AND thumbnail_size IS NULL AND deleted_at IS NULL",
        )
        .bind(made.thumbnail)
        .bind(made.preview)
        .bind(made.width)
        .bind(made.height)
        .bind(made.taken_at)
        .bind(added)
        .bind(photo_id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(taken_at) = made.taken_at {
            sqlx::query("UPDATE album_photos SET taken_at = $1 WHERE photo_id = $2")
                .bind(taken_at)
                .bind(photo_id)
                .execute(self.conn())
                .await?;
        }
        Ok(true)
    }

    /// The user's live photo with that content, if any, as this transaction sees it.
    pub async fn live_photo_with_content(
        &mut self,
        user_id: &str,
        sha256: &str,
    ) -> Result<Option<String>> {
        Ok(live_photo_with_content(self.conn(), user_id, sha256).await?)
    }

    /// Shows a stored photo in an album, taking its place there out of the Trash if it was
    /// in it; false if the album showed it already.
    pub async fn link_photo(&mut self, album_id: &str, photo_id: &str) -> Result<bool> {
        Ok(link_photo(self.conn(), album_id, photo_id).await?)
    }

    pub async fn insert_photo(&mut self, photo: &NewPhoto<'_>, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO photos (id, user_id, sha256, object_prefix, size, thumbnail_size, \
               preview_size, stored_bytes, content_type, taken_at, width, height, created_at, \
               file_name, file_modified_at, added_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(photo.id)
        .bind(photo.user_id)
        .bind(photo.sha256)
        .bind(photo.object_prefix)
        .bind(photo.size)
        .bind(photo.thumbnail_size)
        .bind(photo.preview_size)
        .bind(photo.stored_bytes)
        .bind(photo.content_type)
        .bind(photo.taken_at)
        .bind(photo.width)
        .bind(photo.height)
        .bind(now)
        .bind(photo.file_name)
        .bind(photo.file_modified_at)
        .bind(photo.added_by)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Forgets a photo awaiting purge; returns its owner and stored bytes, or None if it
    /// was gone already (or is live).
    pub async fn forget_deleted_photo(&mut self, photo_id: &str) -> Result<Option<(String, i64)>> {
        Ok(sqlx::query_as(
            "DELETE FROM photos WHERE id = $1 AND deleted_at IS NOT NULL \
             RETURNING user_id, stored_bytes",
        )
        .bind(photo_id)
        .fetch_optional(self.conn())
        .await?)
    }
}

async fn live_photo_with_content<'c>(
    on: impl sqlx::Executor<'c, Database = sqlx::Any>,
    user_id: &str,
    sha256: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT id FROM photos WHERE user_id = $1 AND sha256 = $2 AND deleted_at IS NULL",
    )
    .bind(user_id)
    .bind(sha256)
    .fetch_optional(on)
    .await
}

async fn link_photo<'c>(
    on: impl sqlx::Executor<'c, Database = sqlx::Any>,
    album_id: &str,
    photo_id: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO album_photos (album_id, photo_id, taken_at) \
         SELECT $1, id, taken_at FROM photos WHERE id = $2 \
         ON CONFLICT (album_id, photo_id) DO UPDATE SET trashed_at = NULL \
           WHERE album_photos.trashed_at IS NOT NULL",
    )
    .bind(album_id)
    .bind(photo_id)
    .execute(on)
    .await?;
    Ok(done.rows_affected() == 1)
}
