//! The index schema, as numbered migrations. A migration, once released, is never
//! edited: a change to the schema is a new migration appended to the list.

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
];
