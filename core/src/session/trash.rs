//! The Trash as a front end sees it: removing albums and items (each removal an entry
//! that Undo restores), the page's list, Restore, Empty Trash, and the entries whose 30
//! days are up. Each step wakes the copy to the cloud, which makes the cloud's Trash
//! follow.

use serde::Serialize;

use super::{Session, SessionError};
use crate::index::{TRASH_DAYS, TrashEntry};

/// What the Trash page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrashView {
    pub entries: Vec<TrashEntry>,
    /// About how much family cloud space emptying the Trash frees.
    pub cloud_bytes: i64,
    /// How many days an entry stays.
    pub days: i64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Session {
    /// Moves an album to the Trash (never the files on disk) and lets the cloud copy
    /// follow. Refused while photos are being added. Returns the Trash entry, for Undo.
    pub fn remove_album(&self, album_id: i64) -> Result<i64, SessionError> {
        if self.is_importing() {
            return Err(SessionError::BusyImporting);
        }
        let entry = self.library.remove_album(album_id, now_ms())?;
        self.wake_sync();
        Ok(entry)
    }

    /// Moves items out of one album into the Trash (one entry each), the cloud's copies
    /// too. Refused while photos are being added. Returns the entries, for Undo.
    pub fn remove_items(&self, album_id: i64, photo_ids: &[i64]) -> Result<Vec<i64>, SessionError> {
        if self.is_importing() {
            return Err(SessionError::BusyImporting);
        }
        let entries = self
            .library
            .index()?
            .trash_items(album_id, photo_ids, now_ms(), false)?;
        self.wake_sync();
        Ok(entries)
    }

    /// Moves items out of every album that shows them. Returns the entries.
    pub fn remove_items_everywhere(&self, photo_ids: &[i64]) -> Result<Vec<i64>, SessionError> {
        let mut entries = Vec::new();
        for &photo_id in photo_ids {
            let albums = self.library.index()?.albums_of_item(photo_id)?;
            if albums.is_empty() {
                return Err(SessionError::NoSuchItem(photo_id));
            }
            for album_id in albums {
                entries.extend(self.remove_items(album_id, &[photo_id])?);
            }
        }
        Ok(entries)
    }

    /// What the Trash holds, the most recently removed first.
    pub fn trash(&self) -> Result<TrashView, SessionError> {
        let index = self.library.index()?;
        Ok(TrashView {
            entries: index.trash_entries()?,
            cloud_bytes: index.trash_cloud_bytes()?,
            days: TRASH_DAYS,
        })
    }

    /// Puts entries back where they were, in the cloud too. Returns the albums they went
    /// back to.
    pub fn restore_from_trash(&self, entries: &[i64]) -> Result<Vec<i64>, SessionError> {
        let albums = self.library.index()?.restore_from_trash(entries, false)?;
        self.wake_sync();
        Ok(albums)
    }

    /// Lets entries (`None`: all) go for good, here and in the cloud. Returns how many.
    pub fn empty_trash(&self, entries: Option<&[i64]>) -> Result<usize, SessionError> {
        let emptied = self.library.empty_trash(entries)?;
        self.wake_sync();
        Ok(emptied)
    }

    /// Lets go the entries removed more than 30 days before `now_ms`. Returns how many
    /// items left the library.
    pub fn purge_expired_trash(&self, now_ms: i64) -> Result<usize, SessionError> {
        Ok(self.library.purge_expired_trash(now_ms)?)
    }
}
