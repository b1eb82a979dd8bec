-- The namespaces and repositories, then BLOBS blobs of 1 to 10 MB in "bench" (10 repositories, every tenth blob in two
-- of them), every twentieth also in "other".
INSERT INTO namespace (name) VALUES ('bench'), ('other') ON CONFLICT DO NOTHING;
INSERT INTO repository (name) SELECT 'bench/r' || i FROM generate_series(0, 9) i;
INSERT INTO repository (name) VALUES ('other/app');
INSERT INTO blob (digest, size)
    SELECT 'sha256:' || md5(i::text) || md5((-i)::text), 1000000 + (i * 7919) % 9000000 FROM generate_series(1, :blobs) i;
INSERT INTO repository_blob (repository_id, digest)
    SELECT r.id, 'sha256:' || md5(i::text) || md5((-i)::text) FROM generate_series(1, :blobs) i
    JOIN repository r ON r.name = 'bench/r' || (i % 10);
INSERT INTO repository_blob (repository_id, digest)
    SELECT r.id, 'sha256:' || md5(i::text) || md5((-i)::text) FROM generate_series(10, :blobs, 10) i
    JOIN repository r ON r.name = 'bench/r' || ((i + 1) % 10);
INSERT INTO repository_blob (repository_id, digest)
    SELECT r.id, 'sha256:' || md5(i::text) || md5((-i)::text) FROM generate_series(20, :blobs, 20) i
    JOIN repository r ON r.name = 'other/app';
-- Blobs for the link loop: in no repository yet.
INSERT INTO blob (digest, size) SELECT 'sha256:loop' || i, 2000000 FROM generate_series(1, 1000) i;
VACUUM ANALYZE;
