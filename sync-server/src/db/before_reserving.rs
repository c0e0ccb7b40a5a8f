//! The two reads before an upload is reserved, in one go: whether the account has the
//! live album, and which live photo of the account (if any) already holds the same
//! content. On a SQLite file both run in one hand-off to a native connection
//! ([`super::native_reads`]), as the album page does; elsewhere they are the sqlx
//! statements every other caller uses. Both answer the same.

use super::Db;
use super::Result;
use super::album_page::owns_album;

const STORED: &str =
    "SELECT id FROM photos WHERE user_id = ?1 AND sha256 = ?2 AND deleted_at IS NULL";

/// What a reservation needs to know before it holds space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeforeReserving {
    /// The account has no live album by that id.
    NoSuchAlbum,
    /// The album is the account's; `stored` is its live photo with the same content,
    /// when one was looked for and found.
    Album { stored: Option<String> },
}

impl Db {
    /// Whether `user_id` may add to `album_id`, and, when `look_for_stored`, the id of
    /// the account's live photo whose content is `sha256`.
    pub async fn before_reserving(
        &self,
        user_id: &str,
        album_id: &str,
        sha256: &str,
        look_for_stored: bool,
    ) -> Result<BeforeReserving> {
        let Some(native) = &self.native_reads else {
            if !self.owns_album(user_id, album_id).await? {
                return Ok(BeforeReserving::NoSuchAlbum);
            }
            let stored = if look_for_stored {
                self.live_photo_with_content(user_id, sha256).await?
            } else {
                None
            };
            return Ok(BeforeReserving::Album { stored });
        };
        let (user_id, album_id, sha256) =
            (user_id.to_owned(), album_id.to_owned(), sha256.to_owned());
        native
            .read(move |db| {
                if !owns_album(db, &user_id, &album_id)? {
                    return Ok(BeforeReserving::NoSuchAlbum);
                }
                let stored = if look_for_stored {
                    use rusqlite::OptionalExtension;
                    db.prepare_cached(STORED)?
                        .query_row(rusqlite::params![user_id, sha256], |row| row.get(0))
                        .optional()?
                } else {
                    None
                };
                Ok(BeforeReserving::Album { stored })
            })
            .await
    }
}
