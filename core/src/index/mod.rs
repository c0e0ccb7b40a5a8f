//! The library index: one SQLite database in WAL mode, reached only through this module.
//!
//! One writer (the import's writer thread, or a page action), readers in parallel, each
//! on its own connection. Every multi-step write is one transaction, so a process killed
//! at any moment leaves the index as it was before or after a whole step.

//!
//! - `albums`, `photos`, `files` — the library's tables, a module each (`files` also
//!   keeps the folders and the skipped files).
//! - `sync` — the family cloud's account, upload queue and server albums;
//!   `share_links` — the album links the parent made; `downloads` — originals coming
//!   back from the cloud into kept albums, and the change feed's position.
//! - `trash` — what the parent removed, saved whole for Restore for 30 days.
//! - `migrations` — the numbered schema.

mod albums;
mod arrivals;
mod downloads;
mod files;
mod migrations;
mod photos;
mod share_links;
mod sync;
mod trash;

pub use albums::AlbumSummary;
pub use arrivals::ArrivingItem;
pub use downloads::{Download, DownloadCounts, NewDownload, ShownAs};
pub use files::{KnownFile, SkippedFile};
pub use migrations::{MIGRATIONS, apply_migrations};
pub use photos::{NewPhoto, PhotoRecord};
pub use share_links::{LinkState, SavedShareLink};
pub use sync::{DueItem, FailedItem, OpenUpload, RemoteRename, SyncAccount, SyncCounts};
pub use trash::{CloudTrashAction, CloudTrashRequest, Purge, TRASH_DAYS, TRASH_MS, TrashEntry};

use std::path::Path;
use std::time::Duration;

use chrono::{FixedOffset, TimeZone, Utc};
use rusqlite::{Connection, Transaction};

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
    #[error("That photo is not in this album any more.")]
    NotInAlbum { album_id: i64, photo_id: i64 },
    #[error("That is no longer in the Trash.")]
    NoSuchTrashEntry(i64),
    #[error("Something in the Trash could not be read back: {0}")]
    BadTrashEntry(String),
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

fn now_unix_ms() -> i64 {
    Utc::now().timestamp_millis()
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
        apply_migrations(&mut self.conn, MIGRATIONS)
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
}

/// One write transaction. Dropping it without [`Writer::commit`] rolls everything back.
pub struct Writer<'conn> {
    tx: Transaction<'conn>,
}

impl Writer<'_> {
    pub fn commit(self) -> Result<(), IndexError> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MediaKind;

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
