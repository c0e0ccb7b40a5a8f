-- The change feed (`GET /v1/changes`): every change to an account's albums, in the order
-- it was made, numbered per account. A change takes the next number from its account's
-- row (`users.change_seq`) inside the transaction that makes it; the row stays locked
-- until that transaction ends, so numbers become visible in order and a reader that has
-- seen number n never later finds a smaller one. What existed before this migration is
-- recorded as if it had just been made, so a client starting from nothing learns it all.
-- Never edit: add the next number.
ALTER TABLE users ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE TABLE changes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    album_id TEXT,
    photo_id TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);
INSERT INTO changes (user_id, seq, kind, album_id, photo_id, at)
SELECT user_id,
       ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY at, step, album_id, photo_id),
       kind, album_id, photo_id, at
FROM (
    SELECT user_id, 'album_created' AS kind, 0 AS step, id AS album_id,
           CAST(NULL AS TEXT) AS photo_id, created_at AS at
    FROM albums WHERE deleted_at IS NULL
    UNION ALL
    SELECT a.user_id, 'photo_added', 1, ap.album_id, ap.photo_id,
           CASE WHEN p.created_at > a.created_at THEN p.created_at ELSE a.created_at END
    FROM album_photos ap
    JOIN albums a ON a.id = ap.album_id
    JOIN photos p ON p.id = ap.photo_id
    WHERE a.deleted_at IS NULL AND p.deleted_at IS NULL
) AS existing;
UPDATE users SET change_seq = (SELECT COUNT(*) FROM changes c WHERE c.user_id = users.id);
