//! The index's side of the family cloud: the account this library syncs to, the upload
//! queue (one row per album and item, kept in step with `album_photos` by triggers), and
//! the server's album for each local album.
//!
//! Every change is one statement or one transaction, so a process killed between any two
//! leaves the queue consistent: at worst an upload is sent again, and the server answers
//! "already stored".

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Index, IndexError, now_unix};

/// The cloud account this library syncs to. The token itself is in the OS keyring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncAccount {
    pub server_url: String,
    pub email: String,
}

/// One (album, item) the server must hold, with what is needed to send it.
#[derive(Debug, Clone, PartialEq)]
pub struct DueItem {
    pub album_id: i64,
    pub photo_id: i64,
    pub remote_album_id: Option<String>,
    /// A file on disk holding the item (the album's own, if it has one).
    pub path: String,
    pub hash: String,
    pub is_video: bool,
    pub byte_size: i64,
    pub width: i64,
    pub height: i64,
    /// RFC 3339.
    pub taken_at: Option<String>,
    pub attempts: i64,
    pub sha256: Option<String>,
    pub upload_id: Option<String>,
    /// ETags of the parts already sent, by part number.
    pub part_etags: std::collections::BTreeMap<i32, String>,
}

/// How far the queue is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncCounts {
    pub total: i64,
    pub done: i64,
    pub waiting: i64,
    /// How many of the waiting are videos (the closing question counts them apart).
    pub waiting_videos: i64,
    pub failed: i64,
    /// Bytes of the originals still waiting.
    pub waiting_bytes: i64,
}

/// An item that gave up, with its reason in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedItem {
    pub album_id: i64,
    pub photo_id: i64,
    pub path: String,
    pub reason: String,
}

/// An upload the server opened and the item has not finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenUpload {
    pub album_id: i64,
    pub photo_id: i64,
    pub upload_id: String,
    /// Parts of the original already sent (uploads in parts only).
    pub parts_sent: i64,
}

/// A local album whose title differs from the one its server album has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRename {
    pub album_id: i64,
    pub remote_id: String,
    pub title: String,
}

/// The queue's next items (see [`Index::due_sync_items`]).
const DUE_ITEMS: &str = "SELECT s.album_id, s.photo_id, r.remote_id,
                    COALESCE((SELECT f.path FROM files f WHERE f.photo_id = s.photo_id
                               AND f.album_id = s.album_id ORDER BY f.id LIMIT 1),
                             (SELECT f.path FROM files f WHERE f.photo_id = s.photo_id
                               ORDER BY f.id LIMIT 1)),
                    p.hash, p.kind = 'video', p.byte_size, p.width, p.height,
                    p.taken_at, p.taken_offset, s.attempts, s.sha256, s.upload_id,
                    s.part_etags
               FROM sync_items s
               JOIN photos p ON p.id = s.photo_id
               LEFT JOIN remote_albums r ON r.album_id = s.album_id
              WHERE s.state = 'waiting' AND s.next_try_at <= ?1
              ORDER BY s.state, s.next_try_at, s.album_id, s.photo_id
              LIMIT ?2";

impl Index {
    /// The account this library syncs to, if the parent connected one.
    pub fn sync_account(&self) -> Result<Option<SyncAccount>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT server_url, email FROM sync_account WHERE id = 1",
                [],
                |row| {
                    Ok(SyncAccount {
                        server_url: row.get(0)?,
                        email: row.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records the account. A different account (or server) than before starts the
    /// cloud copy afresh: nothing known about the old one applies.
    pub fn set_sync_account(&mut self, account: &SyncAccount) -> Result<(), IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let previous: Option<(String, String)> = tx
            .query_row(
                "SELECT server_url, email FROM sync_account WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let same = previous
            .as_ref()
            .is_some_and(|(url, email)| *url == account.server_url && *email == account.email);
        if !same {
            tx.execute_batch(
                "UPDATE sync_items SET state = 'waiting', attempts = 0, next_try_at = 0,
                        reason = NULL, upload_id = NULL, part_etags = NULL,
                        remote_photo_id = NULL;
                 DELETE FROM remote_albums;
                 DELETE FROM remote_album_deletions;
                 DELETE FROM share_links;
                 DELETE FROM cloud_trash_requests;
                 UPDATE trash SET remote_album_id = NULL, remote_photo_id = NULL;",
            )?;
        }
        tx.execute(
            "INSERT INTO sync_account (id, server_url, email, connected_at)
             VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET server_url = ?1, email = ?2, connected_at = ?3",
            params![account.server_url, account.email, now_unix()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets the account (signing out). What was uploaded stays known, so signing in
    /// again to the same account sends nothing twice.
    pub fn clear_sync_account(&mut self) -> Result<(), IndexError> {
        self.conn.execute("DELETE FROM sync_account", [])?;
        Ok(())
    }

    /// Items due at `now_ms` (Unix ms, the engine's clock), skipping those listed in `busy` (already being sent):
    /// new items in album order first, then retries by their time. The order is the
    /// `sync_items_due` index's own (a WITHOUT ROWID table's index ends with the key), so
    /// a library of 100,000 items is neither sorted nor scanned past its done items.
    pub fn due_sync_items(
        &self,
        now_ms: i64,
        limit: usize,
        busy: &[(i64, i64)],
    ) -> Result<Vec<DueItem>, IndexError> {
        let mut stmt = self.conn.prepare_cached(DUE_ITEMS)?;
        let rows = stmt.query_map(params![now_ms, (limit + busy.len()) as i64], |row| {
            let path: Option<String> = row.get(3)?;
            let etags: Option<String> = row.get(14)?;
            Ok(DueItem {
                album_id: row.get(0)?,
                photo_id: row.get(1)?,
                remote_album_id: row.get(2)?,
                path: path.unwrap_or_default(),
                hash: row.get(4)?,
                is_video: row.get(5)?,
                byte_size: row.get(6)?,
                width: row.get(7)?,
                height: row.get(8)?,
                taken_at: super::rfc3339(row.get(9)?, row.get(10)?),
                attempts: row.get(11)?,
                sha256: row.get(12)?,
                upload_id: row.get(13)?,
                part_etags: etags
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or_default(),
            })
        })?;
        let mut due = Vec::new();
        for item in rows {
            let item = item?;
            if !busy.contains(&(item.album_id, item.photo_id)) {
                due.push(item);
            }
            if due.len() == limit {
                break;
            }
        }
        Ok(due)
    }

    /// When the next waiting item becomes due (Unix ms), if any waits.
    pub fn next_sync_due_at(&self) -> Result<Option<i64>, IndexError> {
        Ok(self.conn.query_row(
            "SELECT MIN(next_try_at) FROM sync_items WHERE state = 'waiting'",
            [],
            |row| row.get(0),
        )?)
    }

    /// How many attempts the item has spent.
    pub fn sync_item_attempts(&self, album_id: i64, photo_id: i64) -> Result<i64, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT attempts FROM sync_items WHERE album_id = ?1 AND photo_id = ?2",
                params![album_id, photo_id],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Remembers the item's SHA-256 for every album that holds it.
    pub fn set_sync_sha256(&self, photo_id: i64, sha256: &str) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE sync_items SET sha256 = ?2 WHERE photo_id = ?1",
            params![photo_id, sha256],
        )?;
        Ok(())
    }

    /// Remembers the server's upload for an item, so a restart resumes it.
    pub fn set_sync_upload(
        &self,
        album_id: i64,
        photo_id: i64,
        upload_id: Option<&str>,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE sync_items SET upload_id = ?3, part_etags = NULL
              WHERE album_id = ?1 AND photo_id = ?2",
            params![album_id, photo_id, upload_id],
        )?;
        Ok(())
    }

    /// Remembers one finished part of an upload in parts.
    pub fn record_sync_part(
        &self,
        album_id: i64,
        photo_id: i64,
        number: i32,
        etag: &str,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE sync_items
                SET part_etags = json_set(COALESCE(part_etags, '{}'), '$.' || ?3, ?4)
              WHERE album_id = ?1 AND photo_id = ?2",
            params![album_id, photo_id, number.to_string(), etag],
        )?;
        Ok(())
    }

    /// The server holds the item in this album.
    pub fn sync_item_done(
        &self,
        album_id: i64,
        photo_id: i64,
        remote_photo_id: &str,
    ) -> Result<(), IndexError> {
        let updated = self.conn.execute(
            "UPDATE sync_items SET state = 'done', remote_photo_id = ?3, reason = NULL,
                    upload_id = NULL, part_etags = NULL, attempts = 0
              WHERE album_id = ?1 AND photo_id = ?2",
            params![album_id, photo_id, remote_photo_id],
        )?;
        if updated == 0 {
            // Removed from its album while it was being sent: the cloud's new copy
            // follows it to the Trash.
            self.sent_after_trash(album_id, photo_id, remote_photo_id)?;
        }
        Ok(())
    }

    /// Tries the item again at `at` (Unix ms). `counted` spends one of its attempts.
    pub fn sync_item_later(
        &self,
        album_id: i64,
        photo_id: i64,
        at: i64,
        reason: &str,
        counted: bool,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE sync_items SET next_try_at = ?3, reason = ?4,
                    attempts = attempts + ?5
              WHERE album_id = ?1 AND photo_id = ?2",
            params![album_id, photo_id, at, reason, counted as i64],
        )?;
        Ok(())
    }

    /// Gives up on the item until the parent asks again.
    pub fn sync_item_failed(
        &self,
        album_id: i64,
        photo_id: i64,
        reason: &str,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE sync_items SET state = 'failed', reason = ?3,
                    upload_id = NULL, part_etags = NULL
              WHERE album_id = ?1 AND photo_id = ?2",
            params![album_id, photo_id, reason],
        )?;
        Ok(())
    }

    /// Puts every failed item back in the queue. Returns how many.
    pub fn retry_failed_sync_items(&self) -> Result<usize, IndexError> {
        Ok(self.conn.execute(
            "UPDATE sync_items SET state = 'waiting', attempts = 0, next_try_at = 0,
                    reason = NULL
              WHERE state = 'failed'",
            [],
        )?)
    }

    /// Makes every waiting item due now (the parent pressed "Try now", or space was freed).
    pub fn hurry_waiting_sync_items(&self) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE sync_items SET next_try_at = 0 WHERE state = 'waiting'",
            [],
        )?;
        Ok(())
    }

    pub fn sync_counts(&self) -> Result<SyncCounts, IndexError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*),
                    COALESCE(SUM(s.state = 'done'), 0),
                    COALESCE(SUM(s.state = 'waiting'), 0),
                    COALESCE(SUM(s.state = 'waiting' AND p.kind = 'video'), 0),
                    COALESCE(SUM(s.state = 'failed'), 0),
                    COALESCE(SUM(CASE WHEN s.state = 'waiting' THEN p.byte_size END), 0)
               FROM sync_items s JOIN photos p ON p.id = s.photo_id",
            [],
            |row| {
                Ok(SyncCounts {
                    total: row.get(0)?,
                    done: row.get(1)?,
                    waiting: row.get(2)?,
                    waiting_videos: row.get(3)?,
                    failed: row.get(4)?,
                    waiting_bytes: row.get(5)?,
                })
            },
        )?)
    }

    /// Uploads under way or left unfinished (they resume where they stopped).
    pub fn open_uploads(&self) -> Result<Vec<OpenUpload>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT album_id, photo_id, upload_id,
                    COALESCE((SELECT COUNT(*) FROM json_each(part_etags)), 0)
               FROM sync_items WHERE upload_id IS NOT NULL AND state = 'waiting'",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(OpenUpload {
                album_id: row.get(0)?,
                photo_id: row.get(1)?,
                upload_id: row.get(2)?,
                parts_sent: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn failed_sync_items(&self) -> Result<Vec<FailedItem>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT s.album_id, s.photo_id,
                    COALESCE((SELECT f.path FROM files f WHERE f.photo_id = s.photo_id
                               ORDER BY f.id LIMIT 1), ''),
                    COALESCE(s.reason, '')
               FROM sync_items s WHERE s.state = 'failed'
              ORDER BY s.album_id, s.photo_id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(FailedItem {
                album_id: row.get(0)?,
                photo_id: row.get(1)?,
                path: row.get(2)?,
                reason: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Every local album that has a server album: server id → local id.
    pub fn local_albums_by_remote(
        &self,
    ) -> Result<std::collections::HashMap<String, i64>, IndexError> {
        let mut statement = self
            .conn
            .prepare("SELECT remote_id, album_id FROM remote_albums")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The server album of a local album, if it has one.
    pub fn remote_album(&self, album_id: i64) -> Result<Option<String>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT remote_id FROM remote_albums WHERE album_id = ?1",
                [album_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub fn set_remote_album(
        &self,
        album_id: i64,
        remote_id: &str,
        title: &str,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "INSERT INTO remote_albums (album_id, remote_id, synced_title) VALUES (?1, ?2, ?3)
             ON CONFLICT (album_id) DO UPDATE SET remote_id = ?2, synced_title = ?3",
            params![album_id, remote_id, title],
        )?;
        Ok(())
    }

    /// The server lost the album (deleted there): make a new one and send its items again.
    pub fn forget_remote_album(&mut self, album_id: i64) -> Result<(), IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM remote_albums WHERE album_id = ?1", [album_id])?;
        tx.execute(
            "UPDATE sync_items SET state = 'waiting', attempts = 0, next_try_at = 0,
                    reason = NULL, upload_id = NULL, part_etags = NULL, remote_photo_id = NULL
              WHERE album_id = ?1",
            [album_id],
        )?;
        tx.execute("DELETE FROM share_links WHERE album_id = ?1", [album_id])?;
        tx.commit()?;
        Ok(())
    }

    /// Local albums renamed since their title was last sent.
    pub fn remote_renames(&self) -> Result<Vec<RemoteRename>, IndexError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.album_id, r.remote_id, a.title
               FROM remote_albums r JOIN albums a ON a.id = r.album_id
              WHERE a.title != r.synced_title",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(RemoteRename {
                album_id: row.get(0)?,
                remote_id: row.get(1)?,
                title: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Server albums whose local album was removed.
    pub fn remote_album_deletions(&self) -> Result<Vec<String>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT remote_id FROM remote_album_deletions ORDER BY requested_at")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_ms() -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    fn account(email: &str) -> SyncAccount {
        SyncAccount {
            server_url: "http://127.0.0.1:8080".into(),
            email: email.into(),
        }
    }

    #[test]
    fn due_items_come_from_the_index_without_sorting() {
        let index = Index::open_in_memory().unwrap();
        let plan: Vec<String> = index
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {DUE_ITEMS}"))
            .unwrap()
            .query_map([0, 4], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join(" | ");
        assert!(plan.contains("sync_items_due"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "no sort: {plan}");
    }

    #[test]
    fn the_queue_follows_albums_and_a_new_account_starts_afresh() {
        let mut index = Index::open_in_memory().unwrap();
        index
            .conn
            .execute_batch(
                "INSERT INTO albums (id, title, created_at) VALUES (1, 'Beach', 0), (2, 'Zoo', 0);
                 INSERT INTO photos (id, hash, kind, width, height, taken_at, taken_offset,
                                     taken_from, byte_size, added_at)
                 VALUES (10, 'h10', 'photo', 4, 3, 100, 0, 'file', 1000, 0),
                        (11, 'h11', 'video', 4, 3, 200, 0, 'file', 5000, 0);
                 INSERT INTO album_photos VALUES (1, 10), (1, 11), (2, 10);",
            )
            .unwrap();
        assert_eq!(index.sync_counts().unwrap().waiting, 3);
        assert_eq!(index.sync_counts().unwrap().waiting_videos, 1);
        assert_eq!(index.sync_counts().unwrap().waiting_bytes, 7000);

        index.set_sync_account(&account("a@x")).unwrap();
        let due = index.due_sync_items(now_ms(), 10, &[(1, 10)]).unwrap();
        assert_eq!(
            due.iter()
                .map(|d| (d.album_id, d.photo_id))
                .collect::<Vec<_>>(),
            vec![(1, 11), (2, 10)]
        );
        index.set_remote_album(1, "r1", "Beach").unwrap();
        index.set_sync_upload(1, 11, Some("u1")).unwrap();
        index.record_sync_part(1, 11, 1, "\"e1\"").unwrap();
        index.record_sync_part(1, 11, 2, "\"e2\"").unwrap();
        let video = index
            .due_sync_items(now_ms(), 10, &[])
            .unwrap()
            .into_iter()
            .find(|d| d.photo_id == 11)
            .unwrap();
        assert_eq!(video.remote_album_id.as_deref(), Some("r1"));
        assert_eq!(video.upload_id.as_deref(), Some("u1"));
        assert_eq!(video.part_etags.get(&2).map(String::as_str), Some("\"e2\""));

        index.sync_item_done(1, 10, "p10").unwrap();
        index.sync_item_failed(2, 10, "It broke.").unwrap();
        // The viewer finds a sent item's cloud ids (for its hearts and comments).
        let ids = |album, photo| index.remote_ids_of_item(album, photo).unwrap();
        assert_eq!(ids(1, 10), Some(("r1".to_owned(), "p10".to_owned())));
        assert_eq!(
            (ids(1, 11), ids(2, 10)),
            (None, None),
            "not in the cloud yet"
        );
        let counts = index.sync_counts().unwrap();
        assert_eq!((counts.done, counts.waiting, counts.failed), (1, 1, 1));
        assert_eq!(counts.waiting_videos, 1, "the one waiting is the video");
        assert_eq!(index.album(1).unwrap().unwrap().in_cloud, 1);
        assert_eq!(index.retry_failed_sync_items().unwrap(), 1);

        // Renaming is noticed; removing the album asks for the server album to go.
        index.rename_album(1, "Seaside").unwrap();
        assert_eq!(index.remote_renames().unwrap()[0].title, "Seaside");
        index.trash_album(1, 0, false).unwrap();
        assert_eq!(index.remote_album_deletions().unwrap(), vec!["r1"]);
        assert_eq!(index.sync_counts().unwrap().total, 1);

        // The same account keeps what is known; another one starts again.
        index.sync_item_done(2, 10, "p10").unwrap();
        index.set_sync_account(&account("a@x")).unwrap();
        assert_eq!(index.sync_counts().unwrap().done, 1);
        index.set_sync_account(&account("b@x")).unwrap();
        assert_eq!(index.sync_counts().unwrap().done, 0);
        assert!(index.remote_album_deletions().unwrap().is_empty());
    }
}
