//! The library index: one SQLite database in WAL mode, reached only through this module.
//!
//! One writer (the import's writer thread, or a page action), readers in parallel, each
//! on its own connection. Every multi-step write is one transaction, so a process killed
//! at any moment leaves the index as it was before or after a whole step.

mod migrations;
mod sync;

pub use sync::{
    DueItem, FailedItem, OpenUpload, RemoteRename, SavedShareLink, SyncAccount, SyncCounts,
};

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use crate::media::MediaKind;
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("The library index could not be opened or read: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "The library index was written by a newer Pic-up (schema {found}, this one knows {known})."
    )]
    TooNew { found: i64, known: i64 },
    #[error("There is no album with the number {0}.")]
    NoSuchAlbum(i64),
    #[error("An album needs a name.")]
    EmptyTitle,
}

/// An album as the shelf shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlbumSummary {
    pub id: i64,
    pub title: String,
    pub folder_path: Option<String>,
    pub count: i64,
    pub video_count: i64,
    pub cover_photo_id: Option<i64>,
    pub cover_hash: Option<String>,
    pub first_taken_at: Option<String>,
    pub last_taken_at: Option<String>,
    /// How many of its items the family cloud holds.
    pub in_cloud: i64,
}

/// One item as the album page and `picup photos` show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhotoRecord {
    pub id: i64,
    pub album_id: Option<i64>,
    pub path: String,
    pub hash: String,
    pub kind: MediaKind,
    pub width: u32,
    pub height: u32,
    /// RFC 3339, with the offset the camera recorded (or the computer's, for file times).
    pub taken_at: Option<String>,
    /// `true` when the time came from the camera, `false` when from the file's date.
    pub taken_at_from_camera: bool,
    pub camera: Option<String>,
    pub duration_ms: Option<i64>,
    pub byte_size: i64,
    /// The family cloud holds this item.
    pub in_cloud: bool,
}

/// A file an import could not use.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// What the import already knows about a file path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownFile {
    pub size: i64,
    pub mtime_ns: i64,
    pub photo_id: i64,
    pub album_id: Option<i64>,
}

/// A new item ready to be recorded, with its derived images already on disk.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    pub hash: String,
    pub kind: MediaKind,
    pub width: u32,
    pub height: u32,
    pub taken_at: DateTime<FixedOffset>,
    pub taken_from_camera: bool,
    pub camera: Option<String>,
    pub duration_ms: Option<i64>,
    pub byte_size: i64,
}

/// A connection to the index.
pub struct Index {
    conn: Connection,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").finish_non_exhaustive()
    }
}

fn now_unix() -> i64 {
    Utc::now().timestamp()
}

fn rfc3339(seconds: i64, offset_minutes: i64) -> Option<String> {
    let offset = FixedOffset::east_opt((offset_minutes * 60) as i32)?;
    let time = offset.timestamp_opt(seconds, 0).single()?;
    Some(time.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
}

impl Index {
    /// Opens the index file, creating it and running migrations as needed.
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let conn = Connection::open(path)?;
        Self::prepare(conn)
    }

    /// An index that lives in memory, for unit tests.
    pub fn open_in_memory() -> Result<Self, IndexError> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(conn: Connection) -> Result<Self, IndexError> {
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL lets the page read while an import writes; NORMAL sync is durable across
        // process crashes (only an OS crash can lose the last commits, never corrupt).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut index = Index { conn };
        index.migrate()?;
        Ok(index)
    }

    fn migrate(&mut self) -> Result<(), IndexError> {
        let known = migrations::MIGRATIONS.len() as i64;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if found > known {
            return Err(IndexError::TooNew { found, known });
        }
        for (version, sql) in migrations::MIGRATIONS
            .iter()
            .enumerate()
            .skip(found as usize)
        {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version as i64 + 1)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The schema version the index is at.
    pub fn schema_version(&self) -> Result<i64, IndexError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// Starts a write transaction. Writers take the lock up front so that two writers
    /// never deadlock upgrading a read lock.
    pub fn write(&mut self) -> Result<Writer<'_>, IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        Ok(Writer { tx })
    }

    /// All albums, the most recent photos first.
    pub fn albums(&self) -> Result<Vec<AlbumSummary>, IndexError> {
        self.albums_where("1 = 1", [])
    }

    /// One album, if it exists.
    pub fn album(&self, album_id: i64) -> Result<Option<AlbumSummary>, IndexError> {
        Ok(self
            .albums_where("a.id = ?1", [album_id])?
            .into_iter()
            .next())
    }

    fn albums_where<P: rusqlite::Params>(
        &self,
        condition: &str,
        params: P,
    ) -> Result<Vec<AlbumSummary>, IndexError> {
        // The cover is the album's most recent photo (videos only if it has nothing else).
        let sql = format!(
            "SELECT a.id, a.title, a.folder_path,
                    COUNT(p.id),
                    COALESCE(SUM(p.kind = 'video'), 0),
                    MIN(p.taken_at), MAX(p.taken_at),
                    (SELECT p2.id FROM album_photos ap2 JOIN photos p2 ON p2.id = ap2.photo_id
                      WHERE ap2.album_id = a.id
                      ORDER BY p2.kind = 'video', p2.taken_at DESC, p2.id DESC LIMIT 1),
                    (SELECT p3.taken_offset FROM album_photos ap3 JOIN photos p3 ON p3.id = ap3.photo_id
                      WHERE ap3.album_id = a.id ORDER BY p3.taken_at DESC LIMIT 1),
                    (SELECT COUNT(*) FROM sync_items s
                      WHERE s.album_id = a.id AND s.state = 'done')
               FROM albums a
               LEFT JOIN album_photos ap ON ap.album_id = a.id
               LEFT JOIN photos p ON p.id = ap.photo_id
              WHERE {condition}
              GROUP BY a.id
              ORDER BY MAX(p.taken_at) DESC, a.id DESC"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, |row| {
            let offset: Option<i64> = row.get(8)?;
            let offset = offset.unwrap_or(0);
            let first: Option<i64> = row.get(5)?;
            let last: Option<i64> = row.get(6)?;
            Ok(AlbumSummary {
                id: row.get(0)?,
                title: row.get(1)?,
                folder_path: row.get(2)?,
                count: row.get(3)?,
                video_count: row.get(4)?,
                cover_photo_id: row.get(7)?,
                cover_hash: None,
                first_taken_at: first.and_then(|t| rfc3339(t, offset)),
                last_taken_at: last.and_then(|t| rfc3339(t, offset)),
                in_cloud: row.get(9)?,
            })
        })?;
        let mut albums = rows.collect::<Result<Vec<_>, _>>()?;
        for album in &mut albums {
            if let Some(cover) = album.cover_photo_id {
                album.cover_hash = self
                    .conn
                    .query_row("SELECT hash FROM photos WHERE id = ?1", [cover], |row| {
                        row.get(0)
                    })
                    .optional()?;
            }
        }
        Ok(albums)
    }

    /// The items of one album (or of the whole library), oldest first.
    ///
    /// Without an album, each item appears once, under the first album it was found in.
    pub fn photos(&self, album_id: Option<i64>) -> Result<Vec<PhotoRecord>, IndexError> {
        match album_id {
            // The path shown is a file of this album's folder if there is one.
            Some(album_id) => self.query_photos(
                "SELECT {COLUMNS}, ap.album_id,
                        COALESCE((SELECT f.path FROM files f WHERE f.photo_id = p.id
                                   AND f.album_id = ap.album_id ORDER BY f.id LIMIT 1),
                                 (SELECT f.path FROM files f WHERE f.photo_id = p.id
                                   ORDER BY f.id LIMIT 1), '')
                   FROM album_photos ap JOIN photos p ON p.id = ap.photo_id
                  WHERE ap.album_id = ?1
                  ORDER BY p.taken_at, p.id",
                [album_id],
            ),
            None => self.query_photos(
                "SELECT {COLUMNS}, {FIRST_ALBUM_AND_PATH} FROM photos p ORDER BY p.taken_at, p.id",
                [],
            ),
        }
    }

    /// One item by id, with the first album and file that hold it.
    pub fn photo(&self, photo_id: i64) -> Result<Option<PhotoRecord>, IndexError> {
        Ok(self
            .query_photos(
                "SELECT {COLUMNS}, {FIRST_ALBUM_AND_PATH} FROM photos p WHERE p.id = ?1",
                [photo_id],
            )?
            .into_iter()
            .next())
    }

    fn query_photos<P: rusqlite::Params>(
        &self,
        template: &str,
        params: P,
    ) -> Result<Vec<PhotoRecord>, IndexError> {
        const COLUMNS: &str = "p.id, p.hash, p.kind, p.width, p.height, p.taken_at,
            p.taken_offset, p.taken_from, p.camera, p.duration_ms, p.byte_size,
            EXISTS (SELECT 1 FROM sync_items s WHERE s.photo_id = p.id AND s.state = 'done')";
        const FIRST_ALBUM_AND_PATH: &str =
            "(SELECT MIN(ap.album_id) FROM album_photos ap WHERE ap.photo_id = p.id),
             COALESCE((SELECT f.path FROM files f WHERE f.photo_id = p.id ORDER BY f.id LIMIT 1), '')";
        let sql = template
            .replace("{COLUMNS}", COLUMNS)
            .replace("{FIRST_ALBUM_AND_PATH}", FIRST_ALBUM_AND_PATH);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, |row| {
            let kind: String = row.get(2)?;
            let taken_at: i64 = row.get(5)?;
            let offset: i64 = row.get(6)?;
            let from: String = row.get(7)?;
            Ok(PhotoRecord {
                id: row.get(0)?,
                hash: row.get(1)?,
                kind: MediaKind::parse(&kind).unwrap_or(MediaKind::Photo),
                width: row.get(3)?,
                height: row.get(4)?,
                taken_at: rfc3339(taken_at, offset),
                taken_at_from_camera: from == "camera",
                camera: row.get(8)?,
                duration_ms: row.get(9)?,
                byte_size: row.get(10)?,
                in_cloud: row.get(11)?,
                album_id: row.get(12)?,
                path: row.get(13)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Every file that could not be imported, with its reason.
    pub fn skipped(&self) -> Result<Vec<SkippedFile>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path, reason FROM skipped ORDER BY path")?;
        let rows = stmt.query_map([], |row| {
            Ok(SkippedFile {
                path: row.get(0)?,
                reason: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Every folder the parent has added.
    pub fn folders(&self) -> Result<Vec<String>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path FROM folders ORDER BY path")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The files already indexed under `root` (all files if `root` is `/`), for
    /// recognising unchanged files by path, size and modification time.
    pub fn known_files(&self) -> Result<HashMap<String, KnownFile>, IndexError> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, size, mtime_ns, photo_id, album_id FROM files")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                KnownFile {
                    size: row.get(1)?,
                    mtime_ns: row.get(2)?,
                    photo_id: row.get(3)?,
                    album_id: row.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
    }

    /// Files skipped before, with the size and time they had then.
    pub fn known_skipped(&self) -> Result<HashMap<String, (i64, i64)>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT path, size, mtime_ns FROM skipped
              WHERE size IS NOT NULL AND mtime_ns IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))?;
        Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
    }

    /// The indexed files at `path` or anywhere below it (a range scan on the path index:
    /// `'0'` is the character after `'/'`).
    pub fn files_under(&self, path: &str) -> Result<HashMap<String, KnownFile>, IndexError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT path, size, mtime_ns, photo_id, album_id FROM files
              WHERE path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0')",
        )?;
        let rows = stmt.query_map([path], |row| {
            Ok((
                row.get::<_, String>(0)?,
                KnownFile {
                    size: row.get(1)?,
                    mtime_ns: row.get(2)?,
                    photo_id: row.get(3)?,
                    album_id: row.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
    }

    /// How many distinct items the files below `folder` hold.
    pub fn photo_count_under(&self, folder: &str) -> Result<i64, IndexError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(DISTINCT photo_id) FROM files
              WHERE path >= ?1 || '/' AND path < ?1 || '0'",
            [folder],
            |row| row.get(0),
        )?)
    }

    /// Stops treating `folder` as one of the parent's folders. Its albums and photos stay.
    pub fn remove_folder(&mut self, folder: &str) -> Result<bool, IndexError> {
        Ok(self
            .conn
            .execute("DELETE FROM folders WHERE path = ?1", [folder])?
            > 0)
    }

    /// The item with this content, if the library has it.
    pub fn photo_id_for_hash(&self, hash: &str) -> Result<Option<i64>, IndexError> {
        Ok(self
            .conn
            .query_row("SELECT id FROM photos WHERE hash = ?1", [hash], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Folders whose album was removed, kept out of catch-ups until added again.
    pub fn hidden_folders(&self) -> Result<HashSet<String>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path FROM hidden_folders")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<HashSet<_>, _>>()?)
    }

    /// The content hashes of every item in the library.
    pub fn known_hashes(&self) -> Result<HashSet<String>, IndexError> {
        let mut stmt = self.conn.prepare("SELECT hash FROM photos")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<HashSet<_>, _>>()?)
    }

    /// Renames an album.
    pub fn rename_album(&mut self, album_id: i64, title: &str) -> Result<(), IndexError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(IndexError::EmptyTitle);
        }
        let changed = self.conn.execute(
            "UPDATE albums SET title = ?2 WHERE id = ?1",
            params![album_id, title],
        )?;
        if changed == 0 {
            return Err(IndexError::NoSuchAlbum(album_id));
        }
        Ok(())
    }

    /// Removes an album from the library (never touching the files on disk) and returns
    /// the content hashes that no album holds any more, whose derived images may go.
    ///
    /// The album's files are forgotten too, so importing the folder again brings the
    /// album back.
    pub fn remove_album(&mut self, album_id: i64) -> Result<Vec<String>, IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let folder: Option<Option<String>> = tx
            .query_row(
                "SELECT folder_path FROM albums WHERE id = ?1",
                [album_id],
                |row| row.get(0),
            )
            .optional()?;
        let Some(folder) = folder else {
            return Err(IndexError::NoSuchAlbum(album_id));
        };
        tx.execute("DELETE FROM files WHERE album_id = ?1", [album_id])?;
        tx.execute("DELETE FROM albums WHERE id = ?1", [album_id])?;
        if let Some(folder) = folder {
            tx.execute("DELETE FROM folders WHERE path = ?1", [&folder])?;
            // Inside a watched folder, the album would otherwise come back at the next
            // catch-up: the parent asked for it to go.
            tx.execute(
                "INSERT INTO hidden_folders (path, hidden_at) VALUES (?1, ?2)
                 ON CONFLICT (path) DO NOTHING",
                params![folder, now_unix()],
            )?;
        }
        let orphans = {
            let mut stmt = tx.prepare(
                "SELECT hash FROM photos p
                  WHERE NOT EXISTS (SELECT 1 FROM album_photos ap WHERE ap.photo_id = p.id)",
            )?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        tx.execute(
            "DELETE FROM photos
              WHERE NOT EXISTS (SELECT 1 FROM album_photos ap WHERE ap.photo_id = photos.id)",
            [],
        )?;
        tx.commit()?;
        Ok(orphans)
    }
}

/// One write transaction. Dropping it without [`Writer::commit`] rolls everything back.
pub struct Writer<'conn> {
    tx: Transaction<'conn>,
}

impl Writer<'_> {
    pub fn commit(self) -> Result<(), IndexError> {
        Ok(self.tx.commit()?)
    }

    /// Lets folders at or below `path` back into the library (the parent added it again).
    pub fn unhide_folders_under(&self, path: &str) -> Result<(), IndexError> {
        self.tx.execute(
            "DELETE FROM hidden_folders
              WHERE path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0')",
            [path],
        )?;
        Ok(())
    }

    /// Records a folder the parent added.
    pub fn add_folder(&self, path: &str) -> Result<(), IndexError> {
        self.tx.execute(
            "INSERT INTO folders (path, added_at) VALUES (?1, ?2)
             ON CONFLICT (path) DO NOTHING",
            params![path, now_unix()],
        )?;
        Ok(())
    }

    /// The album that mirrors `folder_path`, created with `title` if it does not exist.
    /// Returns its id and whether it was created now.
    pub fn album_for_folder(
        &self,
        folder_path: &str,
        title: &str,
    ) -> Result<(i64, bool), IndexError> {
        let existing: Option<i64> = self
            .tx
            .query_row(
                "SELECT id FROM albums WHERE folder_path = ?1",
                [folder_path],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok((id, false));
        }
        self.tx.execute(
            "INSERT INTO albums (title, folder_path, created_at) VALUES (?1, ?2, ?3)",
            params![title, folder_path, now_unix()],
        )?;
        Ok((self.tx.last_insert_rowid(), true))
    }

    /// Inserts a new item, or finds the existing one with the same content.
    /// Returns its id and whether it was new.
    pub fn insert_photo(&self, photo: &NewPhoto) -> Result<(i64, bool), IndexError> {
        let inserted = self.tx.execute(
            "INSERT INTO photos (hash, kind, width, height, taken_at, taken_offset, taken_from,
                                 camera, duration_ms, byte_size, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (hash) DO NOTHING",
            params![
                photo.hash,
                photo.kind.as_str(),
                photo.width,
                photo.height,
                photo.taken_at.timestamp(),
                photo.taken_at.offset().local_minus_utc() / 60,
                if photo.taken_from_camera {
                    "camera"
                } else {
                    "file"
                },
                photo.camera,
                photo.duration_ms,
                photo.byte_size,
                now_unix(),
            ],
        )?;
        if inserted == 1 {
            return Ok((self.tx.last_insert_rowid(), true));
        }
        let id = self.tx.query_row(
            "SELECT id FROM photos WHERE hash = ?1",
            [&photo.hash],
            |row| row.get(0),
        )?;
        Ok((id, false))
    }

    /// The id of the item with this content, if the library has it.
    pub fn photo_id_for_hash(&self, hash: &str) -> Result<Option<i64>, IndexError> {
        Ok(self
            .tx
            .query_row("SELECT id FROM photos WHERE hash = ?1", [hash], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Records that the file at `path` holds item `photo_id` and belongs to `album_id`,
    /// shows the item in that album, and clears any earlier skip of the path.
    ///
    /// If the path held another item before (the file was edited), that item leaves the
    /// album unless another file there holds it, and leaves the library if no album
    /// shows it; its hash is returned then, so its derived images can go.
    pub fn record_file(
        &self,
        path: &str,
        size: i64,
        mtime_ns: i64,
        photo_id: i64,
        album_id: i64,
    ) -> Result<Option<String>, IndexError> {
        let previous: Option<(i64, Option<i64>)> = self
            .tx
            .query_row(
                "SELECT photo_id, album_id FROM files WHERE path = ?1",
                [path],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        self.tx.execute(
            "INSERT INTO files (path, size, mtime_ns, photo_id, album_id)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                 photo_id = excluded.photo_id, album_id = excluded.album_id",
            params![path, size, mtime_ns, photo_id, album_id],
        )?;
        self.link(album_id, photo_id)?;
        self.tx
            .execute("DELETE FROM skipped WHERE path = ?1", [path])?;
        match previous {
            Some((old_photo, old_album))
                if (old_photo, old_album) != (photo_id, Some(album_id)) =>
            {
                self.unlink_if_unheld(old_photo, old_album)
            }
            _ => Ok(None),
        }
    }

    /// Forgets a file that is gone from disk: the item leaves the file's album unless
    /// another file there holds it, and leaves the library if no album shows it any more;
    /// an album of a folder that is left empty goes too. Returns the hash of an item
    /// that left the library, whose derived images may be deleted.
    pub fn forget_file(&self, path: &str) -> Result<Option<String>, IndexError> {
        let known: Option<(i64, Option<i64>)> = self
            .tx
            .query_row(
                "SELECT photo_id, album_id FROM files WHERE path = ?1",
                [path],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((photo_id, album_id)) = known else {
            return Ok(None);
        };
        self.tx
            .execute("DELETE FROM files WHERE path = ?1", [path])?;
        self.unlink_if_unheld(photo_id, album_id)
    }

    /// Records that a known file moved (renamed, or moved to another folder): same item,
    /// no re-reading; the item follows the file to the album of its new folder.
    pub fn move_file(&self, from: &str, to: &str, album_id: i64) -> Result<(), IndexError> {
        let known: Option<(i64, Option<i64>)> = self
            .tx
            .query_row(
                "SELECT photo_id, album_id FROM files WHERE path = ?1",
                [from],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((photo_id, old_album)) = known else {
            return Ok(());
        };
        self.tx.execute(
            "DELETE FROM files WHERE path = ?2 AND path <> ?1",
            params![from, to],
        )?;
        self.tx.execute(
            "UPDATE files SET path = ?2, album_id = ?3 WHERE path = ?1",
            params![from, to, album_id],
        )?;
        self.link(album_id, photo_id)?;
        if old_album != Some(album_id) {
            self.unlink_if_unheld(photo_id, old_album)?;
        }
        Ok(())
    }

    fn unlink_if_unheld(
        &self,
        photo_id: i64,
        album_id: Option<i64>,
    ) -> Result<Option<String>, IndexError> {
        if let Some(album_id) = album_id {
            self.tx.execute(
                "DELETE FROM album_photos WHERE album_id = ?1 AND photo_id = ?2
                   AND NOT EXISTS (SELECT 1 FROM files WHERE album_id = ?1 AND photo_id = ?2)",
                params![album_id, photo_id],
            )?;
            self.tx.execute(
                "DELETE FROM albums WHERE id = ?1 AND folder_path IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM album_photos WHERE album_id = ?1)",
                [album_id],
            )?;
        }
        let hash: Option<String> = self
            .tx
            .query_row(
                "SELECT hash FROM photos WHERE id = ?1
                   AND NOT EXISTS (SELECT 1 FROM album_photos WHERE photo_id = ?1)",
                [photo_id],
                |row| row.get(0),
            )
            .optional()?;
        if hash.is_some() {
            self.tx
                .execute("DELETE FROM photos WHERE id = ?1", [photo_id])?;
        }
        Ok(hash)
    }

    /// Shows an item in an album (once, however many copies the folder holds).
    pub fn link(&self, album_id: i64, photo_id: i64) -> Result<(), IndexError> {
        self.tx.execute(
            "INSERT INTO album_photos (album_id, photo_id) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![album_id, photo_id],
        )?;
        Ok(())
    }

    /// Records a file that could not be imported, with a reason in plain words.
    pub fn record_skipped(
        &self,
        path: &str,
        reason: &str,
        size: Option<i64>,
        mtime_ns: Option<i64>,
    ) -> Result<(), IndexError> {
        self.tx.execute(
            "INSERT INTO skipped (path, reason, size, mtime_ns, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (path) DO UPDATE SET reason = excluded.reason, size = excluded.size,
                 mtime_ns = excluded.mtime_ns, recorded_at = excluded.recorded_at",
            params![path, reason, size, mtime_ns, now_unix()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(hash: &str, seconds: i64) -> NewPhoto {
        NewPhoto {
            hash: hash.to_string(),
            kind: MediaKind::Photo,
            width: 640,
            height: 480,
            taken_at: FixedOffset::east_opt(7200)
                .unwrap()
                .timestamp_opt(seconds, 0)
                .unwrap(),
            taken_from_camera: true,
            camera: Some("Test camera".into()),
            duration_ms: None,
            byte_size: 1000,
        }
    }

    #[test]
    fn migrations_bring_a_new_index_to_the_latest_version() {
        let index = Index::open_in_memory().unwrap();
        assert_eq!(
            index.schema_version().unwrap(),
            migrations::MIGRATIONS.len() as i64
        );
    }

    #[test]
    fn same_content_is_one_item_shown_once_per_album() {
        let mut index = Index::open_in_memory().unwrap();
        let w = index.write().unwrap();
        let (album, created) = w.album_for_folder("/p/Summer", "Summer").unwrap();
        assert!(created);
        let (again, created) = w.album_for_folder("/p/Summer", "Summer").unwrap();
        assert_eq!((again, created), (album, false));
        let (first, new) = w.insert_photo(&sample("aa", 1_700_000_000)).unwrap();
        assert!(new);
        let (second, new) = w.insert_photo(&sample("aa", 1_700_000_000)).unwrap();
        assert_eq!((second, new), (first, false));
        w.record_file("/p/Summer/a.jpg", 1, 1, first, album)
            .unwrap();
        w.record_file("/p/Summer/copy.jpg", 1, 1, first, album)
            .unwrap();
        w.commit().unwrap();

        let albums = index.albums().unwrap();
        assert_eq!(albums.len(), 1);
        assert_eq!(albums[0].count, 1);
        assert_eq!(albums[0].cover_hash.as_deref(), Some("aa"));
        let photos = index.photos(Some(album)).unwrap();
        assert_eq!(photos.len(), 1);
        assert_eq!(
            photos[0].taken_at.as_deref(),
            Some("2023-11-15T00:13:20+02:00")
        );
    }

    #[test]
    fn photos_are_ordered_by_time_taken() {
        let mut index = Index::open_in_memory().unwrap();
        let w = index.write().unwrap();
        let (album, _) = w.album_for_folder("/p/A", "A").unwrap();
        for (hash, t) in [("late", 300), ("early", 100), ("middle", 200)] {
            let (id, _) = w.insert_photo(&sample(hash, t)).unwrap();
            w.record_file(&format!("/p/A/{hash}.jpg"), 1, 1, id, album)
                .unwrap();
        }
        w.commit().unwrap();
        let hashes: Vec<_> = index
            .photos(Some(album))
            .unwrap()
            .into_iter()
            .map(|p| p.hash)
            .collect();
        assert_eq!(hashes, ["early", "middle", "late"]);
    }

    #[test]
    fn removing_an_album_forgets_its_files_and_orphans() {
        let mut index = Index::open_in_memory().unwrap();
        let w = index.write().unwrap();
        let (a, _) = w.album_for_folder("/p/A", "A").unwrap();
        let (b, _) = w.album_for_folder("/p/B", "B").unwrap();
        let (shared, _) = w.insert_photo(&sample("shared", 1)).unwrap();
        let (only_a, _) = w.insert_photo(&sample("only-a", 2)).unwrap();
        w.record_file("/p/A/1.jpg", 1, 1, shared, a).unwrap();
        w.record_file("/p/A/2.jpg", 1, 1, only_a, a).unwrap();
        w.record_file("/p/B/1.jpg", 1, 1, shared, b).unwrap();
        w.commit().unwrap();

        let orphans = index.remove_album(a).unwrap();
        assert_eq!(orphans, ["only-a"]);
        assert_eq!(index.albums().unwrap().len(), 1);
        assert!(!index.known_files().unwrap().contains_key("/p/A/1.jpg"));
        assert!(index.known_files().unwrap().contains_key("/p/B/1.jpg"));
        assert!(matches!(
            index.remove_album(a),
            Err(IndexError::NoSuchAlbum(_))
        ));
    }

    #[test]
    fn renaming_needs_a_name() {
        let mut index = Index::open_in_memory().unwrap();
        let w = index.write().unwrap();
        let (a, _) = w.album_for_folder("/p/A", "A").unwrap();
        w.commit().unwrap();
        assert!(matches!(
            index.rename_album(a, "  "),
            Err(IndexError::EmptyTitle)
        ));
        index.rename_album(a, " Grandma's 80th ").unwrap();
        assert_eq!(index.album(a).unwrap().unwrap().title, "Grandma's 80th");
    }

    #[test]
    fn files_under_a_folder_is_a_prefix_range_not_a_string_prefix() {
        let mut index = Index::open_in_memory().unwrap();
        let w = index.write().unwrap();
        let (a, _) = w.album_for_folder("/p/A", "A").unwrap();
        let (id, _) = w.insert_photo(&sample("x", 1)).unwrap();
        for path in ["/p/A/1.jpg", "/p/A/sub/2.jpg", "/p/AB/3.jpg", "/p/A"] {
            w.record_file(path, 1, 1, id, a).unwrap();
        }
        w.commit().unwrap();
        let mut under: Vec<_> = index.files_under("/p/A").unwrap().into_keys().collect();
        under.sort();
        assert_eq!(under, ["/p/A", "/p/A/1.jpg", "/p/A/sub/2.jpg"]);
    }

    #[test]
    fn a_moved_file_keeps_its_item_and_an_emptied_folder_album_goes() {
        let mut index = Index::open_in_memory().unwrap();
        let w = index.write().unwrap();
        let (a, _) = w.album_for_folder("/p/A", "A").unwrap();
        let (b, _) = w.album_for_folder("/p/B", "B").unwrap();
        let (one, _) = w.insert_photo(&sample("one", 1)).unwrap();
        let (two, _) = w.insert_photo(&sample("two", 2)).unwrap();
        w.record_file("/p/A/1.jpg", 1, 1, one, a).unwrap();
        w.record_file("/p/B/2.jpg", 1, 1, two, b).unwrap();
        w.move_file("/p/A/1.jpg", "/p/B/1.jpg", b).unwrap();
        w.commit().unwrap();
        let albums = index.albums().unwrap();
        assert_eq!(albums.len(), 1, "album A lost its only photo");
        assert_eq!((albums[0].id, albums[0].count), (b, 2));
        assert_eq!(
            index.files_under("/p/B/1.jpg").unwrap()["/p/B/1.jpg"].photo_id,
            one
        );

        let w = index.write().unwrap();
        assert_eq!(w.forget_file("/p/B/2.jpg").unwrap().as_deref(), Some("two"));
        assert_eq!(w.forget_file("/p/B/gone.jpg").unwrap(), None);
        w.commit().unwrap();
        assert_eq!(index.photos(None).unwrap().len(), 1);
    }
}
