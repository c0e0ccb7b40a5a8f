//! The Trash: what the parent removed, kept for [`TRASH_DAYS`] so that one wrong click
//! loses nothing.
//!
//! Removing moves rows out of the library's tables rather than marking them, so no query
//! elsewhere has to remember the Trash: the album (or the item's place in its album), its
//! files, its cloud queue rows with their state, its server album, its links and its
//! downloads are saved as JSON in `trash.saved`, and Restore writes them back. The items
//! an entry holds are listed in `trash_photos`, which keeps them (and their derived
//! images) in the library until the entry goes for good. Removed files are kept out of
//! catch-ups (`hidden_files`, like the folders of removed albums), so the watcher does
//! not bring them back.
//!
//! What the cloud must do to follow waits in `cloud_trash_requests`, sent by the sync
//! engine. A removal the engine has not sent yet is simply withdrawn by Restore.

use rusqlite::{OptionalExtension, Transaction, params};

mod cloud;
mod restore;
use serde::{Deserialize, Serialize};

use super::{Index, IndexError, now_unix};

/// How long an entry stays in the Trash.
pub const TRASH_DAYS: i64 = 30;
/// [`TRASH_DAYS`] in milliseconds.
pub const TRASH_MS: i64 = TRASH_DAYS * 24 * 60 * 60 * 1000;

/// One thing in the Trash: a whole album, or one item removed from an album.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrashEntry {
    pub id: i64,
    pub album_id: i64,
    /// The item, when one item was removed; `None` for a whole album.
    pub photo_id: Option<i64>,
    /// The album's title when it was removed.
    pub title: String,
    /// Items the entry holds (1 for an item).
    pub count: i64,
    pub video_count: i64,
    /// The item to show for it (an album's most recent photo).
    pub cover_photo_id: Option<i64>,
    /// Unix ms.
    pub trashed_at: i64,
    /// When it goes for good unless restored (Unix ms).
    pub purge_at: i64,
    /// Whether the family cloud holds it too (and will empty it with this computer).
    pub in_cloud: bool,
}

/// Something the cloud must do so its Trash follows this computer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudTrashAction {
    RemovePhoto,
    RestoreAlbum,
    RestorePhoto,
    PurgeAlbum,
    PurgePhoto,
}

impl CloudTrashAction {
    fn word(self) -> &'static str {
        match self {
            CloudTrashAction::RemovePhoto => "remove_photo",
            CloudTrashAction::RestoreAlbum => "restore_album",
            CloudTrashAction::RestorePhoto => "restore_photo",
            CloudTrashAction::PurgeAlbum => "purge_album",
            CloudTrashAction::PurgePhoto => "purge_photo",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        [
            CloudTrashAction::RemovePhoto,
            CloudTrashAction::RestoreAlbum,
            CloudTrashAction::RestorePhoto,
            CloudTrashAction::PurgeAlbum,
            CloudTrashAction::PurgePhoto,
        ]
        .into_iter()
        .find(|a| a.word() == word)
    }
}

/// A request waiting for the sync engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudTrashRequest {
    pub id: i64,
    pub action: CloudTrashAction,
    pub remote_album_id: String,
    pub remote_photo_id: Option<String>,
}

/// Which entries go for good.
#[derive(Debug, Clone, Copy)]
pub enum Purge<'a> {
    /// These entries (Empty Trash, or some of it).
    Entries(&'a [i64]),
    /// Every entry removed at or before this time (Unix ms): the ones whose time is up.
    TrashedBy(i64),
}

/// What a whole album's entry saves (written by [`SAVE_ALBUM`]).
#[derive(Debug, Deserialize)]
struct SavedAlbum {
    title: String,
    folder_path: Option<String>,
    created_at: i64,
    renamed_at: Option<i64>,
    photos: Vec<i64>,
    files: Vec<(String, i64, i64, i64)>,
    sync: Vec<SavedSync>,
    remote: Option<(String, String)>,
    shares: Vec<(String, String, Option<String>, bool, i64)>,
    downloads: Vec<SavedDownload>,
    root: bool,
    /// The links that let the family add (entries saved before version 6 have none).
    #[serde(default)]
    adding_links: Vec<String>,
    /// The links that ask for a password (entries saved before version 7 have none).
    #[serde(default)]
    password_links: Vec<String>,
    /// The links through which the family may not comment (entries saved before
    /// version 8 have none: their links all let the family comment).
    #[serde(default)]
    quiet_links: Vec<String>,
    /// What the downloads say of items the family added: remote photo, added by, kind,
    /// taken at, width, height (none before version 6).
    #[serde(default)]
    arriving: Vec<SavedArriving>,
}

type SavedArriving = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

/// One cloud queue row: photo, state, reason, SHA-256, server photo.
type SavedSync = (i64, String, Option<String>, Option<String>, Option<String>);
/// remote album, remote photo, path, size, SHA-256, modified, state, reason, BLAKE3.
type SavedDownload = (
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
);

/// What an item's entry saves (written by [`SAVE_ITEM`]).
#[derive(Debug, Deserialize)]
struct SavedItem {
    files: Vec<(String, i64, i64)>,
    sync: Option<SavedSync>,
}

/// Every row that belongs to album `?1`, as JSON. `json(…)` keeps each part JSON rather
/// than a string holding JSON.
const SAVE_ALBUM: &str = "SELECT json_object(
    'title', a.title, 'folder_path', a.folder_path, 'created_at', a.created_at,
    'renamed_at', a.renamed_at,
    'photos', json((SELECT json_group_array(photo_id) FROM album_photos WHERE album_id = a.id)),
    'files', json((SELECT json_group_array(json_array(path, size, mtime_ns, photo_id))
                     FROM files WHERE album_id = a.id)),
    'sync', json((SELECT json_group_array(json_array(photo_id, state, reason, sha256,
                                                     remote_photo_id))
                    FROM sync_items WHERE album_id = a.id)),
    'remote', json((SELECT json_array(remote_id, synced_title)
                      FROM remote_albums WHERE album_id = a.id)),
    'shares', json((SELECT json_group_array(json_array(id, url, expires_at,
                               json(CASE WHEN allow_download THEN 'true' ELSE 'false' END),
                               created_at))
                      FROM share_links WHERE album_id = a.id)),
    'downloads', json((SELECT json_group_array(json_array(remote_album_id, remote_photo_id,
                           path, size, sha256, modified_at, state, reason, blake3))
                         FROM cloud_downloads WHERE album_id = a.id)),
    'adding_links', json((SELECT json_group_array(id) FROM share_links
                           WHERE album_id = a.id AND allow_add)),
    'password_links', json((SELECT json_group_array(id) FROM share_links
                             WHERE album_id = a.id AND has_password)),
    'quiet_links', json((SELECT json_group_array(id) FROM share_links
                          WHERE album_id = a.id AND NOT allow_comments)),
    'arriving', json((SELECT json_group_array(json_array(remote_photo_id, added_by, kind,
                           taken_at, width, height))
                        FROM cloud_downloads WHERE album_id = a.id AND kind IS NOT NULL)),
    'root', json(CASE WHEN EXISTS (SELECT 1 FROM folders WHERE path = a.folder_path)
                      THEN 'true' ELSE 'false' END))
  FROM albums a WHERE a.id = ?1";

/// The rows of item `?2` in album `?1`, as JSON.
const SAVE_ITEM: &str = "SELECT json_object(
    'files', json((SELECT json_group_array(json_array(path, size, mtime_ns))
                     FROM files WHERE album_id = ?1 AND photo_id = ?2)),
    'sync', json((SELECT json_array(photo_id, state, reason, sha256, remote_photo_id)
                    FROM sync_items WHERE album_id = ?1 AND photo_id = ?2)))";

impl Index {
    /// Moves an album to the Trash: it leaves the shelf, its folder is no longer caught
    /// up, and its cloud album goes to the cloud's Trash, unless `cloud_knows` (the cloud
    /// removed it first). Returns the entry.
    pub fn trash_album(
        &mut self,
        album_id: i64,
        now_ms: i64,
        cloud_knows: bool,
    ) -> Result<i64, IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let saved: Option<String> = tx
            .query_row(SAVE_ALBUM, [album_id], |row| row.get(0))
            .optional()?;
        let Some(saved) = saved else {
            return Err(IndexError::NoSuchAlbum(album_id));
        };
        let album: SavedAlbum = parse(&saved)?;
        let remote = album.remote.as_ref().map(|(id, _)| id.as_str());
        tx.execute(
            "INSERT INTO trash (album_id, photo_id, title, trashed_at, remote_album_id, saved)
             VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
            params![album_id, album.title, now_ms, remote, saved],
        )?;
        let entry = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO trash_photos (trash_id, photo_id)
             SELECT ?1, photo_id FROM album_photos WHERE album_id = ?2",
            params![entry, album_id],
        )?;
        tx.execute("DELETE FROM files WHERE album_id = ?1", [album_id])?;
        // The album's queue rows, server album, links and downloads go with it (triggers
        // and cascades); the server album is queued for removal by the trigger.
        tx.execute("DELETE FROM albums WHERE id = ?1", [album_id])?;
        if let Some(folder) = &album.folder_path {
            tx.execute("DELETE FROM folders WHERE path = ?1", [folder])?;
            tx.execute(
                "INSERT INTO hidden_folders (path, hidden_at) VALUES (?1, ?2)
                 ON CONFLICT (path) DO NOTHING",
                params![folder, now_unix()],
            )?;
        }
        if cloud_knows && let Some(remote) = remote {
            tx.execute(
                "DELETE FROM remote_album_deletions WHERE remote_id = ?1",
                [remote],
            )?;
        }
        tx.commit()?;
        Ok(entry)
    }

    /// Moves items out of an album into the Trash, one entry each (in the order given),
    /// and asks the cloud to do the same unless `cloud_knows` (it removed them first).
    /// Items not in the album are refused, and then nothing moves.
    pub fn trash_items(
        &mut self,
        album_id: i64,
        photo_ids: &[i64],
        now_ms: i64,
        cloud_knows: bool,
    ) -> Result<Vec<i64>, IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let title: Option<String> = tx
            .query_row(
                "SELECT title FROM albums WHERE id = ?1",
                [album_id],
                |row| row.get(0),
            )
            .optional()?;
        let Some(title) = title else {
            return Err(IndexError::NoSuchAlbum(album_id));
        };
        let remote_album: Option<String> = tx
            .query_row(
                "SELECT remote_id FROM remote_albums WHERE album_id = ?1",
                [album_id],
                |row| row.get(0),
            )
            .optional()?;
        let mut entries = Vec::with_capacity(photo_ids.len());
        for &photo_id in photo_ids {
            let linked = tx
                .query_row(
                    "SELECT 1 FROM album_photos WHERE album_id = ?1 AND photo_id = ?2",
                    params![album_id, photo_id],
                    |_| Ok(()),
                )
                .optional()?;
            if linked.is_none() {
                return Err(IndexError::NotInAlbum { album_id, photo_id });
            }
            let saved: String =
                tx.query_row(SAVE_ITEM, params![album_id, photo_id], |row| row.get(0))?;
            let item: SavedItem = parse(&saved)?;
            let remote_photo = item.sync.as_ref().and_then(|s| s.4.clone());
            tx.execute(
                "INSERT INTO trash (album_id, photo_id, title, trashed_at, remote_album_id,
                                    remote_photo_id, saved)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    album_id,
                    photo_id,
                    title,
                    now_ms,
                    remote_album,
                    remote_photo,
                    saved
                ],
            )?;
            let entry = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO trash_photos (trash_id, photo_id) VALUES (?1, ?2)",
                params![entry, photo_id],
            )?;
            for (path, _, _) in &item.files {
                tx.execute(
                    "INSERT INTO hidden_files (path, hidden_at) VALUES (?1, ?2)
                     ON CONFLICT (path) DO NOTHING",
                    params![path, now_unix()],
                )?;
            }
            tx.execute(
                "DELETE FROM files WHERE album_id = ?1 AND photo_id = ?2",
                params![album_id, photo_id],
            )?;
            tx.execute(
                "DELETE FROM album_photos WHERE album_id = ?1 AND photo_id = ?2",
                params![album_id, photo_id],
            )?;
            if let (Some(remote_album), Some(remote_photo)) = (&remote_album, &remote_photo)
                && !cloud_knows
            {
                request(
                    &tx,
                    CloudTrashAction::RemovePhoto,
                    remote_album,
                    Some(remote_photo),
                )?;
            }
            entries.push(entry);
        }
        tx.commit()?;
        Ok(entries)
    }

    /// What the Trash holds, the most recently removed first. Items removed from an album
    /// that is itself in the Trash are shown with it (they come back when it does and
    /// then show on their own again).
    pub fn trash_entries(&self) -> Result<Vec<TrashEntry>, IndexError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.id, t.album_id, t.photo_id, t.title, t.trashed_at,
                    t.remote_album_id IS NOT NULL
                      AND (t.photo_id IS NULL OR t.remote_photo_id IS NOT NULL),
                    (SELECT COUNT(*) FROM trash_photos tp WHERE tp.trash_id = t.id),
                    (SELECT COUNT(*) FROM trash_photos tp JOIN photos p ON p.id = tp.photo_id
                      WHERE tp.trash_id = t.id AND p.kind = 'video'),
                    (SELECT p.id FROM trash_photos tp JOIN photos p ON p.id = tp.photo_id
                      WHERE tp.trash_id = t.id
                      ORDER BY p.kind = 'video', p.taken_at DESC, p.id DESC LIMIT 1)
               FROM trash t
              WHERE t.photo_id IS NULL
                 OR NOT EXISTS (SELECT 1 FROM trash whole
                                 WHERE whole.album_id = t.album_id AND whole.photo_id IS NULL)
              ORDER BY t.trashed_at DESC, t.id DESC",
        )?;
        let rows = stmt.query_map([], |row| {
            let trashed_at: i64 = row.get(4)?;
            Ok(TrashEntry {
                id: row.get(0)?,
                album_id: row.get(1)?,
                photo_id: row.get(2)?,
                title: row.get(3)?,
                trashed_at,
                purge_at: trashed_at + TRASH_MS,
                in_cloud: row.get(5)?,
                count: row.get(6)?,
                video_count: row.get(7)?,
                cover_photo_id: row.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// About how much cloud space emptying the Trash frees: the originals in the cloud
    /// that no album outside the Trash shows.
    pub fn trash_cloud_bytes(&self) -> Result<i64, IndexError> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(p.byte_size), 0) FROM photos p
              WHERE p.id IN (SELECT tp.photo_id FROM trash_photos tp
                               JOIN trash t ON t.id = tp.trash_id
                              WHERE t.remote_album_id IS NOT NULL)
                AND NOT EXISTS (SELECT 1 FROM album_photos ap WHERE ap.photo_id = p.id)",
            [],
            |row| row.get(0),
        )?)
    }

    /// Lets entries go for good. With `tell_cloud`, the cloud empties its copies of them
    /// too (Empty Trash); entries whose time is up are emptied by the cloud by itself.
    /// An album's entry takes the items removed from that album earlier with it. Returns
    /// the content hashes that left the library, whose derived images may go.
    pub fn purge_trash(
        &mut self,
        which: Purge<'_>,
        tell_cloud: bool,
    ) -> Result<Vec<String>, IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut chosen: Vec<i64> = match which {
            Purge::Entries(ids) => {
                for &id in ids {
                    let known = tx
                        .query_row("SELECT 1 FROM trash WHERE id = ?1", [id], |_| Ok(()))
                        .optional()?;
                    if known.is_none() {
                        return Err(IndexError::NoSuchTrashEntry(id));
                    }
                }
                ids.to_vec()
            }
            Purge::TrashedBy(time) => {
                let mut stmt = tx.prepare("SELECT id FROM trash WHERE trashed_at <= ?1")?;
                let rows = stmt.query_map([time], |row| row.get(0))?;
                rows.collect::<Result<Vec<_>, _>>()?
            }
        };
        // Items removed earlier from an album that now goes go with it.
        let mut earlier = Vec::new();
        for &id in &chosen {
            let mut stmt = tx.prepare_cached(
                "SELECT item.id FROM trash whole JOIN trash item
                    ON item.album_id = whole.album_id AND item.photo_id IS NOT NULL
                 WHERE whole.id = ?1 AND whole.photo_id IS NULL
                   AND NOT EXISTS (SELECT 1 FROM albums a WHERE a.id = whole.album_id)",
            )?;
            let rows = stmt.query_map([id], |row| row.get::<_, i64>(0))?;
            earlier.extend(rows.collect::<Result<Vec<_>, _>>()?);
        }
        chosen.extend(earlier);
        chosen.sort_unstable();
        chosen.dedup();
        for &id in &chosen {
            let (photo, remote_album, remote_photo): (Option<i64>, Option<String>, Option<String>) =
                tx.query_row(
                    "SELECT photo_id, remote_album_id, remote_photo_id FROM trash WHERE id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )?;
            if tell_cloud && let Some(remote_album) = &remote_album {
                match (photo, &remote_photo) {
                    (None, _) => {
                        request(&tx, CloudTrashAction::PurgeAlbum, remote_album, None)?;
                    }
                    (Some(_), Some(remote_photo)) => request(
                        &tx,
                        CloudTrashAction::PurgePhoto,
                        remote_album,
                        Some(remote_photo),
                    )?,
                    (Some(_), None) => {}
                }
            }
            tx.execute("DELETE FROM trash WHERE id = ?1", [id])?;
        }
        let orphans = {
            let mut stmt = tx.prepare(
                "SELECT hash FROM photos p
                  WHERE NOT EXISTS (SELECT 1 FROM album_photos ap WHERE ap.photo_id = p.id)
                    AND NOT EXISTS (SELECT 1 FROM trash_photos tp WHERE tp.photo_id = p.id)",
            )?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        tx.execute(
            "DELETE FROM photos
              WHERE NOT EXISTS (SELECT 1 FROM album_photos ap WHERE ap.photo_id = photos.id)
                AND NOT EXISTS (SELECT 1 FROM trash_photos tp WHERE tp.photo_id = photos.id)",
            [],
        )?;
        tx.commit()?;
        Ok(orphans)
    }

    /// The albums that show an item.
    pub fn albums_of_item(&self, photo_id: i64) -> Result<Vec<i64>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT album_id FROM album_photos WHERE photo_id = ?1")?;
        let rows = stmt.query_map([photo_id], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether the file at `path` belongs to an item in the Trash (one of
    /// [`Index::hidden_files`]).
    pub fn is_hidden_file(&self, path: &str) -> Result<bool, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM hidden_files WHERE path = ?1")?;
        Ok(stmt.exists([path])?)
    }

    /// Files whose item was removed, kept out of catch-ups until restored or added again.
    pub fn hidden_files(&self) -> Result<std::collections::HashSet<String>, IndexError> {
        let mut stmt = self.conn.prepare_cached("SELECT path FROM hidden_files")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn parse<T: serde::de::DeserializeOwned>(saved: &str) -> Result<T, IndexError> {
    serde_json::from_str(saved).map_err(|e| IndexError::BadTrashEntry(e.to_string()))
}

fn request(
    tx: &Transaction<'_>,
    action: CloudTrashAction,
    remote_album: &str,
    remote_photo: Option<&String>,
) -> Result<(), IndexError> {
    tx.execute(
        "INSERT INTO cloud_trash_requests (action, remote_album_id, remote_photo_id,
                                           requested_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![action.word(), remote_album, remote_photo, now_unix()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
