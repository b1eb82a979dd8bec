-- An upload being deleted (expired, cancelled, or of a failed digest check) is first marked here: from then on no
-- request can find it or record a chunk in it, while its stored segments are deleted; the row goes last, so a
-- row never points at objects nobody can find any more.
ALTER TABLE upload_session ADD COLUMN expired_at TIMESTAMPTZ;
