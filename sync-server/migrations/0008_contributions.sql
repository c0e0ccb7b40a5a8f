-- The family adds photos through album links that allow it. A link says whether it
-- does; an upload and the photo it becomes remember who added it (the name they typed)
-- and through which link (for the link's daily limit). Never edit: add the next number.
ALTER TABLE share_links ADD COLUMN allow_add BIGINT NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN added_by TEXT;
ALTER TABLE uploads ADD COLUMN share_link_id TEXT;
ALTER TABLE photos ADD COLUMN added_by TEXT;
CREATE INDEX uploads_by_link ON uploads (share_link_id, created_at) WHERE share_link_id IS NOT NULL;
