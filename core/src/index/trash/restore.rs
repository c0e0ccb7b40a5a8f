//! Restore: an entry's saved rows written back, and the cloud asked to follow (or a
//! removal it has not been sent yet withdrawn).

use rusqlite::{OptionalExtension, Transaction, params};

use super::{CloudTrashAction, SavedAlbum, SavedItem, SavedSync, parse, request};
use crate::index::{Index, IndexError, now_unix};

impl Index {
    /// Puts entries back where they were: the album with its items, files, cloud state
    /// and links, or the item in its album. Asks the cloud to restore its copy too unless
    /// `cloud_knows` (the cloud restored it first), or withdraws a removal not sent yet.
    /// Returns the albums the entries went back to. An item whose album is in the Trash
    /// brings its album back first.
    pub fn restore_from_trash(
        &mut self,
        entries: &[i64],
        cloud_knows: bool,
    ) -> Result<Vec<i64>, IndexError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut albums = Vec::new();
        for &entry in entries {
            let album = restore_entry(&tx, entry, cloud_knows)?;
            if !albums.contains(&album) {
                albums.push(album);
            }
        }
        tx.commit()?;
        Ok(albums)
    }
}

/// Withdraws a request the engine has not sent yet; true if there was one.
fn withdraw(
    tx: &Transaction<'_>,
    action: CloudTrashAction,
    remote_album: &str,
    remote_photo: Option<&str>,
) -> Result<bool, IndexError> {
    Ok(tx.execute(
        "DELETE FROM cloud_trash_requests
          WHERE action = ?1 AND remote_album_id = ?2 AND remote_photo_id IS ?3",
        params![action.word(), remote_album, remote_photo],
    )? > 0)
}

/// Restores one entry inside `tx`; returns the album it went back to.
fn restore_entry(tx: &Transaction<'_>, entry: i64, cloud_knows: bool) -> Result<i64, IndexError> {
    let row: Option<(i64, Option<i64>, String, Option<String>)> = tx
        .query_row(
            "SELECT album_id, photo_id, saved, remote_album_id FROM trash WHERE id = ?1",
            [entry],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let Some((album_id, photo_id, saved, remote_album)) = row else {
        return Err(IndexError::NoSuchTrashEntry(entry));
    };
    let album = match photo_id {
        None => {
            let mut saved: SavedAlbum = parse(&saved)?;
            // Signed in to another account since: the old cloud album is not this one's.
            if remote_album.is_none() {
                saved.remote = None;
            }
            restore_album(tx, album_id, &saved, cloud_knows)?
        }
        Some(photo_id) => {
            let whole: Option<i64> = tx
                .query_row(
                    "SELECT id FROM trash WHERE album_id = ?1 AND photo_id IS NULL
                      ORDER BY id DESC LIMIT 1",
                    [album_id],
                    |row| row.get(0),
                )
                .optional()?;
            // Restoring the album first may give it another id; the item follows.
            let album_id = match whole {
                Some(whole) => restore_entry(tx, whole, cloud_knows)?,
                None => album_id,
            };
            restore_item(tx, entry, album_id, photo_id, &parse(&saved)?, cloud_knows)?;
            album_id
        }
    };
    tx.execute("DELETE FROM trash WHERE id = ?1", [entry])?;
    Ok(album)
}

fn restore_album(
    tx: &Transaction<'_>,
    old_id: i64,
    saved: &SavedAlbum,
    cloud_knows: bool,
) -> Result<i64, IndexError> {
    // The folder may have been added again meanwhile, making a new album of it: the
    // restored items join that album. Otherwise the album gets its id back if it is free.
    let existing: Option<i64> = match &saved.folder_path {
        Some(folder) => tx
            .query_row(
                "SELECT id FROM albums WHERE folder_path = ?1",
                [folder],
                |row| row.get(0),
            )
            .optional()?,
        None => None,
    };
    let album_id = match existing {
        Some(id) => id,
        None => {
            let taken = tx
                .query_row("SELECT 1 FROM albums WHERE id = ?1", [old_id], |_| Ok(()))
                .optional()?
                .is_some();
            tx.execute(
                "INSERT INTO albums (id, title, folder_path, created_at, renamed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    (!taken).then_some(old_id),
                    saved.title,
                    saved.folder_path,
                    saved.created_at,
                    saved.renamed_at
                ],
            )?;
            tx.last_insert_rowid()
        }
    };
    if album_id != old_id {
        // Items removed from it earlier stay with it.
        tx.execute(
            "UPDATE trash SET album_id = ?2 WHERE album_id = ?1 AND photo_id IS NOT NULL",
            params![old_id, album_id],
        )?;
    }
    for (path, size, mtime_ns, photo_id) in &saved.files {
        tx.execute(
            "INSERT INTO files (path, size, mtime_ns, photo_id, album_id)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (path) DO NOTHING",
            params![path, size, mtime_ns, photo_id, album_id],
        )?;
    }
    for photo_id in &saved.photos {
        tx.execute(
            "INSERT INTO album_photos (album_id, photo_id) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![album_id, photo_id],
        )?;
    }
    let mut cloud = None;
    if let Some((remote_id, synced_title)) = &saved.remote {
        let inserted = tx.execute(
            "INSERT INTO remote_albums (album_id, remote_id, synced_title) VALUES (?1, ?2, ?3)
             ON CONFLICT (album_id) DO NOTHING",
            params![album_id, remote_id, synced_title],
        )? > 0;
        if inserted {
            cloud = Some(remote_id.as_str());
            for sync in &saved.sync {
                put_back_sync_state(tx, album_id, sync)?;
            }
            for share in &saved.shares {
                tx.execute(
                    "INSERT INTO share_links (id, album_id, url, expires_at, allow_download,
                                              created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
                    params![share.0, album_id, share.1, share.2, share.3, share.4],
                )?;
            }
            for id in &saved.adding_links {
                tx.execute(
                    "UPDATE share_links SET allow_add = 1 WHERE id = ?1 AND album_id = ?2",
                    params![id, album_id],
                )?;
            }
            for id in &saved.password_links {
                tx.execute(
                    "UPDATE share_links SET has_password = 1 WHERE id = ?1 AND album_id = ?2",
                    params![id, album_id],
                )?;
            }
            for id in &saved.quiet_links {
                tx.execute(
                    "UPDATE share_links SET allow_comments = 0 WHERE id = ?1 AND album_id = ?2",
                    params![id, album_id],
                )?;
            }
        }
    }
    for d in &saved.downloads {
        tx.execute(
            "INSERT OR IGNORE INTO cloud_downloads (remote_album_id, remote_photo_id, album_id,
                    path, size, sha256, modified_at, state, reason, blake3)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![d.0, d.1, album_id, d.2, d.3, d.4, d.5, d.6, d.7, d.8],
        )?;
    }
    for a in &saved.arriving {
        tx.execute(
            "UPDATE cloud_downloads SET added_by = ?2, kind = ?3, taken_at = ?4, width = ?5,
                    height = ?6
              WHERE album_id = ?1 AND remote_photo_id = ?7",
            params![album_id, a.1, a.2, a.3, a.4, a.5, a.0],
        )?;
    }
    if let Some(folder) = &saved.folder_path {
        tx.execute("DELETE FROM hidden_folders WHERE path = ?1", [folder])?;
        if saved.root {
            tx.execute(
                "INSERT INTO folders (path, added_at) VALUES (?1, ?2)
                 ON CONFLICT (path) DO NOTHING",
                params![folder, now_unix()],
            )?;
        }
    }
    if let Some(remote_id) = cloud {
        let not_sent = tx.execute(
            "DELETE FROM remote_album_deletions WHERE remote_id = ?1",
            [remote_id],
        )? > 0;
        if !not_sent && !cloud_knows {
            request(tx, CloudTrashAction::RestoreAlbum, remote_id, None)?;
        }
    }
    Ok(album_id)
}

fn restore_item(
    tx: &Transaction<'_>,
    entry: i64,
    album_id: i64,
    photo_id: i64,
    saved: &SavedItem,
    cloud_knows: bool,
) -> Result<(), IndexError> {
    let exists = tx
        .query_row("SELECT 1 FROM albums WHERE id = ?1", [album_id], |_| Ok(()))
        .optional()?;
    if exists.is_none() {
        return Err(IndexError::NoSuchAlbum(album_id));
    }
    for (path, size, mtime_ns) in &saved.files {
        tx.execute("DELETE FROM hidden_files WHERE path = ?1", [path])?;
        tx.execute(
            "INSERT INTO files (path, size, mtime_ns, photo_id, album_id)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (path) DO NOTHING",
            params![path, size, mtime_ns, photo_id, album_id],
        )?;
    }
    tx.execute(
        "INSERT INTO album_photos (album_id, photo_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![album_id, photo_id],
    )?;
    let (remote_album, remote_photo): (Option<String>, Option<String>) = tx.query_row(
        "SELECT remote_album_id, remote_photo_id FROM trash WHERE id = ?1",
        [entry],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let current_remote: Option<String> = tx
        .query_row(
            "SELECT remote_id FROM remote_albums WHERE album_id = ?1",
            [album_id],
            |row| row.get(0),
        )
        .optional()?;
    // The cloud's copy is this item's only while the album still has the same server
    // album; otherwise the item is simply sent again.
    if let (Some(remote_album), Some(remote_photo)) = (remote_album, remote_photo)
        && current_remote.as_deref() == Some(remote_album.as_str())
    {
        if let Some(sync) = &saved.sync {
            put_back_sync_state(tx, album_id, sync)?;
        }
        let not_sent = withdraw(
            tx,
            CloudTrashAction::RemovePhoto,
            &remote_album,
            Some(&remote_photo),
        )?;
        if !not_sent && !cloud_knows {
            request(
                tx,
                CloudTrashAction::RestorePhoto,
                &remote_album,
                Some(&remote_photo),
            )?;
        }
    }
    Ok(())
}

/// Gives a queue row back the state it had when removed: what was sent stays sent.
fn put_back_sync_state(
    tx: &Transaction<'_>,
    album_id: i64,
    (photo_id, state, reason, sha256, remote_photo_id): &SavedSync,
) -> Result<(), IndexError> {
    if state == "waiting" {
        return Ok(());
    }
    tx.execute(
        "UPDATE sync_items SET state = ?3, reason = ?4, sha256 = ?5, remote_photo_id = ?6,
                upload_id = NULL, part_etags = NULL
          WHERE album_id = ?1 AND photo_id = ?2",
        params![album_id, photo_id, state, reason, sha256, remote_photo_id],
    )?;
    Ok(())
}
