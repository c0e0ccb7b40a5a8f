//! Albums: the shelf's summaries, renaming and removing, and the album that mirrors each
//! folder.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Index, IndexError, Writer, now_unix, rfc3339};

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

impl Index {
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

    /// How many videos the library holds (each once, whatever its albums): the window
    /// counts an import's new videos as the difference.
    pub fn video_count(&self) -> Result<i64, IndexError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM photos WHERE kind = 'video'",
            [],
            |row| row.get(0),
        )?)
    }

    /// Renames an album.
    pub fn rename_album(&mut self, album_id: i64, title: &str) -> Result<(), IndexError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(IndexError::EmptyTitle);
        }
        let changed = self.conn.execute(
            "UPDATE albums SET title = ?2, renamed_at = ?3 WHERE id = ?1",
            params![album_id, title, super::now_unix_ms()],
        )?;
        if changed == 0 {
            return Err(IndexError::NoSuchAlbum(album_id));
        }
        Ok(())
    }
}

impl Writer<'_> {
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

    /// Shows an item in an album (once, however many copies the folder holds).
    pub fn link(&self, album_id: i64, photo_id: i64) -> Result<(), IndexError> {
        self.tx.execute(
            "INSERT INTO album_photos (album_id, photo_id) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![album_id, photo_id],
        )?;
        Ok(())
    }
}
