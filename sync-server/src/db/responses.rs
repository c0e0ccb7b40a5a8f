//! Hearts and comments the family leaves under a photo of an album, and the daily
//! budgets that bound them. A browser is known only by the hash of its own random key.

use super::{Db, Result, Tx, placeholders};

/// A comment as kept: name and text as typed (plain text).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: String,
    pub photo_id: String,
    pub name: String,
    pub body: String,
    pub visitor_hash: String,
    pub created_at: i64,
}

/// A comment about to be written.
pub struct NewComment<'a> {
    pub id: &'a str,
    pub album_id: &'a str,
    pub photo_id: &'a str,
    pub share_link_id: &'a str,
    pub name: &'a str,
    pub body: &'a str,
    pub visitor_hash: &'a str,
    /// The change that records it (the owner's digest counts by it).
    pub change_seq: i64,
}

/// A photo's hearts and (not deleted) comments in one album.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseCounts {
    pub hearts: i64,
    pub comments: i64,
}

impl Db {
    /// Whether the album shows this photo now (its place not in the Trash, the photo
    /// not deleted).
    pub async fn album_shows_photo(&self, album_id: &str, photo_id: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
             WHERE ap.album_id = $1 AND ap.photo_id = $2 AND ap.trashed_at IS NULL \
               AND p.deleted_at IS NULL",
        )
        .bind(album_id)
        .bind(photo_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// The photo's hearts in the album, and whether `visitor_hash` gave one.
    pub async fn hearts(
        &self,
        album_id: &str,
        photo_id: &str,
        visitor_hash: Option<&str>,
    ) -> Result<(i64, bool)> {
        let (count, mine): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN visitor_hash = $3 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM photo_hearts WHERE album_id = $1 AND photo_id = $2",
        )
        .bind(album_id)
        .bind(photo_id)
        .bind(visitor_hash.unwrap_or(""))
        .fetch_one(&self.pool)
        .await?;
        Ok((count, mine > 0))
    }

    /// The latest `limit` comments under the photo in the album, newest last.
    pub async fn comments(
        &self,
        album_id: &str,
        photo_id: &str,
        limit: i64,
    ) -> Result<Vec<Comment>> {
        let mut rows: Vec<Comment> = sqlx::query_as(
            "SELECT id, photo_id, name, body, visitor_hash, created_at FROM photo_comments \
             WHERE album_id = $1 AND photo_id = $2 AND deleted_at IS NULL \
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(album_id)
        .bind(photo_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        Ok(rows)
    }

    /// Up to `limit` comments of the album (of photos it shows or showed), in the order
    /// written, after keyset (created_at, id).
    pub async fn album_comments(
        &self,
        album_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<Comment>> {
        let (after_time, after_id) = after.unwrap_or((i64::MIN, String::new()));
        Ok(sqlx::query_as(
            "SELECT id, photo_id, name, body, visitor_hash, created_at FROM photo_comments \
             WHERE album_id = $1 AND deleted_at IS NULL \
               AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
             ORDER BY created_at, id LIMIT $4",
        )
        .bind(album_id)
        .bind(after_time)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Hearts and comments of each of `photo_ids` in the album that has any, by photo id.
    pub async fn response_counts(
        &self,
        album_id: &str,
        photo_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, ResponseCounts>> {
        let mut counts = std::collections::HashMap::new();
        if photo_ids.is_empty() {
            return Ok(counts);
        }
        let ids = placeholders(2, photo_ids.len());
        let sql = format!(
            "SELECT photo_id, CAST(SUM(hearts) AS BIGINT), CAST(SUM(comments) AS BIGINT) FROM ( \
               SELECT photo_id, 1 AS hearts, 0 AS comments FROM photo_hearts \
                 WHERE album_id = $1 AND photo_id IN ({ids}) \
               UNION ALL \
               SELECT photo_id, 0 AS hearts, 1 AS comments FROM photo_comments \
                 WHERE album_id = $1 AND photo_id IN ({ids}) AND deleted_at IS NULL \
             ) r GROUP BY photo_id"
        );
        let mut query = sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql))
            .bind(album_id.to_owned());
        for id in photo_ids {
            query = query.bind(id.to_string());
        }
        for (photo_id, hearts, comments) in query.fetch_all(&self.pool).await? {
            counts.insert(photo_id, ResponseCounts { hearts, comments });
        }
        Ok(counts)
    }

    /// Whether a comment that is not deleted exists under this album.
    pub async fn comment_in_album(&self, album_id: &str, comment_id: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM photo_comments WHERE id = $1 AND album_id = $2 AND deleted_at IS NULL",
        )
        .bind(comment_id)
        .bind(album_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }
}

impl Tx {
    /// Gives the photo a heart from this browser; false if it had given one already.
    pub async fn add_heart(
        &mut self,
        album_id: &str,
        photo_id: &str,
        visitor_hash: &str,
        share_link_id: &str,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO photo_hearts (album_id, photo_id, visitor_hash, share_link_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (album_id, photo_id, visitor_hash) DO NOTHING",
        )
        .bind(album_id)
        .bind(photo_id)
        .bind(visitor_hash)
        .bind(share_link_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes this browser's heart back; false if it had none there.
    pub async fn remove_heart(
        &mut self,
        album_id: &str,
        photo_id: &str,
        visitor_hash: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM photo_hearts WHERE album_id = $1 AND photo_id = $2 AND visitor_hash = $3",
        )
        .bind(album_id)
        .bind(photo_id)
        .bind(visitor_hash)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_comment(&mut self, comment: &NewComment<'_>, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO photo_comments (id, album_id, photo_id, share_link_id, name, body, \
               visitor_hash, created_at, change_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(comment.id)
        .bind(comment.album_id)
        .bind(comment.photo_id)
        .bind(comment.share_link_id)
        .bind(comment.name)
        .bind(comment.body)
        .bind(comment.visitor_hash)
        .bind(now)
        .bind(comment.change_seq)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Marks a comment of the album deleted, if this browser wrote it. Its photo id, or
    /// None when there is no such comment of this browser's.
    pub async fn delete_visitor_comment(
        &mut self,
        album_id: &str,
        comment_id: &str,
        visitor_hash: &str,
        now: i64,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE photo_comments SET deleted_at = $1 \
             WHERE id = $2 AND album_id = $3 AND visitor_hash = $4 AND deleted_at IS NULL \
             RETURNING photo_id",
        )
        .bind(now)
        .bind(comment_id)
        .bind(album_id)
        .bind(visitor_hash)
        .fetch_optional(self.conn())
        .await?)
    }

    /// Marks a comment under one of the user's albums deleted. Its album and photo ids,
    /// or None when the user has no such comment.
    pub async fn delete_owned_comment(
        &mut self,
        user_id: &str,
        comment_id: &str,
        now: i64,
    ) -> Result<Option<(String, String)>> {
        Ok(sqlx::query_as(
            "UPDATE photo_comments SET deleted_at = $1 \
             WHERE id = $2 AND deleted_at IS NULL \
               AND album_id IN (SELECT id FROM albums WHERE user_id = $3) \
             RETURNING album_id, photo_id",
        )
        .bind(now)
        .bind(comment_id)
        .bind(user_id)
        .fetch_optional(self.conn())
        .await?)
    }

    /// Counts one more use of `scope`'s budget for `day`, unless `limit` uses are spent
    /// already: one conditional upsert, right with any number of replicas. Budgets of
    /// days before yesterday are forgotten on the way.
    pub async fn spend_budget(&mut self, scope: &str, day: i64, limit: i64) -> Result<bool> {
        if limit <= 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM response_budgets WHERE day < $1")
            .bind(day - 1)
            .execute(self.conn())
            .await?;
        let used: Option<i64> = sqlx::query_scalar(
            "INSERT INTO response_budgets (scope, day, used) VALUES ($1, $2, 1) \
             ON CONFLICT (scope, day) DO UPDATE SET used = response_budgets.used + 1 \
             WHERE response_budgets.used < $3 RETURNING used",
        )
        .bind(scope)
        .bind(day)
        .bind(limit)
        .fetch_optional(self.conn())
        .await?;
        Ok(used.is_some())
    }
}
