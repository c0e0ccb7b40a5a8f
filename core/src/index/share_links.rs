//! The album links the parent made, kept as the server gave them (it shows a link's
//! address only once), and what each lets the family do: add photos, give hearts and
//! write comments, or get in only with a password. The cloud has the last word: what it
//! answers about a link, or lists for an album, is written over what is saved here.

use std::collections::HashMap;

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
    /// The family may give hearts and write comments ("Family can comment").
    pub allow_comments: bool,
}

/// What the cloud says about a link that can change after it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    pub expires_at: Option<String>,
    pub allow_add: bool,
    pub has_password: bool,
    pub allow_comments: bool,
}

const LINK_COLUMNS: &str =
    "id, album_id, url, expires_at, allow_download, allow_add, has_password, allow_comments";

fn link_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SavedShareLink> {
    Ok(SavedShareLink {
        id: row.get(0)?,
        album_id: row.get(1)?,
        url: row.get(2)?,
        expires_at: row.get(3)?,
        allow_download: row.get(4)?,
        allow_add: row.get(5)?,
        has_password: row.get(6)?,
        allow_comments: row.get(7)?,
    })
}

const UPDATE_LINK: &str = "UPDATE share_links
    SET expires_at = ?2, allow_add = ?3, has_password = ?4, allow_comments = ?5
  WHERE id = ?1";

impl Index {
    pub fn add_share_link(&self, link: &SavedShareLink) -> Result<(), IndexError> {
        self.conn.execute(
            "INSERT INTO share_links (id, album_id, url, expires_at, allow_download, allow_add,
                                      created_at, has_password, allow_comments)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                link.id,
                link.album_id,
                link.url,
                link.expires_at,
                link.allow_download,
                link.allow_add,
                now_unix(),
                link.has_password,
                link.allow_comments
            ],
        )?;
        Ok(())
    }

    /// The album's links, newest first.
    pub fn share_links(&self, album_id: i64) -> Result<Vec<SavedShareLink>, IndexError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {LINK_COLUMNS} FROM share_links WHERE album_id = ?1
              ORDER BY created_at DESC, rowid DESC"
        ))?;
        let rows = stmt.query_map([album_id], link_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// One saved link by its id.
    pub fn share_link(&self, id: &str) -> Result<Option<SavedShareLink>, IndexError> {
        Ok(rusqlite::OptionalExtension::optional(self.conn.query_row(
            &format!("SELECT {LINK_COLUMNS} FROM share_links WHERE id = ?1"),
            [id],
            link_from_row,
        ))?)
    }

    /// Remembers what the server now says about the link (after the parent changed
    /// it). The link as saved now, or None if no such link is saved here.
    pub fn update_share_link(
        &self,
        id: &str,
        state: &LinkState,
    ) -> Result<Option<SavedShareLink>, IndexError> {
        let changed = self.conn.execute(
            UPDATE_LINK,
            params![
                id,
                state.expires_at,
                state.allow_add,
                state.has_password,
                state.allow_comments
            ],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        self.share_link(id)
    }

    /// Brings an album's saved links in line with the links the cloud lists as working
    /// (`listed`, by id), in one transaction: each is updated, and a saved link the
    /// cloud no longer lists (stopped, or run out) is forgotten. The album's links as
    /// saved now, newest first.
    pub fn follow_cloud_links(
        &mut self,
        album_id: i64,
        listed: &HashMap<String, LinkState>,
    ) -> Result<Vec<SavedShareLink>, IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let saved: Vec<String> = {
            let mut stmt = tx.prepare("SELECT id FROM share_links WHERE album_id = ?1")?;
            stmt.query_map([album_id], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        for id in saved {
            match listed.get(&id) {
                Some(state) => tx.execute(
                    UPDATE_LINK,
                    params![
                        id,
                        state.expires_at,
                        state.allow_add,
                        state.has_password,
                        state.allow_comments
                    ],
                )?,
                None => tx.execute("DELETE FROM share_links WHERE id = ?1", [&id])?,
            };
        }
        tx.commit()?;
        self.share_links(album_id)
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
            allow_comments: true,
        }
    }

    fn state_of(link: &SavedShareLink) -> LinkState {
        LinkState {
            expires_at: link.expires_at.clone(),
            allow_add: link.allow_add,
            has_password: link.has_password,
            allow_comments: link.allow_comments,
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

        let opened = LinkState {
            allow_add: true,
            ..state_of(&link("closed", false))
        };
        let now = index.update_share_link("closed", &opened).unwrap().unwrap();
        assert!(now.allow_add);
        let closed = state_of(&link("open", false));
        assert!(
            !index
                .update_share_link("open", &closed)
                .unwrap()
                .unwrap()
                .allow_add
        );
        assert!(index.share_link("closed").unwrap().unwrap().allow_add);
        assert!(!index.share_link("open").unwrap().unwrap().allow_add);
        assert_eq!(index.update_share_link("gone", &opened).unwrap(), None);
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
        let unlocked = state_of(&link("locked", false));
        let locked = LinkState {
            has_password: true,
            ..state_of(&link("open", false))
        };
        index
            .update_share_link("locked", &unlocked)
            .unwrap()
            .unwrap();
        index.update_share_link("open", &locked).unwrap().unwrap();
        assert!(!index.share_link("locked").unwrap().unwrap().has_password);
        assert!(index.share_link("open").unwrap().unwrap().has_password);
        assert_eq!(index.update_share_link("gone", &locked).unwrap(), None);
    }

    #[test]
    fn one_update_remembers_everything_the_cloud_answered() {
        let index = index_with_album();
        index.add_share_link(&link("l", false)).unwrap();
        let answered = LinkState {
            expires_at: Some("2030-01-01T00:00:00Z".into()),
            allow_add: true,
            has_password: true,
            allow_comments: false,
        };
        let now = index.update_share_link("l", &answered).unwrap().unwrap();
        assert_eq!(state_of(&now), answered);
        assert_eq!(index.share_link("l").unwrap().unwrap(), now);
        assert_eq!(
            now.url, "https://photos.example.org/s/l",
            "the address stays"
        );
    }

    #[test]
    fn links_saved_before_version_8_let_the_family_comment() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::apply_migrations(&mut conn, &super::super::MIGRATIONS[..7]).unwrap();
        conn.execute_batch(
            "INSERT INTO albums (id, title, folder_path, created_at)
                 VALUES (1, 'Summer', '/p/Summer', 0);
             INSERT INTO share_links (id, album_id, url, allow_download, created_at,
                                      allow_add, has_password)
                 VALUES ('old', 1, 'https://photos.example.org/s/old', 1, 0, 1, 0);",
        )
        .unwrap();
        let mut index = Index { conn };
        index.migrate().unwrap();
        let old = index.share_link("old").unwrap().unwrap();
        assert!(old.allow_comments, "made with comments on");
        assert!(old.allow_add, "the rest as it was");
        index
            .add_share_link(&SavedShareLink {
                allow_comments: false,
                ..link("quiet", false)
            })
            .unwrap();
        assert!(!index.share_link("quiet").unwrap().unwrap().allow_comments);
    }

    #[test]
    fn the_list_follows_the_cloud_and_forgets_what_it_no_longer_lists() {
        let mut index = index_with_album();
        index
            .conn
            .execute(
                "INSERT INTO albums (id, title, folder_path, created_at)
                 VALUES (2, 'Winter', '/p/Winter', 0)",
                [],
            )
            .unwrap();
        index.add_share_link(&link("kept", false)).unwrap();
        index.add_share_link(&link("stopped", true)).unwrap();
        index
            .add_share_link(&SavedShareLink {
                album_id: 2,
                ..link("other album", false)
            })
            .unwrap();
        let changed_elsewhere = LinkState {
            expires_at: Some("2030-01-01T00:00:00Z".into()),
            allow_add: true,
            has_password: true,
            allow_comments: false,
        };
        let listed = HashMap::from([
            ("kept".to_owned(), changed_elsewhere.clone()),
            // A link of another computer's is not saved here, so it is not shown.
            ("not saved here".to_owned(), changed_elsewhere.clone()),
        ]);
        let links = index.follow_cloud_links(1, &listed).unwrap();
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(links[0].id, "kept");
        assert_eq!(state_of(&links[0]), changed_elsewhere);
        assert_eq!(index.share_link("stopped").unwrap(), None, "forgotten");
        assert!(
            index.share_link("other album").unwrap().is_some(),
            "another album's links are left alone"
        );
        assert!(
            index
                .follow_cloud_links(1, &HashMap::new())
                .unwrap()
                .is_empty()
        );
    }
}
