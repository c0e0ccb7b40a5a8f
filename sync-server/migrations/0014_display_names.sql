-- The name an account's owner goes by on the family page ("Photos from Anna", "ask Anna
-- for a new one"): set by the account (`PUT /v1/me`) or the operator (`picup-server user
-- add --name`, `user rename`); none until then, and the page then names no one (never
-- the e-mail address). Plain text, trimmed, at most 60 characters, no control characters.
-- Never edit: add the next number.
ALTER TABLE users ADD COLUMN display_name TEXT;
