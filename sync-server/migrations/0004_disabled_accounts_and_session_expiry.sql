-- An account can be turned off (`picup-server user disable`): it cannot sign in, its
-- sessions are ended and its album links stop opening, until it is turned on again.
-- Sessions are looked up by account (to list or end them) and by end time (the worker
-- removes the ended ones). Never edit: add the next number.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
