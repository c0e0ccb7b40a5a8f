-- "Tell me when new photos are added": an e-mail address subscribed, through one album
-- link, to that link's album (double opt-in: nothing but the confirmation is sent before
-- `confirmed_at`). `link_url` is the address the visitor subscribed from, kept so a
-- digest can carry it (a link's token is otherwise kept only as a hash); the row, and
-- so the copy, goes when the address unsubscribes or the link is deleted. `seen_seq` is
-- the owner's change number up to which the subscriber has been told. Every e-mail sent
-- carries a fresh random key to confirm or unsubscribe with; only its hash is kept.
-- Never edit: add the next number.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    share_link_id TEXT NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    link_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    seen_seq BIGINT NOT NULL,
    last_digest_at BIGINT,
    digests_sent BIGINT NOT NULL DEFAULT 0,
    UNIQUE (album_id, email)
);
CREATE INDEX subscriptions_confirmed ON subscriptions (confirmed_at, last_digest_at)
    WHERE confirmed_at IS NOT NULL;
CREATE TABLE subscription_keys (
    key_hash TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX subscription_keys_by_subscription ON subscription_keys (subscription_id);
