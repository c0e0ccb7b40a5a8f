-- The Trash. Removing an album or a photo from an album no longer erases anything: it
-- stamps `trashed_at` (ms), and the album or the photo's place in its album stays
-- restorable until the worker purges it after the retention (30 days by default), or
-- the owner empties the Trash. A trashed album keeps its rows in album_photos as they
-- were, so restoring it brings back the same photos, and its share links open again.
-- Never edit: add the next number.
ALTER TABLE albums ADD COLUMN trashed_at BIGINT;
ALTER TABLE album_photos ADD COLUMN trashed_at BIGINT;
-- The worker's scan for what has been in the Trash long enough, across all accounts.
CREATE INDEX albums_in_trash ON albums (trashed_at)
    WHERE trashed_at IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX album_photos_in_trash ON album_photos (trashed_at)
    WHERE trashed_at IS NOT NULL;
-- An account's Trash page: its trashed albums, and the trashed photos of each album.
CREATE INDEX albums_trash_by_user ON albums (user_id, trashed_at)
    WHERE trashed_at IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX album_photos_trash_by_album ON album_photos (album_id, trashed_at)
    WHERE trashed_at IS NOT NULL;
