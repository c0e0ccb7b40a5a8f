//! Albums: their rows, as the owner's list and pages see them. An album in the Trash
//! (`trashed_at` set) or deleted (`deleted_at` set) is not live: none of these finds it,
//! and an album counts and shows only the photos whose place in it is not in the Trash.

use super::{Db, Result, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Album {
    pub id: String,
    pub title: String,
    pub created_at: i64,
    /// The photos it shows (those whose place in it is not in the Trash), videos
    /// included.
    pub photo_count: i64,
    /// How many of those are videos (stored with a `video/…` content type).
    pub video_count: i64,
    pub folder_name: Option<String>,
    /// The first shown photo with a thumbnail, in the order taken, and where its objects
    /// are.
    pub cover_photo_id: Option<String>,
    pub cover_prefix: Option<String>,
    /// When it was moved to the Trash, if it is there.
    pub trashed_at: Option<i64>,
}

/// The album's first shown photo with a thumbnail (the cover), as `{column}` of photos.
macro_rules! cover_of_album {
    ($column:literal) => {
        concat!(
            "(SELECT p.",
            $column,
            " FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
              WHERE ap.album_id = a.id AND ap.trashed_at IS NULL AND p.deleted_at IS NULL \
                AND p.thumbnail_size IS NOT NULL \
              ORDER BY ap.taken_at, ap.photo_id LIMIT 1)"
        )
    };
}

/// The columns of [`Album`], for a query over `albums a`.
pub(super) const ALBUM_FIELDS: &str = concat!(
    // All places less those in the Trash: both counts read an index alone, so a shelf
    // of large albums costs no row reads. Telling videos apart needs each place's photo
    // row (looked up by its key), as only the photo knows its content type.
    "a.id, a.title, a.created_at, a.folder_name, a.trashed_at, \
    (SELECT COUNT(*) FROM album_photos ap WHERE ap.album_id = a.id) \
      - (SELECT COUNT(*) FROM album_photos ap \
          WHERE ap.album_id = a.id AND ap.trashed_at IS NOT NULL) AS photo_count, \
    (SELECT COUNT(*) FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
      WHERE ap.album_id = a.id AND ap.trashed_at IS NULL \
        AND p.content_type LIKE 'video/%') AS video_count, ",
    cover_of_album!("id"),
    " AS cover_photo_id, ",
    cover_of_album!("object_prefix"),
    " AS cover_prefix"
);

/// What the family page's link preview says of an album: when its shown photos were
/// taken (first and last, ms since 1970) and where its cover's objects are.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlbumSummary {
    pub first_taken: Option<i64>,
    pub last_taken: Option<i64>,
    pub cover_prefix: Option<String>,
}

/// What makes an album `a` live: neither deleted nor in the Trash.
const LIVE: &str = "a.deleted_at IS NULL AND a.trashed_at IS NULL";

impl Db {
    /// When the album's shown photos were taken, and its cover (see [`AlbumSummary`]).
    pub async fn album_summary(&self, album_id: &str) -> Result<AlbumSummary> {
        const SHOWN: &str = "FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
            WHERE ap.album_id = a.id AND ap.trashed_at IS NULL AND p.deleted_at IS NULL";
        let sql = format!(
            "SELECT (SELECT MIN(ap.taken_at) {SHOWN}) AS first_taken, \
               (SELECT MAX(ap.taken_at) {SHOWN}) AS last_taken, {} AS cover_prefix \
             FROM albums a WHERE a.id = $1",
            cover_of_album!("object_prefix")
        );
        let summary: Option<AlbumSummary> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(album_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(summary.unwrap_or(AlbumSummary {
            first_taken: None,
            last_taken: None,
            cover_prefix: None,
        }))
    }

    /// A live album of this user's, or None (also for other users' albums).
    pub async fn album(&self, user_id: &str, album_id: &str) -> Result<Option<Album>> {
        let sql = format!(
            "SELECT {ALBUM_FIELDS} FROM albums a WHERE a.id = $1 AND a.user_id = $2 AND {LIVE}"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(album_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// True if the user has a live album with this id (cheaper than [`Db::album`]).
    pub async fn owns_album(&self, user_id: &str, album_id: &str) -> Result<bool> {
        let sql = format!("SELECT 1 FROM albums a WHERE a.id = $1 AND a.user_id = $2 AND {LIVE}");
        let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(album_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Live albums oldest first, after the keyset position `after` (created_at, id).
    pub async fn albums_page(
        &self,
        user_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<Album>> {
        let (after_time, after_id) = after.unwrap_or((i64::MIN, String::new()));
        let sql = format!(
            "SELECT {ALBUM_FIELDS} FROM albums a WHERE a.user_id = $1 AND {LIVE} \
               AND (a.created_at > $2 OR (a.created_at = $2 AND a.id > $3)) \
             ORDER BY a.created_at, a.id LIMIT $4"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after_time)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }
}

impl Tx {
    pub async fn insert_album(
        &mut self,
        id: &str,
        user_id: &str,
        title: &str,
        folder_name: Option<&str>,
        now: i64,
    ) -> Result<Album> {
        sqlx::query(
            "INSERT INTO albums (id, user_id, title, folder_name, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(user_id)
        .bind(title)
        .bind(folder_name)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(Album {
            id: id.into(),
            title: title.into(),
            created_at: now,
            photo_count: 0,
            video_count: 0,
            folder_name: folder_name.map(str::to_owned),
            cover_photo_id: None,
            cover_prefix: None,
            trashed_at: None,
        })
    }

    /// Gives the user's live album a new title; false if there is no such album.
    pub async fn rename_album(
        &mut self,
        user_id: &str,
        album_id: &str,
        title: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE albums SET title = $1 \
             WHERE id = $2 AND user_id = $3 AND deleted_at IS NULL AND trashed_at IS NULL",
        )
        .bind(title)
        .bind(album_id)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// True while the album exists, not deleted and not in the Trash (read inside the
    /// transaction, so a removal cannot slip in before it commits).
    pub async fn album_is_live(&mut self, album_id: &str) -> Result<bool> {
        let sql = format!("SELECT a.id FROM albums a WHERE a.id = $1 AND {LIVE}");
        let live: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(album_id)
            .fetch_optional(self.conn())
            .await?;
        Ok(live.is_some())
    }
}
