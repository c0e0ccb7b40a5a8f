//! Files and folders: which file on disk holds which item in which album, the folders
//! the parent added (and those whose album was removed), and the files an import skipped.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Index, IndexError, Writer, now_unix};

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

/// The columns [`known_file`] reads.
const KNOWN_FILE: &str = "path, size, mtime_ns, photo_id, album_id";

fn known_file(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, KnownFile)> {
    Ok((
        row.get(0)?,
        KnownFile {
            size: row.get(1)?,
            mtime_ns: row.get(2)?,
            photo_id: row.get(3)?,
            album_id: row.get(4)?,
        },
    ))
}

impl Index {
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
            .prepare(&format!("SELECT {KNOWN_FILE} FROM files"))?;
        let rows = stmt.query_map([], known_file)?;
        Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
    }

    /// What the index knows about the file at `path`, if it is indexed.
    pub fn known_file(&self, path: &str) -> Result<Option<KnownFile>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {KNOWN_FILE} FROM files WHERE path = ?1"))?;
        Ok(stmt
            .query_row([path], known_file)
            .optional()?
            .map(|(_, file)| file))
    }

    /// Why the file at `path` was skipped, if it was.
    pub fn skipped_reason(&self, path: &str) -> Result<Option<String>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT reason FROM skipped WHERE path = ?1")?;
        Ok(stmt.query_row([path], |row| row.get(0)).optional()?)
    }

    /// The size and time the file at `path` had when it was skipped, if it was.
    pub fn skipped_with_time(&self, path: &str) -> Result<Option<(i64, i64)>, IndexError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT size, mtime_ns FROM skipped
              WHERE path = ?1 AND size IS NOT NULL AND mtime_ns IS NOT NULL",
        )?;
        Ok(stmt
            .query_row([path], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?)
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
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {KNOWN_FILE} FROM files
              WHERE path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0')"
        ))?;
        let rows = stmt.query_map([path], known_file)?;
        Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
    }

    /// How many distinct photos and how many distinct videos the files below `folder`
    /// hold, counted apart because the pages say "3 photos and 2 videos".
    pub fn item_counts_under(&self, folder: &str) -> Result<(i64, i64), IndexError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(DISTINCT CASE WHEN p.kind <> 'video' THEN f.photo_id END),
                    COUNT(DISTINCT CASE WHEN p.kind = 'video' THEN f.photo_id END)
               FROM files f JOIN photos p ON p.id = f.photo_id
              WHERE f.path >= ?1 || '/' AND f.path < ?1 || '0'",
            [folder],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?)
    }

    /// Stops treating `folder` as one of the parent's folders. Its albums and photos stay.
    pub fn remove_folder(&mut self, folder: &str) -> Result<bool, IndexError> {
        Ok(self
            .conn
            .execute("DELETE FROM folders WHERE path = ?1", [folder])?
            > 0)
    }

    /// Folders whose album was removed, kept out of catch-ups until added again.
    pub fn hidden_folders(&self) -> Result<HashSet<String>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path FROM hidden_folders")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<HashSet<_>, _>>()?)
    }
}

impl Writer<'_> {
    /// The item a known file holds, and its album.
    fn file_at(&self, path: &str) -> Result<Option<(i64, Option<i64>)>, IndexError> {
        Ok(self
            .tx
            .query_row(
                "SELECT photo_id, album_id FROM files WHERE path = ?1",
                [path],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// Lets folders at or below `path` back into the library (the parent added it again),
    /// and the file at `path` if the parent dropped a removed file itself. Files removed
    /// from an album inside a folder added again stay out: Restore brings them back.
    pub fn unhide_folders_under(&self, path: &str) -> Result<(), IndexError> {
        self.tx.execute(
            "DELETE FROM hidden_folders
              WHERE path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0')",
            [path],
        )?;
        self.tx
            .execute("DELETE FROM hidden_files WHERE path = ?1", [path])?;
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
        let previous = self.file_at(path)?;
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
        let known = self.file_at(path)?;
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
        let known = self.file_at(from)?;
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
                   AND NOT EXISTS (SELECT 1 FROM album_photos WHERE photo_id = ?1)
                   AND NOT EXISTS (SELECT 1 FROM trash_photos WHERE photo_id = ?1)",
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
    use chrono::{FixedOffset, TimeZone};

    use crate::index::{Index, NewPhoto};
    use crate::media::MediaKind;

    fn item(hash: &str, kind: MediaKind) -> NewPhoto {
        NewPhoto {
            hash: hash.into(),
            kind,
            width: 4,
            height: 3,
            taken_at: FixedOffset::east_opt(0)
                .unwrap()
                .timestamp_opt(100, 0)
                .unwrap(),
            taken_from_camera: true,
            camera: None,
            duration_ms: None,
            byte_size: 1000,
        }
    }

    #[test]
    fn a_folder_counts_its_videos_apart_from_its_photos() {
        let mut index = Index::open_in_memory().unwrap();
        let w = index.write().unwrap();
        let (album, _) = w.album_for_folder("/p/Party", "Party").unwrap();
        let record = |path: &str, hash: &str, kind| {
            let (id, _) = w.insert_photo(&item(hash, kind)).unwrap();
            w.record_file(path, 1, 1, id, album).unwrap();
        };
        for n in 0..3 {
            record(
                &format!("/p/Party/{n}.jpg"),
                &format!("p{n}"),
                MediaKind::Photo,
            );
        }
        record("/p/Party/cake.mp4", "cake", MediaKind::Video);
        record("/p/Party/song.mp4", "song", MediaKind::Video);
        // The same video twice in the folder is still one video.
        record("/p/Party/song copy.mp4", "song", MediaKind::Video);
        // A folder whose name only begins the same is another folder.
        record("/p/Party 2/other.mp4", "other", MediaKind::Video);
        w.commit().unwrap();

        assert_eq!(index.item_counts_under("/p/Party").unwrap(), (3, 2));
        assert_eq!(index.item_counts_under("/p/Nothing").unwrap(), (0, 0));
    }
}
