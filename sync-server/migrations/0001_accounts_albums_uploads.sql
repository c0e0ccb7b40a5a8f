-- Accounts, albums, photos, uploads and the job outbox. The same DDL runs on SQLite and
-- PostgreSQL; times are milliseconds since 1970 (BIGINT) so every query is shared.
-- Never edit a migration that has shipped: add the next number.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    quota_bytes BIGINT NOT NULL CHECK (quota_bytes >= 0),
    used_bytes BIGINT NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    reserved_bytes BIGINT NOT NULL DEFAULT 0 CHECK (reserved_bytes >= 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE albums (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX albums_live_by_user ON albums (user_id, created_at, id) WHERE deleted_at IS NULL;

-- One row per stored item. Its objects are `<object_prefix>/original`, `/thumbnail` and
-- `/preview`; `stored_bytes` is what they count against the quota. A deleted photo keeps
-- its row (and its bytes counted) until the worker has removed its objects.
CREATE TABLE photos (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    object_prefix TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    thumbnail_size BIGINT,
    preview_size BIGINT,
    stored_bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    width BIGINT,
    height BIGINT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX photos_live_content ON photos (user_id, sha256) WHERE deleted_at IS NULL;

-- taken_at is copied here so an album page is one index range scan.
CREATE TABLE album_photos (
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    photo_id TEXT NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    taken_at BIGINT NOT NULL,
    PRIMARY KEY (album_id, photo_id)
);
CREATE INDEX album_photos_in_order ON album_photos (album_id, taken_at, photo_id);
CREATE INDEX album_photos_by_photo ON album_photos (photo_id);

-- state: pending (space reserved) | completed | aborted | expired | deduplicated.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    album_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    thumbnail_size BIGINT,
    preview_size BIGINT,
    reserved_bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    taken_at BIGINT,
    width BIGINT,
    height BIGINT,
    state TEXT NOT NULL,
    photo_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX uploads_pending_by_expiry ON uploads (expires_at) WHERE state = 'pending';

-- The outbox: written in the same transaction as the change that needs clean-up.
-- kind: purge_photo (subject = photo id) | delete_upload_objects (subject = upload id).
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    run_after BIGINT NOT NULL,
    leased_until BIGINT,
    last_error TEXT,
    dead_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (run_after) WHERE dead_at IS NULL;
