//! The album page as its owner sees it, the server's busiest read: whether the account
//! has that live album, a page of its photos and the hearts and comments under them. On
//! a SQLite file the three statements run in one hand-off to a native connection
//! ([`super::native_reads`]); elsewhere they are the sqlx statements every other caller
//! uses. Both answer the same.

use std::collections::HashMap;

use super::{Db, Photo, ResponseCounts, Result};

/// A page of an album's photos (up to `limit`, in taken order) and the responses under
/// them, by photo id.
pub type OwnedPage = (Vec<Photo>, HashMap<String, ResponseCounts>);

const OWNS: &str = "SELECT 1 FROM albums a WHERE a.id = ?1 AND a.user_id = ?2 \
     AND a.deleted_at IS NULL AND a.trashed_at IS NULL";
const PAGE: &str = "SELECT p.id, p.sha256, p.object_prefix, p.size, p.thumbnail_size, \
       p.preview_size, p.stored_bytes, p.content_type, p.taken_at, p.width, p.height, \
       p.file_name, p.file_modified_at, p.added_by, p.web_copy_size \
     FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
     WHERE ap.album_id = ?1 AND ap.trashed_at IS NULL AND p.deleted_at IS NULL \
       AND (ap.taken_at > ?2 OR (ap.taken_at = ?2 AND ap.photo_id > ?3)) \
     ORDER BY ap.taken_at, ap.photo_id LIMIT ?4";
/// The page's photos come in as one JSON array (`?2`), so the statement is the same
/// whatever the page's length and stays prepared.
const COUNTS: &str = "SELECT photo_id, SUM(hearts), SUM(comments) FROM ( \
       SELECT photo_id, 1 AS hearts, 0 AS comments FROM photo_hearts \
         WHERE album_id = ?1 AND photo_id IN (SELECT value FROM json_each(?2)) \
       UNION ALL \
       SELECT photo_id, 0 AS hearts, 1 AS comments FROM photo_comments \
         WHERE album_id = ?1 AND photo_id IN (SELECT value FROM json_each(?2)) \
           AND deleted_at IS NULL \
     ) GROUP BY photo_id";

impl Db {
    /// `user_id`'s live album `album_id`: up to `limit` of its photos after the keyset
    /// position `after` (taken_at, id) and their hearts and comments; None when the
    /// account has no such album.
    pub async fn owned_album_page(
        &self,
        user_id: &str,
        album_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Option<OwnedPage>> {
        let Some(native) = &self.native_reads else {
            if !self.owns_album(user_id, album_id).await? {
                return Ok(None);
            }
            let photos = self.album_photos_page(album_id, after, limit).await?;
            let ids: Vec<&str> = photos.iter().map(|p| p.id.as_str()).collect();
            let counts = self.response_counts(album_id, &ids).await?;
            return Ok(Some((photos, counts)));
        };
        let (user_id, album_id) = (user_id.to_owned(), album_id.to_owned());
        let (after_time, after_id) = after.unwrap_or((i64::MIN, String::new()));
        native
            .read(move |db| {
                if !owns_album(db, &user_id, &album_id)? {
                    return Ok(None);
                }
                let photos = db
                    .prepare_cached(PAGE)?
                    .query_map(
                        rusqlite::params![album_id, after_time, after_id, limit],
                        photo_from_row,
                    )?
                    .collect::<rusqlite::Result<Vec<Photo>>>()?;
                let ids = serde_json::Value::from(
                    photos.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
                )
                .to_string();
                let counts = db
                    .prepare_cached(COUNTS)?
                    .query_map(rusqlite::params![album_id, ids], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            ResponseCounts {
                                hearts: row.get(1)?,
                                comments: row.get(2)?,
                            },
                        ))
                    })?
                    .collect::<rusqlite::Result<HashMap<_, _>>>()?;
                Ok(Some((photos, counts)))
            })
            .await
    }
}

/// Whether `user_id` has the live album `album_id`, on a native connection.
pub(super) fn owns_album(
    db: &rusqlite::Connection,
    user_id: &str,
    album_id: &str,
) -> rusqlite::Result<bool> {
    db.prepare_cached(OWNS)?
        .exists(rusqlite::params![album_id, user_id])
}

fn photo_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Photo> {
    Ok(Photo {
        id: row.get(0)?,
        sha256: row.get(1)?,
        object_prefix: row.get(2)?,
        size: row.get(3)?,
        thumbnail_size: row.get(4)?,
        preview_size: row.get(5)?,
        stored_bytes: row.get(6)?,
        content_type: row.get(7)?,
        taken_at: row.get(8)?,
        width: row.get(9)?,
        height: row.get(10)?,
        file_name: row.get(11)?,
        file_modified_at: row.get(12)?,
        added_by: row.get(13)?,
        web_copy_size: row.get(14)?,
    })
}
