//! The Trash's rows: an album or a photo's place in an album moved there and back, what
//! an account's Trash holds, and the steps of purging it (the same for "Empty Trash" and
//! for the worker). Every statement names the account, so another family's ids find
//! nothing; the domain module `trash` puts the steps together.

use super::albums::{ALBUM_FIELDS, Album};
use super::photos::Photo;
use super::{Db, Result, Tx, placeholders};

/// Ids bound in one statement, at most (well under both databases' limits).
const CHUNK: usize = 500;

/// A photo's place in a live album, in the Trash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrashedLink {
    pub album_id: String,
    pub album_title: String,
    pub link_trashed_at: i64,
    #[sqlx(flatten)]
    pub photo: Photo,
}

/// Something that has been in the Trash long enough to go, for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueItem {
    pub user_id: String,
    pub album_id: String,
    /// The photo whose place in the album goes; None: the whole album.
    pub photo_id: Option<String>,
}

/// What restoring a photo's place in an album found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRestore {
    Restored,
    /// The album itself is in the Trash: the place comes back with it, not alone.
    AlbumInTrash,
    /// The account has no such place in its Trash.
    NotInTrash,
}

/// The photo columns of [`Photo`], over `photos p`.
const PHOTO_FIELDS: &str = "p.id, p.sha256, p.object_prefix, p.size, p.thumbnail_size, \
    p.preview_size, p.stored_bytes, p.content_type, p.taken_at, p.width, p.height, \
    p.file_name, p.file_modified_at, p.added_by, p.web_copy_size";

impl Db {
    /// The account's albums in the Trash, the most recently removed first.
    pub async fn trashed_albums(&self, user_id: &str) -> Result<Vec<Album>> {
        let sql = format!(
            "SELECT {ALBUM_FIELDS} FROM albums a \
             WHERE a.user_id = $1 AND a.trashed_at IS NOT NULL AND a.deleted_at IS NULL \
             ORDER BY a.trashed_at DESC, a.id"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Up to `limit` places of photos in the account's live albums that are in the Trash,
    /// the most recently removed first.
    pub async fn trashed_links(&self, user_id: &str, limit: i64) -> Result<Vec<TrashedLink>> {
        let sql = format!(
            "SELECT ap.album_id, a.title AS album_title, ap.trashed_at AS link_trashed_at, \
               {PHOTO_FIELDS} \
             FROM albums a JOIN album_photos ap ON ap.album_id = a.id \
               JOIN photos p ON p.id = ap.photo_id \
             WHERE a.user_id = $1 AND a.deleted_at IS NULL AND a.trashed_at IS NULL \
               AND ap.trashed_at IS NOT NULL AND p.deleted_at IS NULL \
             ORDER BY ap.trashed_at DESC, ap.album_id, ap.photo_id LIMIT $2"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The bytes emptying the account's Trash would free: its stored photos that the
    /// Trash holds (through a trashed album or place) and no live album shows.
    pub async fn trash_bytes(&self, user_id: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(p.stored_bytes), 0) AS BIGINT) FROM photos p \
             WHERE p.deleted_at IS NULL AND p.id IN ( \
                 SELECT ap.photo_id FROM albums a JOIN album_photos ap ON ap.album_id = a.id \
                 WHERE a.user_id = $1 AND a.trashed_at IS NOT NULL AND a.deleted_at IS NULL \
               UNION \
                 SELECT ap.photo_id FROM albums a JOIN album_photos ap ON ap.album_id = a.id \
                 WHERE a.user_id = $1 AND a.deleted_at IS NULL AND ap.trashed_at IS NOT NULL) \
               AND NOT EXISTS ( \
                 SELECT 1 FROM album_photos shown JOIN albums a ON a.id = shown.album_id \
                 WHERE shown.photo_id = p.id AND shown.trashed_at IS NULL \
                   AND a.deleted_at IS NULL AND a.trashed_at IS NULL)",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Up to `limit` albums and up to `limit` places, of every account, that went to the
    /// Trash at or before `trashed_by`, the oldest first.
    pub async fn trash_due(&self, trashed_by: i64, limit: i64) -> Result<Vec<DueItem>> {
        let albums: Vec<(String, String)> = sqlx::query_as(
            "SELECT user_id, id FROM albums \
             WHERE trashed_at IS NOT NULL AND trashed_at <= $1 AND deleted_at IS NULL \
             ORDER BY trashed_at LIMIT $2",
        )
        .bind(trashed_by)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let links: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT a.user_id, ap.album_id, ap.photo_id \
             FROM album_photos ap JOIN albums a ON a.id = ap.album_id \
             WHERE ap.trashed_at IS NOT NULL AND ap.trashed_at <= $1 AND a.deleted_at IS NULL \
             ORDER BY ap.trashed_at LIMIT $2",
        )
        .bind(trashed_by)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let albums = albums.into_iter().map(|(user_id, album_id)| DueItem {
            user_id,
            album_id,
            photo_id: None,
        });
        let links = links
            .into_iter()
            .map(|(user_id, album_id, photo_id)| DueItem {
                user_id,
                album_id,
                photo_id: Some(photo_id),
            });
        Ok(albums.chain(links).collect())
    }
}

impl Tx {
    /// Moves the account's live album to the Trash; false if there is no such album.
    pub async fn trash_album(&mut self, user_id: &str, album_id: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE albums SET trashed_at = $1 \
             WHERE id = $2 AND user_id = $3 AND deleted_at IS NULL AND trashed_at IS NULL",
        )
        .bind(now)
        .bind(album_id)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves a photo's place in the account's live album to the Trash; false if the album
    /// shows no such photo.
    pub async fn trash_link(
        &mut self,
        user_id: &str,
        album_id: &str,
        photo_id: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE album_photos SET trashed_at = $1 \
             WHERE album_id = $2 AND photo_id = $3 AND trashed_at IS NULL \
               AND album_id IN (SELECT id FROM albums \
                 WHERE id = $2 AND user_id = $4 AND deleted_at IS NULL AND trashed_at IS NULL)",
        )
        .bind(now)
        .bind(album_id)
        .bind(photo_id)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves the photo's place in every live album of the account that shows it to the
    /// Trash; returns those albums (none: no album showed it).
    pub async fn trash_photo_everywhere(
        &mut self,
        user_id: &str,
        photo_id: &str,
        now: i64,
    ) -> Result<Vec<String>> {
        let mut albums: Vec<String> = sqlx::query_scalar(
            "UPDATE album_photos SET trashed_at = $1 \
             WHERE photo_id = $2 AND trashed_at IS NULL \
               AND album_id IN (SELECT id FROM albums \
                 WHERE user_id = $3 AND deleted_at IS NULL AND trashed_at IS NULL) \
             RETURNING album_id",
        )
        .bind(now)
        .bind(photo_id)
        .bind(user_id)
        .fetch_all(self.conn())
        .await?;
        albums.sort();
        Ok(albums)
    }

    /// Takes the account's album out of the Trash, with the photos it showed; false if it
    /// is not in the Trash.
    pub async fn restore_album(&mut self, user_id: &str, album_id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE albums SET trashed_at = NULL \
             WHERE id = $1 AND user_id = $2 AND trashed_at IS NOT NULL AND deleted_at IS NULL",
        )
        .bind(album_id)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes a photo's place in the account's live album out of the Trash.
    pub async fn restore_link(
        &mut self,
        user_id: &str,
        album_id: &str,
        photo_id: &str,
    ) -> Result<LinkRestore> {
        let done = sqlx::query(
            "UPDATE album_photos SET trashed_at = NULL \
             WHERE album_id = $1 AND photo_id = $2 AND trashed_at IS NOT NULL \
               AND album_id IN (SELECT id FROM albums \
                 WHERE id = $1 AND user_id = $3 AND deleted_at IS NULL AND trashed_at IS NULL)",
        )
        .bind(album_id)
        .bind(photo_id)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(LinkRestore::Restored);
        }
        let in_trashed_album: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM album_photos ap JOIN albums a ON a.id = ap.album_id \
             WHERE ap.album_id = $1 AND ap.photo_id = $2 AND a.user_id = $3 \
               AND a.deleted_at IS NULL AND a.trashed_at IS NOT NULL",
        )
        .bind(album_id)
        .bind(photo_id)
        .bind(user_id)
        .fetch_optional(self.conn())
        .await?;
        Ok(match in_trashed_album {
            Some(_) => LinkRestore::AlbumInTrash,
            None => LinkRestore::NotInTrash,
        })
    }

    /// The account's albums in the Trash.
    pub async fn trashed_album_ids(&mut self, user_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM albums \
             WHERE user_id = $1 AND trashed_at IS NOT NULL AND deleted_at IS NULL",
        )
        .bind(user_id)
        .fetch_all(self.conn())
        .await?)
    }

    /// Purge step: forgets every place in the Trash of the account's live albums; returns
    /// their photos.
    pub async fn purge_all_trashed_links(&mut self, user_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "DELETE FROM album_photos WHERE trashed_at IS NOT NULL \
               AND album_id IN (SELECT id FROM albums \
                 WHERE user_id = $1 AND deleted_at IS NULL AND trashed_at IS NULL) \
             RETURNING photo_id",
        )
        .bind(user_id)
        .fetch_all(self.conn())
        .await?)
    }

    /// Purge step: forgets one place in the account's Trash if it went there at or before
    /// `trashed_by`; false if there is no such place.
    pub async fn purge_link(
        &mut self,
        user_id: &str,
        album_id: &str,
        photo_id: &str,
        trashed_by: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM album_photos \
             WHERE album_id = $1 AND photo_id = $2 AND trashed_at IS NOT NULL \
               AND trashed_at <= $3 \
               AND album_id IN (SELECT id FROM albums \
                 WHERE id = $1 AND user_id = $4 AND deleted_at IS NULL)",
        )
        .bind(album_id)
        .bind(photo_id)
        .bind(trashed_by)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Purge step: marks deleted those of `album_ids` that are in the account's Trash
    /// since `trashed_by` or before, and forgets every place in them. Returns how many
    /// albums went, and the photos they held.
    pub async fn purge_albums(
        &mut self,
        user_id: &str,
        album_ids: &[String],
        trashed_by: i64,
        now: i64,
    ) -> Result<(u64, Vec<String>)> {
        let (mut purged, mut photos) = (0, Vec::new());
        for chunk in album_ids.chunks(CHUNK) {
            let sql = format!(
                "UPDATE albums SET deleted_at = $1 \
                 WHERE user_id = $2 AND trashed_at IS NOT NULL AND trashed_at <= $3 \
                   AND deleted_at IS NULL AND id IN ({}) RETURNING id",
                placeholders(4, chunk.len())
            );
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(user_id)
                .bind(trashed_by);
            for id in chunk {
                query = query.bind(id);
            }
            let gone: Vec<String> = query.fetch_all(self.conn()).await?;
            if gone.is_empty() {
                continue;
            }
            purged += gone.len() as u64;
            let sql = format!(
                "DELETE FROM album_photos WHERE album_id IN ({}) RETURNING photo_id",
                placeholders(1, gone.len())
            );
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for id in &gone {
                query = query.bind(id);
            }
            let held: Vec<String> = query.fetch_all(self.conn()).await?;
            photos.extend(held);
        }
        Ok((purged, photos))
    }

    /// Purge step: marks deleted those of the account's `photo_ids` that no album (live
    /// or in the Trash) holds any more; returns them with their stored bytes.
    pub async fn delete_unheld_photos(
        &mut self,
        user_id: &str,
        photo_ids: &[String],
        now: i64,
    ) -> Result<Vec<(String, i64)>> {
        let mut deleted = Vec::new();
        for chunk in photo_ids.chunks(CHUNK) {
            let sql = format!(
                "UPDATE photos SET deleted_at = $1 \
                 WHERE user_id = $2 AND deleted_at IS NULL AND id IN ({}) \
                   AND NOT EXISTS (SELECT 1 FROM album_photos ap \
                     JOIN albums a ON a.id = ap.album_id \
                     WHERE ap.photo_id = photos.id AND a.deleted_at IS NULL) \
                 RETURNING id, stored_bytes",
                placeholders(3, chunk.len())
            );
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(user_id);
            for id in chunk {
                query = query.bind(id);
            }
            let rows: Vec<(String, i64)> = query.fetch_all(self.conn()).await?;
            deleted.extend(rows);
        }
        Ok(deleted)
    }
}
