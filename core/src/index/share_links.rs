//! The album links the parent made, kept as the server gave them (it shows a link's
//! address only once).

use rusqlite::params;
use serde::Serialize;

use super::{Index, IndexError, now_unix};

/// An album link, as the server gave it when it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedShareLink {
    pub id: String,
    pub album_id: i64,
    pub url: String,
    pub expires_at: Option<String>,
    pub allow_download: bool,
}

impl Index {
    pub fn add_share_link(&self, link: &SavedShareLink) -> Result<(), IndexError> {
        self.conn.execute(
            "INSERT INTO share_links (id, album_id, url, expires_at, allow_download, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                link.id,
                link.album_id,
                link.url,
                link.expires_at,
                link.allow_download,
                now_unix()
            ],
        )?;
        Ok(())
    }

    /// The album's links, newest first.
    pub fn share_links(&self, album_id: i64) -> Result<Vec<SavedShareLink>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, album_id, url, expires_at, allow_download FROM share_links
              WHERE album_id = ?1 ORDER BY created_at DESC, rowid DESC",
        )?;
        let rows = stmt.query_map([album_id], |row| {
            Ok(SavedShareLink {
                id: row.get(0)?,
                album_id: row.get(1)?,
                url: row.get(2)?,
                expires_at: row.get(3)?,
                allow_download: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn remove_share_link(&self, id: &str) -> Result<(), IndexError> {
        self.conn
            .execute("DELETE FROM share_links WHERE id = ?1", [id])?;
        Ok(())
    }
}
