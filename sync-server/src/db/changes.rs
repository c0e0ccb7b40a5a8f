//! The change feed's rows: each change to an account's albums, numbered per account.
//!
//! The number comes from the account's row (`UPDATE users SET change_seq =
//! change_seq + 1 … RETURNING`) inside the transaction that makes the change. PostgreSQL keeps that
//! row locked until the transaction ends, and SQLite has one writer at a time, so two
//! changes of one account are numbered in the order they commit: once a reader sees
//! number n, every smaller number is already visible. A reader that asks for "after n"
//! therefore never skips a change that commits later, nor sees one twice.

use super::{Db, Result, Tx};

/// What happened; stored as the kind's word (an unknown word is an error).
pub use picup_api::ChangeKind;

/// seq, kind, album_id, photo_id, at.
type ChangeRow = (i64, String, Option<String>, Option<String>, i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub kind: ChangeKind,
    pub album_id: Option<String>,
    pub photo_id: Option<String>,
    pub at: i64,
}

impl Db {
    /// Up to `limit` of the account's changes numbered after `since`, in order.
    pub async fn changes_after(
        &self,
        user_id: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<Change>> {
        let rows: Vec<ChangeRow> = sqlx::query_as(
            "SELECT seq, kind, album_id, photo_id, at FROM changes \
             WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(user_id)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(seq, kind, album_id, photo_id, at)| {
                let kind = ChangeKind::parse(&kind).ok_or_else(|| {
                    super::DbError::Sql(sqlx::Error::Decode(
                        format!("unknown change kind {kind:?}").into(),
                    ))
                })?;
                Ok(Change {
                    seq,
                    kind,
                    album_id,
                    photo_id,
                    at,
                })
            })
            .collect()
    }
}

impl Tx {
    /// Records a change of `user_id`'s as the next number of the account, and returns it.
    /// Holds the account's row until the transaction ends (see the module's note).
    pub async fn record_change(
        &mut self,
        user_id: &str,
        kind: ChangeKind,
        album_id: Option<&str>,
        photo_id: Option<&str>,
        now: i64,
    ) -> Result<i64> {
        let seq: i64 = sqlx::query_scalar(
            "UPDATE users SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq",
        )
        .bind(user_id)
        .fetch_one(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO changes (user_id, seq, kind, album_id, photo_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(seq)
        .bind(kind.as_str())
        .bind(album_id)
        .bind(photo_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stored_as_their_words_and_read_back() {
        for kind in ChangeKind::KNOWN {
            assert_eq!(ChangeKind::parse(kind.as_str()), Some(kind));
            let on_the_wire = serde_json::to_value(kind).unwrap();
            assert_eq!(on_the_wire, kind.as_str(), "stored as sent");
        }
        assert_eq!(ChangeKind::parse("album_exploded"), None);
        assert_eq!(ChangeKind::parse("unknown"), None, "never stored");
    }
}
