//! E-mail subscriptions to a shared album ("tell me when new photos are added"), the
//! keys their e-mails carry (only hashes kept), and what a digest reads: the photos and
//! videos the album has shown since the subscriber was last told, by the change feed.

use super::{Db, Result, Tx};

/// A subscription as a digest or a confirmation needs it.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub album_id: String,
    /// The album's owner (whose change feed says what is new).
    pub user_id: String,
    pub album_title: String,
    pub email: String,
    /// The album link's address the visitor subscribed from.
    pub link_url: String,
    pub confirmed: bool,
    /// The owner's change number up to which the subscriber has been told.
    pub seen_seq: i64,
    pub digests_sent: i64,
    /// The link is still open and the album shown (not revoked, expired or in the Trash).
    pub link_open: bool,
}

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: String,
    album_id: String,
    user_id: String,
    album_title: String,
    email: String,
    link_url: String,
    confirmed_at: Option<i64>,
    seen_seq: i64,
    digests_sent: i64,
    link_open: i64,
}

impl From<SubscriptionRow> for Subscription {
    fn from(row: SubscriptionRow) -> Subscription {
        Subscription {
            id: row.id,
            album_id: row.album_id,
            user_id: row.user_id,
            album_title: row.album_title,
            email: row.email,
            link_url: row.link_url,
            confirmed: row.confirmed_at.is_some(),
            seen_seq: row.seen_seq,
            digests_sent: row.digests_sent,
            link_open: row.link_open != 0,
        }
    }
}

/// What a new subscription records.
pub struct NewSubscription<'a> {
    pub id: &'a str,
    pub share_link_id: &'a str,
    pub album_id: &'a str,
    pub email: &'a str,
    pub link_url: &'a str,
}

/// Photos and videos an album shows that were added after a change number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlbumNews {
    pub photos: i64,
    pub videos: i64,
    /// A few of the newest, for thumbnails: their object prefixes.
    pub newest_prefixes: Vec<String>,
}

/// One subscription's row, its album and whether its link still opens the album; `$1`
/// is the time now.
const SELECT_SUBSCRIPTION: &str = "SELECT s.id, s.album_id, a.user_id, a.title AS album_title, \
       s.email, s.link_url, s.confirmed_at, s.seen_seq, s.digests_sent, \
       CAST(CASE WHEN l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > $1) \
         AND a.deleted_at IS NULL AND a.trashed_at IS NULL THEN 1 ELSE 0 END AS BIGINT) AS link_open \
     FROM subscriptions s \
     JOIN share_links l ON l.id = s.share_link_id \
     JOIN albums a ON a.id = s.album_id";

impl Db {
    /// The subscription `id`, as of `now`.
    pub async fn subscription(&self, id: &str, now: i64) -> Result<Option<Subscription>> {
        let sql = format!("{SELECT_SUBSCRIPTION} WHERE s.id = $2");
        let row: Option<SubscriptionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Subscription::from))
    }

    /// The subscription a key opens, as of `now`.
    pub async fn subscription_by_key(
        &self,
        key_hash: &str,
        now: i64,
    ) -> Result<Option<Subscription>> {
        let sql = format!(
            "{SELECT_SUBSCRIPTION} JOIN subscription_keys k ON k.subscription_id = s.id \
             WHERE k.key_hash = $2"
        );
        let row: Option<SubscriptionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Subscription::from))
    }

    /// Confirmed subscriptions whose link is open, whose last digest was at or before
    /// `told_before` (or never), and whose album shows something added since: the
    /// digests due, as (subscription id, digests sent so far), at most `limit`.
    pub async fn digests_due(
        &self,
        now: i64,
        told_before: i64,
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.digests_sent FROM subscriptions s \
             JOIN share_links l ON l.id = s.share_link_id \
             JOIN albums a ON a.id = s.album_id \
             WHERE s.confirmed_at IS NOT NULL \
               AND (s.last_digest_at IS NULL OR s.last_digest_at <= $2) \
               AND l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > $1) \
               AND a.deleted_at IS NULL AND a.trashed_at IS NULL \
               AND EXISTS (SELECT 1 FROM changes c \
                 JOIN album_photos ap ON ap.album_id = c.album_id AND ap.photo_id = c.photo_id \
                 WHERE c.user_id = a.user_id AND c.seq > s.seen_seq AND c.kind = 'photo_added' \
                   AND c.album_id = s.album_id AND ap.trashed_at IS NULL) \
             ORDER BY s.last_digest_at LIMIT $3",
        )
        .bind(now)
        .bind(told_before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The owner's latest change number: everything up to it has been committed.
    pub async fn latest_change(&self, user_id: &str) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT change_seq FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }

    /// What the album shows that was added after change `after` up to `until`: photos and
    /// videos counted apart, each once, and up to `newest` of the latest.
    pub async fn album_news(
        &self,
        user_id: &str,
        album_id: &str,
        after: i64,
        until: i64,
        newest: i64,
    ) -> Result<AlbumNews> {
        const ADDED: &str = "FROM photos p JOIN album_photos ap ON ap.photo_id = p.id \
             WHERE ap.album_id = $2 AND ap.trashed_at IS NULL AND p.deleted_at IS NULL \
               AND p.id IN (SELECT c.photo_id FROM changes c WHERE c.user_id = $1 \
                 AND c.seq > $3 AND c.seq <= $4 AND c.kind = 'photo_added' AND c.album_id = $2)";
        let counts = format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN p.content_type LIKE 'video/%' THEN 0 ELSE 1 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN p.content_type LIKE 'video/%' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             {ADDED}"
        );
        let (photos, videos): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(counts))
            .bind(user_id)
            .bind(album_id)
            .bind(after)
            .bind(until)
            .fetch_one(&self.pool)
            .await?;
        let latest = format!(
            "SELECT p.object_prefix {ADDED} AND p.thumbnail_size IS NOT NULL \
             ORDER BY p.created_at DESC, p.id LIMIT $5"
        );
        let newest_prefixes = sqlx::query_scalar(sqlx::AssertSqlSafe(latest))
            .bind(user_id)
            .bind(album_id)
            .bind(after)
            .bind(until)
            .bind(newest)
            .fetch_all(&self.pool)
            .await?;
        Ok(AlbumNews {
            photos,
            videos,
            newest_prefixes,
        })
    }

    /// Keeps the hash of a key an e-mail about to be sent will carry.
    pub async fn add_subscription_key(
        &self,
        subscription_id: &str,
        key_hash: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO subscription_keys (key_hash, subscription_id, created_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(key_hash)
        .bind(subscription_id)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Confirms the subscription (once; a second click changes nothing).
    pub async fn confirm_subscription(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE subscriptions SET confirmed_at = $1 WHERE id = $2 AND confirmed_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Forgets the subscription a key opens, with its keys; false for an unknown key.
    pub async fn unsubscribe_by_key(&self, key_hash: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM subscriptions WHERE id IN \
             (SELECT subscription_id FROM subscription_keys WHERE key_hash = $1)",
        )
        .bind(key_hash)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl Tx {
    /// The album's subscription for `email`: (id, confirmed), if there is one.
    pub async fn find_subscription(
        &mut self,
        album_id: &str,
        email: &str,
    ) -> Result<Option<(String, bool)>> {
        let row: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT id, confirmed_at FROM subscriptions WHERE album_id = $1 AND email = $2",
        )
        .bind(album_id)
        .bind(email)
        .fetch_optional(self.conn())
        .await?;
        Ok(row.map(|(id, confirmed_at)| (id, confirmed_at.is_some())))
    }

    /// Records a subscription not yet confirmed; the subscriber is told of what is added
    /// after the owner's current change.
    pub async fn insert_subscription(
        &mut self,
        new: &NewSubscription<'_>,
        user_id: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO subscriptions (id, share_link_id, album_id, email, link_url, \
               created_at, seen_seq) \
             SELECT $1, $2, $3, $4, $5, $6, change_seq FROM users WHERE id = $7",
        )
        .bind(new.id)
        .bind(new.share_link_id)
        .bind(new.album_id)
        .bind(new.email)
        .bind(new.link_url)
        .bind(now)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Records digest number `number` as sent, telling up to change `until`; false when
    /// it already was (or the subscription is gone).
    pub async fn record_digest(
        &mut self,
        subscription_id: &str,
        number: i64,
        until: i64,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE subscriptions SET digests_sent = $1, seen_seq = $2, last_digest_at = $3 \
             WHERE id = $4 AND digests_sent = $1 - 1",
        )
        .bind(number)
        .bind(until)
        .bind(now)
        .bind(subscription_id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
