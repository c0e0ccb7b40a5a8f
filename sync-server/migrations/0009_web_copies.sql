-- A video whose original a browser may not play (HEVC, a QuickTime file) gets a copy
-- every browser plays, made by the worker; its size is kept here (NULL: none, the
-- original is played) and counted in the photo's stored bytes. Never edit: add the next
-- number.
ALTER TABLE photos ADD COLUMN web_copy_size BIGINT;
