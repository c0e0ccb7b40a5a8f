-- A link may ask for a password (its Argon2id hash); a browser that gave it is
-- remembered by a random key (only its hash kept) for 30 days, bound to that link.
-- Changing or removing the password forgets every browser of the link. Never edit:
-- add the next number.
ALTER TABLE share_links ADD COLUMN password_hash TEXT;
CREATE TABLE link_visits (
    key_hash TEXT PRIMARY KEY,
    share_link_id TEXT NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX link_visits_by_link ON link_visits (share_link_id);
