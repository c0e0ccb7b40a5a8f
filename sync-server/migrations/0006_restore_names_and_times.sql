-- What a computer needs to give a photo back as it was: the original's file name and
-- modification time, and the name of the folder its album was made from. Sent by the
-- desktop from now on; rows from before have none (the API then makes a name from the
-- time the photo was taken). Never edit: add the next number.
ALTER TABLE uploads ADD COLUMN file_name TEXT;
ALTER TABLE uploads ADD COLUMN file_modified_at BIGINT;
ALTER TABLE photos ADD COLUMN file_name TEXT;
ALTER TABLE photos ADD COLUMN file_modified_at BIGINT;
ALTER TABLE albums ADD COLUMN folder_name TEXT;
