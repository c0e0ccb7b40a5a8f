//! The album links the parent made, kept as the server gave them (it shows a link's
//! address only once), and whether each lets the family add photos.

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
    /// The family may add photos and videos through it ("Family can add photos").
    pub allow_add: bool,
    /// The family page asks for a password first.
    #[serde(default)]
    pub has_password: bool,
}

impl Index {
    pub fn add_share_link(&self, link: &SavedShareLink) -> Result<(), IndexError> {
        self.conn.execute(
            "INSERT INTO share_links (id, album_id, url, expires_at, allow_download, allow_add,
                                      created_at, has_password)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                link.id,
                link.album_id,
                link.url,
                link.expires_at,
                link.allow_download,
                link.allow_add,
                now_unix(),
                link.has_password
            ],
        )?;
        Ok(())
    }

    /// The album's links, newest first.
    pub fn share_links(&self, album_id: i64) -> Result<Vec<SavedShareLink>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, album_id, url, expires_at, allow_download, allow_add, has_password
               FROM share_links WHERE album_id = ?1 ORDER BY created_at DESC, rowid DESC",
        )?;
        let rows = stmt.query_map([album_id], |row| {
            Ok(SavedShareLink {
                id: row.get(0)?,
                album_id: row.get(1)?,
                url: row.get(2)?,
                expires_at: row.get(3)?,
                allow_download: row.get(4)?,
                allow_add: row.get(5)?,
                has_password: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// One saved link by its id.
    pub fn share_link(&self, id: &str) -> Result<Option<SavedShareLink>, IndexError> {
        let album_id: Option<i64> = rusqlite::OptionalExtension::optional(self.conn.query_row(
            "SELECT album_id FROM share_links WHERE id = ?1",
            [id],
            |row| row.get(0),
        ))?;
        let Some(album_id) = album_id else {
            return Ok(None);
        };
        Ok(self
            .share_links(album_id)?
            .into_iter()
            .find(|link| link.id == id))
    }

    /// Remembers what the server now says about adding through the link. False if no
    /// such link is saved here.
    pub fn set_share_link_adding(&self, id: &str, allow_add: bool) -> Result<bool, IndexError> {
        Ok(self.conn.execute(
            "UPDATE share_links SET allow_add = ?2 WHERE id = ?1",
            params![id, allow_add],
        )? == 1)
    }

    /// Remembers whether the link now asks for a password. False if no such link is
    /// saved here.
    pub fn set_share_link_password(
        &self,
        id: &str,
        has_password: bool,
    ) -> Result<bool, IndexError> {
        Ok(self.conn.execute(
            "UPDATE share_links SET has_password = ?2 WHERE id = ?1",
            params![id, has_password],
        )? == 1)
    }

    pub fn remove_share_link(&self, id: &str) -> Result<(), IndexError> {
        self.conn
            .execute("DELETE FROM share_links WHERE id = ?1", [id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_with_album() -> Index {
        let index = Index::open_in_memory().unwrap();
        index
            .conn
            .execute(
                "INSERT INTO albums (id, title, folder_path, created_at)
                 VALUES (1, 'Summer', '/p/Summer', 0)",
                [],
            )
            .unwrap();
        index
    }

    fn link(id: &str, allow_add: bool) -> SavedShareLink {
        SavedShareLink {
            id: id.into(),
            album_id: 1,
            url: format!("https://photos.example.org/s/{id}"),
            expires_at: None,
            allow_download: true,
            allow_add,
            has_password: false,
        }
    }

    #[test]
    fn a_link_remembers_whether_the_family_can_add_and_the_switch_sticks() {
        let index = index_with_album();
        index.add_share_link(&link("closed", false)).unwrap();
        index.add_share_link(&link("open", true)).unwrap();
        let adding: Vec<_> = index
            .share_links(1)
            .unwrap()
            .into_iter()
            .map(|l| (l.id, l.allow_add))
            .collect();
        assert_eq!(adding, [("open".into(), true), ("closed".into(), false)]);

        assert!(index.set_share_link_adding("closed", true).unwrap());
        assert!(index.set_share_link_adding("open", false).unwrap());
        assert!(index.share_link("closed").unwrap().unwrap().allow_add);
        assert!(!index.share_link("open").unwrap().unwrap().allow_add);
        assert!(!index.set_share_link_adding("gone", true).unwrap());
        assert_eq!(index.share_link("gone").unwrap(), None);
    }

    #[test]
    fn a_link_remembers_whether_it_asks_for_a_password() {
        let index = index_with_album();
        index
            .add_share_link(&SavedShareLink {
                has_password: true,
                ..link("locked", false)
            })
            .unwrap();
        index.add_share_link(&link("open", false)).unwrap();
        assert!(index.share_link("locked").unwrap().unwrap().has_password);
        assert!(!index.share_link("open").unwrap().unwrap().has_password);
        assert!(index.set_share_link_password("locked", false).unwrap());
        assert!(index.set_share_link_password("open", true).unwrap());
        assert!(!index.share_link("locked").unwrap().unwrap().has_password);
        assert!(index.share_link("open").unwrap().unwrap().has_password);
        assert!(!index.set_share_link_password("gone", true).unwrap());
    }
}
