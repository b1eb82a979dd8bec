-- One push's link into a namespace of :blobs blobs, and its unlink, each a transaction of its own (as
-- UploadStore.complete and BlobLinkStore.unlink run them): the triggers lock, count and check the quota.
\set n random(1, 1000)
\set r random(0, 9)
BEGIN;
INSERT INTO repository_blob (repository_id, digest)
    SELECT id, 'sha256:loop' || :n FROM repository WHERE name = 'bench/r' || :r ON CONFLICT DO NOTHING;
COMMIT;
BEGIN;
DELETE FROM repository_blob rb USING repository r
    WHERE rb.repository_id = r.id AND r.name = 'bench/r' || :r AND rb.digest = 'sha256:loop' || :n;
COMMIT;
