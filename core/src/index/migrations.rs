//! The index schema, as numbered migrations. A migration, once released, is never
//! edited: a change to the schema is a new migration appended to the list.

use rusqlite::Connection;

use super::IndexError;

/// Brings the index on `conn` to the version of the last of `migrations`, in one
/// transaction, recording each version in `PRAGMA user_version`. The index always passes
/// all of [`MIGRATIONS`]; the upgrade test passes a prefix to make an index an earlier
/// version made.
pub fn apply_migrations(conn: &mut Connection, migrations: &[&str]) -> Result<(), IndexError> {
    let known = migrations.len() as i64;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > known {
        return Err(IndexError::TooNew { found, known });
    }
    for (version, sql) in migrations.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Each entry moves the schema from version `n` to `n + 1` (index `n`).
pub const MIGRATIONS: &[&str] = &[
    // 1: folders, albums, photos, the files that hold them, and files that were skipped.
    r#"
    CREATE TABLE folders (
        id        INTEGER PRIMARY KEY,
        path      TEXT NOT NULL UNIQUE,
        added_at  INTEGER NOT NULL
    );

    -- One album per folder that directly holds photos; folder_path is NULL for albums
    -- that no longer mirror a folder (reserved for merges made by hand).
    CREATE TABLE albums (
        id           INTEGER PRIMARY KEY,
        title        TEXT NOT NULL,
        folder_path  TEXT UNIQUE,
        created_at   INTEGER NOT NULL
    );

    -- One row per distinct content (BLAKE3 of the bytes): the same photo found twice is
    -- one item. width/height are as displayed, after EXIF orientation.
    CREATE TABLE photos (
        id              INTEGER PRIMARY KEY,
        hash            TEXT NOT NULL UNIQUE,
        kind            TEXT NOT NULL CHECK (kind IN ('photo', 'video')),
        width           INTEGER NOT NULL,
        height          INTEGER NOT NULL,
        taken_at        INTEGER NOT NULL,          -- Unix seconds, UTC
        taken_offset    INTEGER NOT NULL,          -- minutes east of UTC, for display
        taken_from      TEXT NOT NULL CHECK (taken_from IN ('camera', 'file')),
        camera          TEXT,
        duration_ms     INTEGER,
        byte_size       INTEGER NOT NULL,
        added_at        INTEGER NOT NULL
    );
    CREATE INDEX photos_by_time ON photos (taken_at, id);

    -- Every file on disk that holds a known photo; (size, mtime) let a re-import
    -- recognise unchanged files without reading them.
    CREATE TABLE files (
        id        INTEGER PRIMARY KEY,
        path      TEXT NOT NULL UNIQUE,
        size      INTEGER NOT NULL,
        mtime_ns  INTEGER NOT NULL,
        photo_id  INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
        album_id  INTEGER REFERENCES albums (id) ON DELETE CASCADE
    );
    CREATE INDEX files_by_photo ON files (photo_id);
    CREATE INDEX files_by_album ON files (album_id);

    CREATE TABLE album_photos (
        album_id  INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
        photo_id  INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
        PRIMARY KEY (album_id, photo_id)
    ) WITHOUT ROWID;
    CREATE INDEX album_photos_by_photo ON album_photos (photo_id);

    -- Files an import could not use, with a reason in plain words.
    CREATE TABLE skipped (
        path         TEXT PRIMARY KEY,
        reason       TEXT NOT NULL,
        size         INTEGER,
        mtime_ns     INTEGER,
        recorded_at  INTEGER NOT NULL
    );
    "#,
    // 2: folders whose album the parent removed. They stay out of the library when their
    // watched parent folder is caught up, until the parent adds them again.
    r#"
    CREATE TABLE hidden_folders (
        path       TEXT PRIMARY KEY,
        hidden_at  INTEGER NOT NULL
    );
    "#,
    // 3: the family cloud. One queue row per (album, item) the server must hold, kept
    // in step with album_photos by triggers so no import path can forget it; each local
    // album's counterpart on the server; server albums to delete because the local one
    // went; and the album links the parent made (the server shows a link only once).
    r#"
    CREATE TABLE sync_account (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        server_url    TEXT NOT NULL,
        email         TEXT NOT NULL,
        connected_at  INTEGER NOT NULL
    );

    -- state: waiting | done | failed (reason in plain words; retried on demand).
    -- upload_id/part_etags let an unfinished upload resume after a restart.
    CREATE TABLE sync_items (
        album_id         INTEGER NOT NULL,
        photo_id         INTEGER NOT NULL,
        state            TEXT NOT NULL DEFAULT 'waiting'
                         CHECK (state IN ('waiting', 'done', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_try_at      INTEGER NOT NULL DEFAULT 0,     -- Unix milliseconds
        reason           TEXT,
        sha256           TEXT,
        upload_id        TEXT,
        part_etags       TEXT,                           -- JSON {"1": "etag", …}
        remote_photo_id  TEXT,
        PRIMARY KEY (album_id, photo_id)
    ) WITHOUT ROWID;
    CREATE INDEX sync_items_due ON sync_items (state, next_try_at);
    CREATE INDEX sync_items_by_photo ON sync_items (photo_id);

    INSERT INTO sync_items (album_id, photo_id) SELECT album_id, photo_id FROM album_photos;
    CREATE TRIGGER sync_items_follow_insert AFTER INSERT ON album_photos BEGIN
        INSERT OR IGNORE INTO sync_items (album_id, photo_id)
        VALUES (NEW.album_id, NEW.photo_id);
    END;
    CREATE TRIGGER sync_items_follow_delete AFTER DELETE ON album_photos BEGIN
        DELETE FROM sync_items
         WHERE album_id = OLD.album_id AND photo_id = OLD.photo_id;
    END;

    CREATE TABLE remote_albums (
        album_id      INTEGER PRIMARY KEY,
        remote_id     TEXT NOT NULL,
        synced_title  TEXT NOT NULL
    );
    CREATE TABLE remote_album_deletions (
        remote_id     TEXT PRIMARY KEY,
        requested_at  INTEGER NOT NULL
    );
    -- An album removed in the app goes from the cloud too (never from the disk).
    CREATE TRIGGER remote_albums_follow_delete AFTER DELETE ON albums BEGIN
        INSERT OR IGNORE INTO remote_album_deletions (remote_id, requested_at)
        SELECT remote_id, CAST(strftime('%s', 'now') AS INTEGER)
          FROM remote_albums WHERE album_id = OLD.id;
        DELETE FROM remote_albums WHERE album_id = OLD.id;
    END;

    CREATE TABLE share_links (
        id              TEXT PRIMARY KEY,
        album_id        INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
        url             TEXT NOT NULL,
        expires_at      TEXT,
        allow_download  INTEGER NOT NULL,
        created_at      INTEGER NOT NULL
    );
    CREATE INDEX share_links_by_album ON share_links (album_id);
    "#,
    // 4: photos coming back from the family cloud. One row per original to fetch into a
    // kept album's folder, with what it must hash to; the change feed's position; when
    // the parent last renamed an album here (a rename on two computers: the later wins).
    // An item the import finds that a finished download brought is already in the cloud:
    // its queue row is marked done at once, so nothing is sent back up.
    r#"
    ALTER TABLE albums ADD COLUMN renamed_at INTEGER;          -- Unix ms
    CREATE TABLE cloud_downloads (
        remote_album_id  TEXT NOT NULL,
        remote_photo_id  TEXT NOT NULL,
        album_id         INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
        path             TEXT NOT NULL UNIQUE,     -- the final name; never written partly
        size             INTEGER NOT NULL,
        sha256           TEXT,
        modified_at      INTEGER,                  -- Unix ms, given to the file
        state            TEXT NOT NULL DEFAULT 'waiting'
                         CHECK (state IN ('waiting', 'done', 'failed')),
        reason           TEXT,
        blake3           TEXT,                     -- of the verified bytes, once done
        PRIMARY KEY (remote_album_id, remote_photo_id)
    ) WITHOUT ROWID;
    CREATE INDEX cloud_downloads_by_album ON cloud_downloads (album_id, state);
    CREATE INDEX cloud_downloads_by_content ON cloud_downloads (blake3);
    CREATE TABLE cloud_feed (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        cursor  TEXT NOT NULL
    );
    CREATE TRIGGER sync_items_came_from_cloud AFTER INSERT ON sync_items
    WHEN EXISTS (SELECT 1 FROM cloud_downloads d JOIN photos p ON p.hash = d.blake3
                  WHERE p.id = NEW.photo_id AND d.album_id = NEW.album_id
                    AND d.state = 'done')
    BEGIN
        UPDATE sync_items
           SET state = 'done',
               (sha256, remote_photo_id) =
                 (SELECT d.sha256, d.remote_photo_id
                    FROM cloud_downloads d JOIN photos p ON p.hash = d.blake3
                   WHERE p.id = NEW.photo_id AND d.album_id = NEW.album_id
                     AND d.state = 'done' LIMIT 1)
         WHERE album_id = NEW.album_id AND photo_id = NEW.photo_id;
    END;
    "#,
    // 5: the Trash. What the parent removes (a whole album, or items from an album) leaves
    // the library's tables as before, and its rows are saved in `trash.saved` (JSON) so
    // Restore puts them back as they were, cloud state and links included. An item held
    // by the Trash stays in `photos` (and its derived images stay) until the entry goes
    // for good. Files of a removed item are kept out of catch-ups like the folders of a
    // removed album. What the cloud must do to follow waits in `cloud_trash_requests`.
    r#"
    CREATE TABLE trash (
        id               INTEGER PRIMARY KEY,
        album_id         INTEGER NOT NULL,       -- the album (its id again on Restore)
        photo_id         INTEGER,                -- NULL: the whole album
        title            TEXT NOT NULL,          -- the album's title when removed
        trashed_at       INTEGER NOT NULL,       -- Unix ms
        remote_album_id  TEXT,
        remote_photo_id  TEXT,
        saved            TEXT NOT NULL
    );
    CREATE INDEX trash_by_time ON trash (trashed_at);
    CREATE INDEX trash_by_remote ON trash (remote_album_id, remote_photo_id);
    CREATE TABLE trash_photos (
        trash_id  INTEGER NOT NULL REFERENCES trash (id) ON DELETE CASCADE,
        photo_id  INTEGER NOT NULL,
        PRIMARY KEY (trash_id, photo_id)
    ) WITHOUT ROWID;
    CREATE INDEX trash_photos_by_photo ON trash_photos (photo_id);
    CREATE TABLE hidden_files (
        path       TEXT PRIMARY KEY,
        hidden_at  INTEGER NOT NULL
    );
    -- action: remove_photo | restore_album | restore_photo | purge_album | purge_photo.
    CREATE TABLE cloud_trash_requests (
        id               INTEGER PRIMARY KEY,
        action           TEXT NOT NULL CHECK (action IN ('remove_photo', 'restore_album',
                             'restore_photo', 'purge_album', 'purge_photo')),
        remote_album_id  TEXT NOT NULL,
        remote_photo_id  TEXT,
        requested_at     INTEGER NOT NULL
    );
    "#,
    // 6: the family adds photos through a link. A saved link remembers whether it lets
    // the family add (the Share dialog's switch). A planned download remembers who added
    // the photo through a link (NULL for the parent's own) and what the album shows of
    // it until the original is here: photo or video, when taken, its size on screen.
    r#"
    ALTER TABLE share_links ADD COLUMN allow_add INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cloud_downloads ADD COLUMN added_by TEXT;
    ALTER TABLE cloud_downloads ADD COLUMN kind TEXT CHECK (kind IN ('photo', 'video'));
    ALTER TABLE cloud_downloads ADD COLUMN taken_at TEXT;             -- RFC 3339
    ALTER TABLE cloud_downloads ADD COLUMN width INTEGER;
    ALTER TABLE cloud_downloads ADD COLUMN height INTEGER;
    "#,
    // 7: a link may ask the family for a password; the saved link says whether it does
    // (the password itself is never kept here).
    r#"
    ALTER TABLE share_links ADD COLUMN has_password INTEGER NOT NULL DEFAULT 0;
    "#,
    // 8: a saved link says whether the family may give hearts and write comments
    // through it ("Family can comment"). This app has made links with it on since the
    // cloud had it, hence the default; the Share dialog's list, which follows the cloud,
    // corrects a link the cloud says otherwise.
    r#"
    ALTER TABLE share_links ADD COLUMN allow_comments INTEGER NOT NULL DEFAULT 1;
    "#,
];
