-- Album share links. Only a hash of each link's token is kept: a leaked table opens no
-- album. Never edit: add the next number.
CREATE TABLE share_links (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    allow_download BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX share_links_by_album ON share_links (album_id, created_at);
