//! Originals coming back from the family cloud: one row per file to fetch into a kept
//! album's folder (its final name, size, SHA-256 and modification time), and how far the
//! change feed has been read.
//!
//! A row is planned before a byte is fetched and marked done only after the file has
//! its final name, so a restart knows exactly what is left. Finished rows stay: the
//! import's trigger (`sync_items_came_from_cloud`) reads them to know an item is
//! already in the cloud.

use rusqlite::{OptionalExtension, params};

use super::{Index, IndexError, now_unix_ms};

/// One original to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDownload<'a> {
    pub remote_album_id: &'a str,
    pub remote_photo_id: &'a str,
    pub album_id: i64,
    pub path: &'a str,
    pub size: i64,
    /// None when the server did not say: the file is then refused, never kept unchecked.
    pub sha256: Option<&'a str>,
    pub modified_at_ms: Option<i64>,
    /// What the album shows of the item until its original is here.
    pub shown: Option<ShownAs<'a>>,
}

/// What the album shows of an item on its way: who added it through a link (None for
/// the parent's own), whether it is a video, when it was taken, its size on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownAs<'a> {
    pub added_by: Option<&'a str>,
    pub is_video: bool,
    pub taken_at: &'a str,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// A planned download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub remote_album_id: String,
    pub remote_photo_id: String,
    pub album_id: i64,
    pub path: String,
    pub size: i64,
    pub sha256: Option<String>,
    pub modified_at_ms: Option<i64>,
}

/// How far the downloads of a set of albums are.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DownloadCounts {
    pub files: i64,
    pub done: i64,
    pub failed: i64,
    pub bytes: i64,
    pub done_bytes: i64,
}

impl Index {
    /// Makes a local album that is this computer's copy of the cloud album `remote_id`,
    /// kept in `folder`, in one transaction. Returns the existing one if the folder
    /// already has an album.
    pub fn album_for_cloud_copy(
        &mut self,
        remote_id: &str,
        title: &str,
        folder: &str,
    ) -> Result<i64, IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM albums WHERE folder_path = ?1",
                [folder],
                |row| row.get(0),
            )
            .optional()?;
        let album_id = match existing {
            Some(id) => id,
            None => {
                tx.execute(
                    "INSERT INTO albums (title, folder_path, created_at) VALUES (?1, ?2, ?3)",
                    params![title, folder, super::now_unix()],
                )?;
                tx.last_insert_rowid()
            }
        };
        tx.execute(
            "INSERT INTO remote_albums (album_id, remote_id, synced_title) VALUES (?1, ?2, ?3)
             ON CONFLICT (album_id) DO UPDATE SET remote_id = ?2",
            params![album_id, remote_id, title],
        )?;
        // Kept on purpose: a folder the parent once removed comes back when asked for.
        tx.execute("DELETE FROM hidden_folders WHERE path = ?1", [folder])?;
        tx.commit()?;
        Ok(album_id)
    }

    /// The folder an album mirrors, if it has one.
    pub fn album_folder(&self, album_id: i64) -> Result<Option<String>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT folder_path FROM albums WHERE id = ?1",
                [album_id],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// The cloud's photo ids this album already has or is fetching: sent from here, or
    /// planned for download.
    pub fn remote_photos_of(
        &self,
        album_id: i64,
    ) -> Result<std::collections::HashSet<String>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT remote_photo_id FROM sync_items
              WHERE album_id = ?1 AND remote_photo_id IS NOT NULL
             UNION SELECT remote_photo_id FROM cloud_downloads WHERE album_id = ?1",
        )?;
        let rows = stmt.query_map([album_id], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The SHA-256 of every item of the album this computer sends (or sent): a photo
    /// added to the cloud from here is never fetched back, even before its upload is
    /// recorded as finished.
    pub fn sha256s_sent_from(
        &self,
        album_id: i64,
    ) -> Result<std::collections::HashSet<String>, IndexError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256 FROM sync_items WHERE album_id = ?1 AND sha256 IS NOT NULL")?;
        let rows = stmt.query_map([album_id], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether any original was ever planned for download into this album, other than
    /// what the family added through a link: a kept album, which follows all the
    /// cloud's new photos (an album only shared from here follows the family's alone).
    pub fn is_kept_album(&self, album_id: i64) -> Result<bool, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM cloud_downloads WHERE album_id = ?1 AND added_by IS NULL LIMIT 1",
                [album_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Plans a download. False (and nothing changed) when `path` is already planned for
    /// another file: pick another name.
    pub fn plan_download(&self, download: &NewDownload) -> Result<bool, IndexError> {
        let inserted = self.conn.execute(
            "INSERT INTO cloud_downloads (remote_album_id, remote_photo_id, album_id, path,
                                          size, sha256, modified_at, added_by, kind, taken_at,
                                          width, height)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT DO NOTHING",
            params![
                download.remote_album_id,
                download.remote_photo_id,
                download.album_id,
                download.path,
                download.size,
                download.sha256,
                download.modified_at_ms,
                download.shown.as_ref().and_then(|s| s.added_by),
                download
                    .shown
                    .as_ref()
                    .map(|s| if s.is_video { "video" } else { "photo" }),
                download.shown.as_ref().map(|s| s.taken_at),
                download.shown.as_ref().and_then(|s| s.width),
                download.shown.as_ref().and_then(|s| s.height),
            ],
        )?;
        Ok(inserted == 1)
    }

    /// Whether a download already uses `path` as its final name.
    pub fn download_path_taken(&self, path: &str) -> Result<bool, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM cloud_downloads WHERE path = ?1",
                [path],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The downloads still to do, album by album.
    pub fn waiting_downloads(&self) -> Result<Vec<Download>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT remote_album_id, remote_photo_id, album_id, path, size, sha256,
                    modified_at
               FROM cloud_downloads WHERE state = 'waiting'
              ORDER BY album_id, path",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(Download {
                remote_album_id: row.get(0)?,
                remote_photo_id: row.get(1)?,
                album_id: row.get(2)?,
                path: row.get(3)?,
                size: row.get(4)?,
                sha256: row.get(5)?,
                modified_at_ms: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The file is in place under its final name, and its content is `blake3`.
    pub fn download_done(
        &self,
        remote_album_id: &str,
        remote_photo_id: &str,
        blake3: &str,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE cloud_downloads SET state = 'done', blake3 = ?3, reason = NULL
              WHERE remote_album_id = ?1 AND remote_photo_id = ?2",
            params![remote_album_id, remote_photo_id, blake3],
        )?;
        Ok(())
    }

    /// The download gave up, with the reason in plain words.
    pub fn download_failed(
        &self,
        remote_album_id: &str,
        remote_photo_id: &str,
        reason: &str,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE cloud_downloads SET state = 'failed', reason = ?3
              WHERE remote_album_id = ?1 AND remote_photo_id = ?2",
            params![remote_album_id, remote_photo_id, reason],
        )?;
        Ok(())
    }

    /// Albums with fetched files the library has not taken in yet (the run stopped
    /// between the download and the import), with their folders.
    pub fn albums_with_untaken_downloads(&self) -> Result<Vec<(i64, String)>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT a.id, a.folder_path FROM cloud_downloads d
               JOIN albums a ON a.id = d.album_id
              WHERE d.state = 'done' AND a.folder_path IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM files f WHERE f.path = d.path)
                AND NOT EXISTS (SELECT 1 FROM hidden_files h WHERE h.path = d.path)
              ORDER BY a.id",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Failed downloads go back to waiting: the parent asked to keep the albums again.
    pub fn retry_failed_downloads(&self) -> Result<usize, IndexError> {
        Ok(self.conn.execute(
            "UPDATE cloud_downloads SET state = 'waiting', reason = NULL
              WHERE state = 'failed'",
            [],
        )?)
    }

    /// Failed downloads: the file's final name and why.
    pub fn failed_downloads(&self) -> Result<Vec<(String, String)>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT path, COALESCE(reason, '') FROM cloud_downloads
              WHERE state = 'failed' ORDER BY path",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How far the downloads into `album_id` are (every album: None).
    pub fn download_counts(&self, album_id: Option<i64>) -> Result<DownloadCounts, IndexError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(state = 'done'), 0),
                    COALESCE(SUM(state = 'failed'), 0), COALESCE(SUM(size), 0),
                    COALESCE(SUM(CASE WHEN state = 'done' THEN size ELSE 0 END), 0)
               FROM cloud_downloads WHERE ?1 IS NULL OR album_id = ?1",
            [album_id],
            |row| {
                Ok(DownloadCounts {
                    files: row.get(0)?,
                    done: row.get(1)?,
                    failed: row.get(2)?,
                    bytes: row.get(3)?,
                    done_bytes: row.get(4)?,
                })
            },
        )?)
    }

    /// Where the change feed was read up to (None: never read).
    pub fn cloud_feed_cursor(&self) -> Result<Option<String>, IndexError> {
        Ok(self
            .conn
            .query_row("SELECT cursor FROM cloud_feed WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()?)
    }

    pub fn set_cloud_feed_cursor(&self, cursor: &str) -> Result<(), IndexError> {
        self.conn.execute(
            "INSERT INTO cloud_feed (id, cursor) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET cursor = ?1",
            [cursor],
        )?;
        Ok(())
    }

    /// When the parent last renamed the album on this computer (Unix ms), if ever.
    pub fn album_renamed_at(&self, album_id: i64) -> Result<Option<i64>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT renamed_at FROM albums WHERE id = ?1",
                [album_id],
                |row| row.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// The album was renamed in the cloud, later than here: take the cloud's title, and
    /// remember it as sent.
    pub fn take_remote_title(&mut self, album_id: i64, title: &str) -> Result<(), IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE albums SET title = ?2, renamed_at = ?3 WHERE id = ?1",
            params![album_id, title, now_unix_ms()],
        )?;
        tx.execute(
            "UPDATE remote_albums SET synced_title = ?2 WHERE album_id = ?1",
            params![album_id, title],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The title last sent to (or taken from) the cloud for this album.
    pub fn synced_title(&self, album_id: i64) -> Result<Option<String>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT synced_title FROM remote_albums WHERE album_id = ?1",
                [album_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// The album was removed in the cloud: unlink it first, so removing it here does not
    /// ask the cloud to remove it again.
    pub fn unlink_remote_album(&self, album_id: i64) -> Result<(), IndexError> {
        self.conn
            .execute("DELETE FROM remote_albums WHERE album_id = ?1", [album_id])?;
        Ok(())
    }
}
