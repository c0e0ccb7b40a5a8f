-- Large originals go to S3 in parts. The store's id for such an upload, and the part
-- size the server chose, so fresh part URLs can be handed out after a restart and an
-- upload left unfinished can be thrown away. Never edit: add the next number.
ALTER TABLE uploads ADD COLUMN multipart_id TEXT;
ALTER TABLE uploads ADD COLUMN part_size BIGINT;
