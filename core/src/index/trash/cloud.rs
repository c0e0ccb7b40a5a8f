//! The Trash and the family cloud: what the cloud must still do (sent by the sync
//! engine), the entries and items named by the cloud's ids (for the change feed), and
//! the cases where the cloud and this computer crossed: an album restored while its
//! removal was on its way, an item removed while it was being sent.

use rusqlite::{OptionalExtension, params};

use super::{CloudTrashAction, CloudTrashRequest};
use crate::index::{Index, IndexError, now_unix};

impl Index {
    /// The entry holding the cloud album `remote_id`, if it is in the Trash here, and
    /// when it was removed (Unix ms).
    pub fn trash_entry_for_remote_album(
        &self,
        remote_id: &str,
    ) -> Result<Option<(i64, i64)>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, trashed_at FROM trash WHERE remote_album_id = ?1 AND photo_id IS NULL
                  ORDER BY id DESC LIMIT 1",
                [remote_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// Whether this computer has asked the cloud for something it has not sent yet about
    /// the cloud album (and item): its own later wish, which a change read from the cloud
    /// must not undo.
    pub fn cloud_request_waiting(
        &self,
        action: CloudTrashAction,
        remote_album_id: &str,
        remote_photo_id: Option<&str>,
    ) -> Result<bool, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM cloud_trash_requests
                  WHERE action = ?1 AND remote_album_id = ?2 AND remote_photo_id IS ?3",
                params![action.word(), remote_album_id, remote_photo_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// What the cloud must still do, oldest first.
    pub fn cloud_trash_requests(&self) -> Result<Vec<CloudTrashRequest>, IndexError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, action, remote_album_id, remote_photo_id
               FROM cloud_trash_requests ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| {
            let word: String = row.get(1)?;
            Ok((row.get(0)?, word, row.get(2)?, row.get(3)?))
        })?;
        let mut requests = Vec::new();
        for row in rows {
            let (id, word, remote_album_id, remote_photo_id) = row?;
            // The CHECK constraint allows only known words.
            if let Some(action) = CloudTrashAction::parse(&word) {
                requests.push(CloudTrashRequest {
                    id,
                    action,
                    remote_album_id,
                    remote_photo_id,
                });
            }
        }
        Ok(requests)
    }

    pub fn cloud_trash_request_done(&self, id: i64) -> Result<(), IndexError> {
        self.conn
            .execute("DELETE FROM cloud_trash_requests WHERE id = ?1", [id])?;
        Ok(())
    }

    /// The cloud no longer had an item to restore: the album's copy of it is sent again
    /// (the cloud recognises content it still stores and sends nothing twice).
    pub fn resend_remote_photo(
        &self,
        remote_album_id: &str,
        remote_photo_id: &str,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE sync_items SET state = 'waiting', attempts = 0, next_try_at = 0,
                    reason = NULL, upload_id = NULL, part_etags = NULL, remote_photo_id = NULL
              WHERE remote_photo_id = ?2
                AND album_id = (SELECT album_id FROM remote_albums WHERE remote_id = ?1)",
            params![remote_album_id, remote_photo_id],
        )?;
        Ok(())
    }

    /// An item sent to the cloud after the parent removed it from its album here: the
    /// cloud is asked to remove it too, and the entry remembers the cloud's copy.
    pub fn sent_after_trash(
        &self,
        album_id: i64,
        photo_id: i64,
        remote_photo_id: &str,
    ) -> Result<bool, IndexError> {
        let entry: Option<(i64, Option<String>)> = self
            .conn
            .query_row(
                "SELECT id, remote_album_id FROM trash
                  WHERE album_id = ?1 AND photo_id = ?2 AND remote_photo_id IS NULL
                  ORDER BY id DESC LIMIT 1",
                params![album_id, photo_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((entry, remote_album)) = entry else {
            return Ok(false);
        };
        let remote_album = match remote_album {
            Some(remote) => Some(remote),
            None => self
                .conn
                .query_row(
                    "SELECT remote_id FROM remote_albums WHERE album_id = ?1",
                    [album_id],
                    |row| row.get(0),
                )
                .optional()?,
        };
        let Some(remote_album) = remote_album else {
            return Ok(false);
        };
        self.conn.execute(
            "UPDATE trash SET remote_album_id = ?2, remote_photo_id = ?3 WHERE id = ?1",
            params![entry, remote_album, remote_photo_id],
        )?;
        self.conn.execute(
            "INSERT INTO cloud_trash_requests (action, remote_album_id, remote_photo_id,
                                               requested_at)
             VALUES ('remove_photo', ?1, ?2, ?3)",
            params![remote_album, remote_photo_id, now_unix()],
        )?;
        Ok(true)
    }

    /// The entry holding the cloud item `remote_photo_id` of the cloud album
    /// `remote_album_id`, if it is in the Trash here, and when it was removed (Unix ms).
    pub fn trash_entry_for_remote_photo(
        &self,
        remote_album_id: &str,
        remote_photo_id: &str,
    ) -> Result<Option<(i64, i64)>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, trashed_at FROM trash WHERE remote_album_id = ?1 AND remote_photo_id = ?2
                  ORDER BY id DESC LIMIT 1",
                params![remote_album_id, remote_photo_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// The item of album `album_id` that is the cloud's `remote_photo_id` there.
    pub fn local_photo_for_remote(
        &self,
        album_id: i64,
        remote_photo_id: &str,
    ) -> Result<Option<i64>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT photo_id FROM sync_items WHERE album_id = ?1 AND remote_photo_id = ?2",
                params![album_id, remote_photo_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// The cloud moved the album to its Trash. If the parent restored the album here
    /// while that was being sent, the cloud is asked to restore it too.
    pub fn remote_album_deleted(&mut self, remote_id: &str) -> Result<(), IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let pending = tx.execute(
            "DELETE FROM remote_album_deletions WHERE remote_id = ?1",
            [remote_id],
        )? > 0;
        let back_here = tx
            .query_row(
                "SELECT 1 FROM remote_albums WHERE remote_id = ?1",
                [remote_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !pending && back_here {
            tx.execute(
                "INSERT INTO cloud_trash_requests (action, remote_album_id, requested_at)
                 VALUES ('restore_album', ?1, ?2)",
                params![remote_id, now_unix()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
