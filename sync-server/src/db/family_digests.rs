//! The owner's digest of what the family did: whether it is on, how far the owner has
//! been told (a change number), and what is new since: photos the family added through
//! a link, hearts given and comments written, per album. What the owner did themselves
//! is never counted (their photos carry no `added_by`; hearts and comments come only
//! through links).
//!
//! Whether a digest is due and what it says are read through the same conditions
//! (`family_photos`, `responses_in`), so a digest planned always finds its news.

use super::{Db, Result, Tx};

/// One account's switch and how far it has been told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyDigest {
    pub user_id: String,
    pub email: String,
    pub wanted: bool,
    pub seen_seq: i64,
    pub digests_sent: i64,
    /// The account is disabled: nothing is sent to it.
    pub disabled: bool,
}

/// "Grandma added 3 photos to Summer 2024".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyAdded {
    pub album_title: String,
    /// The name they typed when adding.
    pub name: String,
    pub photos: i64,
    pub videos: i64,
}

/// "2 new comments and 5 hearts on Summer 2024".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyResponses {
    pub album_title: String,
    pub hearts: i64,
    pub comments: i64,
}

/// A comment to quote, as typed (plain text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyQuote {
    pub album_title: String,
    pub name: String,
    pub text: String,
}

/// What the family did between two change numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyNews {
    pub added: Vec<FamilyAdded>,
    pub responses: Vec<FamilyResponses>,
    /// The latest few comments, newest first.
    pub quotes: Vec<FamilyQuote>,
    /// A few of the newest photos the family added, for thumbnails: their object prefixes.
    pub newest_prefixes: Vec<String>,
}

impl FamilyNews {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.responses.is_empty()
    }
}

/// Photos the family added to an album still shown, by the change that added each,
/// numbered after `after` and up to `until` (SQL expressions).
fn family_photos(user: &str, after: &str, until: &str) -> String {
    format!(
        "FROM changes c JOIN photos p ON p.id = c.photo_id \
         JOIN albums a ON a.id = c.album_id \
         JOIN album_photos ap ON ap.album_id = c.album_id AND ap.photo_id = c.photo_id \
         WHERE c.user_id = {user} AND c.seq > {after} AND c.seq <= {until} \
           AND c.kind = 'photo_added' AND p.added_by IS NOT NULL AND p.deleted_at IS NULL \
           AND ap.trashed_at IS NULL AND a.deleted_at IS NULL AND a.trashed_at IS NULL"
    )
}

/// Hearts (`photo_hearts`) or comments not deleted (`photo_comments`) under photos the
/// owner's albums still show, recorded after `after` and up to `until`.
fn responses_in(table: &str, user: &str, after: &str, until: &str) -> String {
    let live = if table == "photo_comments" {
        "AND r.deleted_at IS NULL"
    } else {
        ""
    };
    format!(
        "FROM {table} r JOIN albums a ON a.id = r.album_id \
         JOIN album_photos ap ON ap.album_id = r.album_id AND ap.photo_id = r.photo_id \
         JOIN photos p ON p.id = r.photo_id \
         WHERE a.user_id = {user} AND r.change_seq > {after} AND r.change_seq <= {until} {live} \
           AND a.deleted_at IS NULL AND a.trashed_at IS NULL AND ap.trashed_at IS NULL \
           AND p.deleted_at IS NULL"
    )
}

impl Db {
    /// The account's switch (None: never switched on).
    pub async fn family_digest(&self, user_id: &str) -> Result<Option<FamilyDigest>> {
        let row: Option<(String, String, i64, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT f.user_id, u.email, f.wanted, f.seen_seq, f.digests_sent, u.disabled_at \
             FROM family_digests f JOIN users u ON u.id = f.user_id WHERE f.user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(user_id, email, wanted, seen_seq, digests_sent, disabled_at)| FamilyDigest {
                user_id,
                email,
                wanted: wanted != 0,
                seen_seq,
                digests_sent,
                disabled: disabled_at.is_some(),
            },
        ))
    }

    /// Switches the digest on or off. Switched on from off, the owner is told only of
    /// what the family does from now on.
    pub async fn set_family_digest(&self, user_id: &str, on: bool) -> Result<()> {
        let sql = if on {
            "INSERT INTO family_digests (user_id, wanted, seen_seq) \
             SELECT id, 1, change_seq FROM users WHERE id = $1 \
             ON CONFLICT (user_id) DO UPDATE SET wanted = 1, seen_seq = CASE \
               WHEN family_digests.wanted = 0 THEN excluded.seen_seq \
               ELSE family_digests.seen_seq END"
        } else {
            "UPDATE family_digests SET wanted = 0 WHERE user_id = $1"
        };
        sqlx::query(sql).bind(user_id).execute(&self.writer).await?;
        Ok(())
    }

    /// Accounts (not disabled) with the digest on, last told at or before `told_before`
    /// (or never), whose family did something since: (user id, digests sent so far), at
    /// most `limit`.
    pub async fn family_digests_due(
        &self,
        told_before: i64,
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        let (user, after, until) = ("f.user_id", "f.seen_seq", "u.change_seq");
        let sql = format!(
            "SELECT f.user_id, f.digests_sent FROM family_digests f \
             JOIN users u ON u.id = f.user_id \
             WHERE f.wanted = 1 AND u.disabled_at IS NULL \
               AND (f.last_digest_at IS NULL OR f.last_digest_at <= $1) \
               AND (EXISTS (SELECT 1 {}) OR EXISTS (SELECT 1 {}) OR EXISTS (SELECT 1 {})) \
             ORDER BY f.last_digest_at LIMIT $2",
            family_photos(user, after, until),
            responses_in("photo_hearts", user, after, until),
            responses_in("photo_comments", user, after, until),
        );
        // Only fixed clauses are formatted in.
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(told_before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// What the family did in the owner's albums after change `after` up to `until`;
    /// up to `quotes` comments and `newest` thumbnails' prefixes.
    pub async fn family_news(
        &self,
        user_id: &str,
        after: i64,
        until: i64,
        quotes: i64,
        newest: i64,
    ) -> Result<FamilyNews> {
        let photos = family_photos("$1", "$2", "$3");
        let sql = format!(
            "SELECT a.title, p.added_by, \
               CAST(COUNT(DISTINCT CASE WHEN p.content_type LIKE 'video/%' THEN NULL ELSE p.id END) AS BIGINT), \
               CAST(COUNT(DISTINCT CASE WHEN p.content_type LIKE 'video/%' THEN p.id END) AS BIGINT) \
             {photos} GROUP BY c.album_id, a.title, p.added_by ORDER BY MIN(c.seq)"
        );
        let added: Vec<(String, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(until)
            .fetch_all(&self.pool)
            .await?;
        let sql = format!(
            "SELECT p.object_prefix {photos} AND p.thumbnail_size IS NOT NULL \
             ORDER BY c.seq DESC LIMIT $4"
        );
        let mut newest_prefixes: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(until)
            .bind(newest)
            .fetch_all(&self.pool)
            .await?;
        // A photo added to two albums is shown once.
        let mut seen = std::collections::HashSet::new();
        newest_prefixes.retain(|prefix| seen.insert(prefix.clone()));
        let hearts = responses_in("photo_hearts", "$1", "$2", "$3");
        let comments = responses_in("photo_comments", "$1", "$2", "$3");
        let sql = format!(
            "SELECT title, CAST(SUM(hearts) AS BIGINT), CAST(SUM(comments) AS BIGINT) FROM ( \
               SELECT a.id AS album_id, a.title AS title, r.change_seq AS seq, \
                 1 AS hearts, 0 AS comments {hearts} \
               UNION ALL \
               SELECT a.id, a.title, r.change_seq, 0, 1 {comments} \
             ) x GROUP BY album_id, title ORDER BY MIN(seq)"
        );
        let responses: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(until)
            .fetch_all(&self.pool)
            .await?;
        let sql = format!(
            "SELECT a.title, r.name, r.body {comments} ORDER BY r.change_seq DESC LIMIT $4"
        );
        let quoted: Vec<(String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(until)
            .bind(quotes)
            .fetch_all(&self.pool)
            .await?;
        Ok(FamilyNews {
            added: added
                .into_iter()
                .map(|(album_title, name, photos, videos)| FamilyAdded {
                    album_title,
                    name,
                    photos,
                    videos,
                })
                .collect(),
            responses: responses
                .into_iter()
                .map(|(album_title, hearts, comments)| FamilyResponses {
                    album_title,
                    hearts,
                    comments,
                })
                .collect(),
            quotes: quoted
                .into_iter()
                .map(|(album_title, name, text)| FamilyQuote {
                    album_title,
                    name,
                    text,
                })
                .collect(),
            newest_prefixes,
        })
    }
}

impl Tx {
    /// Records the owner's digest number `number` as sent, telling up to change `until`;
    /// false when it already was.
    pub async fn record_family_digest(
        &mut self,
        user_id: &str,
        number: i64,
        until: i64,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE family_digests SET digests_sent = $1, seen_seq = $2, last_digest_at = $3 \
             WHERE user_id = $4 AND digests_sent = $1 - 1",
        )
        .bind(number)
        .bind(until)
        .bind(now)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Numbers a heart just given with the change that recorded it.
    pub async fn number_heart(
        &mut self,
        album_id: &str,
        photo_id: &str,
        visitor_hash: &str,
        change_seq: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE photo_hearts SET change_seq = $1 \
             WHERE album_id = $2 AND photo_id = $3 AND visitor_hash = $4",
        )
        .bind(change_seq)
        .bind(album_id)
        .bind(photo_id)
        .bind(visitor_hash)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
