-- The family responds under a photo, through album links that let them ("Family can
-- comment": on for links made from now on, off for those already sent). A heart is one
-- per photo, album and browser (the hash of the browser's own random key); a comment
-- keeps its writer's name and text as typed (plain text), the browser's key hash (so
-- that browser may delete it) and when it was deleted. Each day's hearts and comments
-- are counted per link and per network, and the counts forgotten after two days.
-- Never edit: add the next number.
ALTER TABLE share_links ADD COLUMN allow_comments BIGINT NOT NULL DEFAULT 0;
CREATE TABLE photo_hearts (
    album_id TEXT NOT NULL,
    photo_id TEXT NOT NULL,
    visitor_hash TEXT NOT NULL,
    share_link_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (album_id, photo_id, visitor_hash)
);
CREATE TABLE photo_comments (
    id TEXT PRIMARY KEY,
    album_id TEXT NOT NULL,
    photo_id TEXT NOT NULL,
    share_link_id TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    visitor_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX photo_comments_by_photo ON photo_comments (album_id, photo_id, created_at);
CREATE TABLE response_budgets (
    scope TEXT NOT NULL,
    day BIGINT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (scope, day)
);
CREATE INDEX response_budgets_by_day ON response_budgets (day);
