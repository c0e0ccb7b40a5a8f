//! Items (photos and videos): one row per content hash, with what the album page shows.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Index, IndexError, Writer, now_unix, rfc3339};
use crate::media::MediaKind;

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
    /// The name of the family member who added it through an album link.
    pub added_by: Option<String>,
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

/// What every listing of items reads. Each item's cloud state is looked up by the item
/// (`sync_items_by_photo`): the `+` keeps SQLite from preferring the index on `state`,
/// which would read every item in that state for each one.
const COLUMNS: &str = "p.id, p.hash, p.kind, p.width, p.height, p.taken_at,
    p.taken_offset, p.taken_from, p.camera, p.duration_ms, p.byte_size,
    EXISTS (SELECT 1 FROM sync_items s WHERE s.photo_id = p.id AND +s.state = 'done'),
    (SELECT d.added_by FROM cloud_downloads d
      WHERE d.blake3 = p.hash AND d.added_by IS NOT NULL LIMIT 1)";
const FIRST_ALBUM_AND_PATH: &str =
    "(SELECT MIN(ap.album_id) FROM album_photos ap WHERE ap.photo_id = p.id),
     COALESCE((SELECT f.path FROM files f WHERE f.photo_id = p.id ORDER BY f.id LIMIT 1), '')";
/// An album's items, oldest first. The path shown is a file of this album's folder if
/// there is one, found through the item's own files (`files_by_photo`, kept by the `+`):
/// by the album's index SQLite would read every file of the album for each item, which
/// made a 10,000-photo album take seconds to list.
const ALBUM_PHOTOS: &str = "SELECT {COLUMNS}, ap.album_id,
        COALESCE((SELECT f.path FROM files f WHERE f.photo_id = p.id
                   AND +f.album_id = ap.album_id ORDER BY f.id LIMIT 1),
                 (SELECT f.path FROM files f WHERE f.photo_id = p.id
                   ORDER BY f.id LIMIT 1), '')
   FROM album_photos ap JOIN photos p ON p.id = ap.photo_id
  WHERE ap.album_id = ?1
  ORDER BY p.taken_at, p.id";

impl Index {
    /// The items of one album (or of the whole library), oldest first.
    ///
    /// Without an album, each item appears once, under the first album it was found in.
    pub fn photos(&self, album_id: Option<i64>) -> Result<Vec<PhotoRecord>, IndexError> {
        match album_id {
            // The path shown is a file of this album's folder if there is one.
            Some(album_id) => self.query_photos(ALBUM_PHOTOS, [album_id]),
            // Items only the Trash holds are not in the library's list.
            None => self.query_photos(
                "SELECT {COLUMNS}, {FIRST_ALBUM_AND_PATH} FROM photos p
                  WHERE EXISTS (SELECT 1 FROM album_photos ap WHERE ap.photo_id = p.id)
                  ORDER BY p.taken_at, p.id",
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
                added_by: row.get(12)?,
                album_id: row.get(13)?,
                path: row.get(14)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The content hashes of every item in the library.
    pub fn known_hashes(&self) -> Result<HashSet<String>, IndexError> {
        let mut stmt = self.conn.prepare("SELECT hash FROM photos")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<HashSet<_>, _>>()?)
    }

    /// The item with this content, if the library has it.
    pub fn photo_id_for_hash(&self, hash: &str) -> Result<Option<i64>, IndexError> {
        photo_id_for_hash(&self.conn, hash)
    }
}

impl Writer<'_> {
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
        // The same content was recorded before, so it is there.
        let id = photo_id_for_hash(&self.tx, &photo.hash)?
            .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        Ok((id, false))
    }

    /// The id of the item with this content, if the library has it.
    pub fn photo_id_for_hash(&self, hash: &str) -> Result<Option<i64>, IndexError> {
        photo_id_for_hash(&self.tx, hash)
    }
}

/// The item with this content, read inside or outside a write.
fn photo_id_for_hash(conn: &Connection, hash: &str) -> Result<Option<i64>, IndexError> {
    Ok(conn
        .query_row("SELECT id FROM photos WHERE hash = ?1", [hash], |row| {
            row.get(0)
        })
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_albums_listing_looks_each_item_up_by_the_item_never_by_scanning_the_album() {
        let index = Index::open_in_memory().unwrap();
        let sql = ALBUM_PHOTOS
            .replace("{COLUMNS}", COLUMNS)
            .replace("{FIRST_ALBUM_AND_PATH}", FIRST_ALBUM_AND_PATH);
        let plan: Vec<String> = index
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map([1], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join(" | ");
        assert!(!plan.contains("files_by_album"), "{plan}");
        assert!(!plan.contains("sync_items_due"), "{plan}");
        assert!(plan.contains("files_by_photo"), "{plan}");
        assert!(plan.contains("sync_items_by_photo"), "{plan}");
    }
}
