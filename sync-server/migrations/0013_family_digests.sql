-- The owner's e-mail digest of what the family did (photos added through a link, hearts,
-- comments), off until they switch it on in Settings. One row per account that ever
-- switched it on: `wanted` says whether it is on now; `seen_seq` is the owner's change
-- number up to which they have been told; `digests_sent` numbers the digests (kept when
-- it is switched off, so a digest's number, and its Message-ID, is never reused).
-- Hearts and comments now carry the change number that recorded them, so a digest counts
-- exactly those after `seen_seq` (older rows have none and are never counted).
-- Never edit: add the next number.
CREATE TABLE family_digests (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    wanted BIGINT NOT NULL DEFAULT 0,
    seen_seq BIGINT NOT NULL,
    last_digest_at BIGINT,
    digests_sent BIGINT NOT NULL DEFAULT 0
);
ALTER TABLE photo_hearts ADD COLUMN change_seq BIGINT;
ALTER TABLE photo_comments ADD COLUMN change_seq BIGINT;
