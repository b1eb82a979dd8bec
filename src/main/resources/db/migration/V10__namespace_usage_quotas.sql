-- Usage accounting and quotas.
--
-- A namespace's stored bytes are the sizes of the distinct blobs its repositories link: a layer linked by ten of its
-- repositories counts once. A repository's are the sizes of the blobs it links. Each splits into shared bytes (blobs
-- that another namespace, or another repository, also links) and unique bytes (the rest: what deleting it would free
-- once garbage collection has run). Manifest bytes are not part of them: they live in PostgreSQL, are capped per
-- manifest, and are reported apart.
--
-- The totals are kept exact by the triggers below, in the transaction that links or unlinks, so reading them is one
-- primary-key lookup whatever the size of the namespace, and a namespace's quota is enforced there too, under the
-- lock of its usage row: two pushes can never both pass a check that only one of them fits.

-- The hard limit on a namespace's stored bytes (NULL: none), set by server admins.
ALTER TABLE namespace ADD COLUMN quota_bytes BIGINT CHECK (quota_bytes >= 0);

-- A repository's namespace, as its name says it (first path component, 'library' for a bare name), indexed so that
-- per-namespace counts are range scans.
ALTER TABLE repository ADD COLUMN namespace VARCHAR(255) COLLATE "C" NOT NULL
    GENERATED ALWAYS AS (CASE WHEN strpos(name, '/') = 0 THEN 'library' ELSE split_part(name, '/', 1) END) STORED;
CREATE INDEX repository_namespace_idx ON repository (namespace, name);

-- The distinct blobs of a namespace, with how many of its repositories link each one.
CREATE TABLE namespace_blob (
    namespace  VARCHAR(255) COLLATE "C" NOT NULL,
    digest     VARCHAR(135) NOT NULL REFERENCES blob (digest),
    links      INTEGER NOT NULL CHECK (links > 0),
    PRIMARY KEY (namespace, digest)
);
-- "Which namespaces store this blob?": whether a namespace's copy is shared.
CREATE INDEX namespace_blob_digest_idx ON namespace_blob (digest);

CREATE TABLE namespace_usage (
    namespace     VARCHAR(255) COLLATE "C" PRIMARY KEY,
    blob_bytes    BIGINT NOT NULL DEFAULT 0 CHECK (blob_bytes >= 0),
    blobs         BIGINT NOT NULL DEFAULT 0 CHECK (blobs >= 0),
    shared_bytes  BIGINT NOT NULL DEFAULT 0 CHECK (shared_bytes >= 0),
    shared_blobs  BIGINT NOT NULL DEFAULT 0 CHECK (shared_blobs >= 0)
);

CREATE TABLE repository_usage (
    repository_id BIGINT PRIMARY KEY REFERENCES repository (id) ON DELETE CASCADE,
    blob_bytes    BIGINT NOT NULL DEFAULT 0 CHECK (blob_bytes >= 0),
    blobs         BIGINT NOT NULL DEFAULT 0 CHECK (blobs >= 0),
    shared_bytes  BIGINT NOT NULL DEFAULT 0 CHECK (shared_bytes >= 0),
    shared_blobs  BIGINT NOT NULL DEFAULT 0 CHECK (shared_blobs >= 0)
);

-- What is already stored.
INSERT INTO namespace_blob (namespace, digest, links)
    SELECT r.namespace, rb.digest, count(*) FROM repository_blob rb JOIN repository r ON r.id = rb.repository_id
    GROUP BY r.namespace, rb.digest;
INSERT INTO namespace_usage (namespace, blob_bytes, blobs, shared_bytes, shared_blobs)
    SELECT nb.namespace, sum(b.size), count(*), coalesce(sum(b.size) FILTER (WHERE s.shared), 0), count(*) FILTER (WHERE s.shared)
    FROM namespace_blob nb JOIN blob b ON b.digest = nb.digest
    JOIN (SELECT digest, count(*) >= 2 AS shared FROM namespace_blob GROUP BY digest) s ON s.digest = nb.digest
    GROUP BY nb.namespace;
INSERT INTO repository_usage (repository_id, blob_bytes, blobs, shared_bytes, shared_blobs)
    SELECT rb.repository_id, sum(b.size), count(*), coalesce(sum(b.size) FILTER (WHERE s.shared), 0), count(*) FILTER (WHERE s.shared)
    FROM repository_blob rb JOIN blob b ON b.digest = rb.digest
    JOIN (SELECT digest, count(*) >= 2 AS shared FROM repository_blob GROUP BY digest) s ON s.digest = rb.digest
    GROUP BY rb.repository_id;

-- Adds a statement's changes to a namespace's usage row, locked by the caller, and returns the new total. A namespace
-- that grows past its quota fails the statement, and so its transaction, which rolls back: no link, no blob row.
-- SQLSTATE CQ001 carries the namespace (message) and "limit used requested" (detail); the application answers
-- 403 DENIED with them.
CREATE FUNCTION add_namespace_usage(name VARCHAR, bytes BIGINT, blob_count BIGINT, shared BIGINT, shared_count BIGINT)
    RETURNS BIGINT AS $$
DECLARE
    total BIGINT;
    quota BIGINT;
BEGIN
    UPDATE namespace_usage SET blob_bytes = blob_bytes + bytes, blobs = blobs + blob_count,
                               shared_bytes = shared_bytes + shared, shared_blobs = shared_blobs + shared_count
        WHERE namespace = name RETURNING blob_bytes INTO total;
    IF bytes > 0 THEN
        SELECT n.quota_bytes INTO quota FROM namespace n WHERE n.name = add_namespace_usage.name;
        IF quota IS NOT NULL AND total > quota THEN
            RAISE EXCEPTION USING ERRCODE = 'CQ001', MESSAGE = name,
                DETAIL = quota::text || ' ' || (total - bytes)::text || ' ' || bytes::text;
        END IF;
    END IF;
    RETURN total;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION add_repository_usage(id BIGINT, bytes BIGINT, blob_count BIGINT, shared BIGINT, shared_count BIGINT)
    RETURNS BIGINT AS $$
    UPDATE repository_usage SET blob_bytes = blob_bytes + bytes, blobs = blobs + blob_count,
                                shared_bytes = shared_bytes + shared, shared_blobs = shared_blobs + shared_count
        WHERE repository_id = id RETURNING blob_bytes;
$$ LANGUAGE sql;

-- Locking rule, in every statement that changes links: first the blob rows (FOR NO KEY UPDATE, by digest: it
-- serializes every change to who stores a blob, so "is it shared?" is answered exactly), then the namespace_usage rows
-- (by name), then the repository_usage rows (by id). Only the usage rows of the namespaces and repositories involved are
-- locked — the ones linking or unlinking, and the one other holder of a blob that becomes or stops being shared — so
-- pushes in different namespaces do not wait for each other, and pushes in one namespace queue on its usage row for
-- the rest of their (short) transaction. A transaction that changes links with several statements must take the same
-- locks up front (NamespaceStore.delete does: UsageStore.lockNamespaceContent).
CREATE FUNCTION count_links_added() RETURNS trigger AS $$
DECLARE
    applied BIGINT;
BEGIN
    PERFORM 1 FROM blob WHERE digest IN (SELECT digest FROM added) ORDER BY digest FOR NO KEY UPDATE;

    INSERT INTO namespace_usage (namespace)
        SELECT DISTINCT r.namespace FROM added a JOIN repository r ON r.id = a.repository_id ORDER BY 1
        ON CONFLICT (namespace) DO NOTHING;
    PERFORM 1 FROM namespace_usage WHERE namespace IN (
            SELECT r.namespace FROM added a JOIN repository r ON r.id = a.repository_id
            UNION SELECT nb.namespace FROM namespace_blob nb WHERE nb.digest IN (SELECT digest FROM added)
              AND (SELECT count(*) FROM namespace_blob o WHERE o.digest = nb.digest) = 1)
        ORDER BY namespace FOR UPDATE;

    INSERT INTO repository_usage (repository_id) SELECT DISTINCT repository_id FROM added ORDER BY 1
        ON CONFLICT (repository_id) DO NOTHING;
    PERFORM 1 FROM repository_usage WHERE repository_id IN (
            SELECT repository_id FROM added
            UNION SELECT rb.repository_id FROM repository_blob rb WHERE rb.digest IN (SELECT digest FROM added)
              AND (SELECT count(*) FROM repository_blob o WHERE o.digest = rb.digest)
                - (SELECT count(*) FROM added a WHERE a.digest = rb.digest) = 1)
        ORDER BY repository_id FOR UPDATE;

    -- Namespaces: a namespace_blob row whose count is exactly what this statement added is new; "prior" reads the
    -- rows as they were before this statement (one snapshot for every part of it).
    WITH counted AS (SELECT r.namespace, a.digest, count(*)::integer AS n
                     FROM added a JOIN repository r ON r.id = a.repository_id GROUP BY r.namespace, a.digest),
         prior AS (SELECT nb.namespace, nb.digest FROM namespace_blob nb WHERE nb.digest IN (SELECT digest FROM counted)),
         upserted AS (INSERT INTO namespace_blob (namespace, digest, links) SELECT namespace, digest, n FROM counted
                      ON CONFLICT (namespace, digest) DO UPDATE SET links = namespace_blob.links + EXCLUDED.links
                      RETURNING namespace, digest, links),
         fresh AS (SELECT u.namespace, u.digest FROM upserted u
                   JOIN counted c ON c.namespace = u.namespace AND c.digest = u.digest AND c.n = u.links),
         per_blob AS (SELECT b.digest, b.size, (SELECT count(*) FROM prior p WHERE p.digest = b.digest) AS before,
                             (SELECT count(*) FROM fresh f WHERE f.digest = b.digest) AS joining
                      FROM blob b WHERE b.digest IN (SELECT digest FROM fresh)),
         change AS (SELECT f.namespace, pb.size AS bytes, 1 AS blobs,
                           CASE WHEN pb.before + pb.joining >= 2 THEN pb.size ELSE 0 END AS shared_bytes,
                           CASE WHEN pb.before + pb.joining >= 2 THEN 1 ELSE 0 END AS shared_blobs
                    FROM fresh f JOIN per_blob pb ON pb.digest = f.digest
                    UNION ALL
                    SELECT p.namespace, 0, 0, pb.size, 1 FROM prior p JOIN per_blob pb ON pb.digest = p.digest
                    WHERE pb.before = 1)
    SELECT count(add_namespace_usage(namespace, bytes, blobs, shared_bytes, shared_blobs)) INTO applied
        FROM (SELECT namespace, sum(bytes)::bigint AS bytes, sum(blobs)::bigint AS blobs,
                     sum(shared_bytes)::bigint AS shared_bytes, sum(shared_blobs)::bigint AS shared_blobs FROM change GROUP BY namespace ORDER BY namespace) c;

    -- Repositories: repository_blob already holds this statement's links.
    WITH per_blob AS (SELECT b.digest, b.size, j.joining,
                             (SELECT count(*) FROM repository_blob rb WHERE rb.digest = b.digest) AS now
                      FROM (SELECT digest, count(*) AS joining FROM added GROUP BY digest) j JOIN blob b ON b.digest = j.digest),
         change AS (SELECT a.repository_id, pb.size AS bytes, 1 AS blobs,
                           CASE WHEN pb.now >= 2 THEN pb.size ELSE 0 END AS shared_bytes,
                           CASE WHEN pb.now >= 2 THEN 1 ELSE 0 END AS shared_blobs
                    FROM added a JOIN per_blob pb ON pb.digest = a.digest
                    UNION ALL
                    SELECT rb.repository_id, 0, 0, pb.size, 1 FROM per_blob pb JOIN repository_blob rb ON rb.digest = pb.digest
                    WHERE pb.now - pb.joining = 1
                      AND NOT EXISTS (SELECT 1 FROM added a WHERE a.repository_id = rb.repository_id AND a.digest = rb.digest))
    SELECT count(add_repository_usage(repository_id, bytes, blobs, shared_bytes, shared_blobs)) INTO applied
        FROM (SELECT repository_id, sum(bytes)::bigint AS bytes, sum(blobs)::bigint AS blobs,
                     sum(shared_bytes)::bigint AS shared_bytes, sum(shared_blobs)::bigint AS shared_blobs FROM change GROUP BY repository_id ORDER BY repository_id) c;

    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION count_links_removed() RETURNS trigger AS $$
DECLARE
    applied BIGINT;
BEGIN
    PERFORM 1 FROM blob WHERE digest IN (SELECT digest FROM removed) ORDER BY digest FOR NO KEY UPDATE;
    PERFORM 1 FROM namespace_usage WHERE namespace IN (
            SELECT r.namespace FROM removed d JOIN repository r ON r.id = d.repository_id
            UNION SELECT nb.namespace FROM namespace_blob nb WHERE nb.digest IN (SELECT digest FROM removed)
              AND (SELECT count(*) FROM namespace_blob o WHERE o.digest = nb.digest)
                - (SELECT count(DISTINCT r.namespace) FROM removed d JOIN repository r ON r.id = d.repository_id
                   WHERE d.digest = nb.digest) <= 1)
        ORDER BY namespace FOR UPDATE;
    PERFORM 1 FROM repository_usage WHERE repository_id IN (
            SELECT repository_id FROM removed
            UNION SELECT rb.repository_id FROM repository_blob rb WHERE rb.digest IN (SELECT digest FROM removed)
              AND (SELECT count(*) FROM repository_blob o WHERE o.digest = rb.digest) = 1)
        ORDER BY repository_id FOR UPDATE;

    -- Namespaces: the last link of a namespace to a blob takes its namespace_blob row, and its bytes, with it;
    -- "holders" reads the rows as they were before this statement.
    WITH counted AS (SELECT r.namespace, d.digest, count(*)::integer AS n
                     FROM removed d JOIN repository r ON r.id = d.repository_id GROUP BY r.namespace, d.digest),
         holders AS (SELECT nb.namespace, nb.digest FROM namespace_blob nb WHERE nb.digest IN (SELECT digest FROM counted)),
         gone AS (DELETE FROM namespace_blob nb USING counted c
                  WHERE nb.namespace = c.namespace AND nb.digest = c.digest AND nb.links <= c.n
                  RETURNING nb.namespace, nb.digest),
         per_blob AS (SELECT b.digest, b.size, (SELECT count(*) FROM holders h WHERE h.digest = b.digest) AS before,
                             (SELECT count(*) FROM gone g WHERE g.digest = b.digest) AS leaving
                      FROM blob b WHERE b.digest IN (SELECT digest FROM gone)),
         change AS (SELECT g.namespace, -pb.size AS bytes, -1 AS blobs,
                           CASE WHEN pb.before >= 2 THEN -pb.size ELSE 0 END AS shared_bytes,
                           CASE WHEN pb.before >= 2 THEN -1 ELSE 0 END AS shared_blobs
                    FROM gone g JOIN per_blob pb ON pb.digest = g.digest
                    UNION ALL
                    SELECT h.namespace, 0, 0, -pb.size, -1 FROM holders h JOIN per_blob pb ON pb.digest = h.digest
                    WHERE pb.before - pb.leaving = 1
                      AND NOT EXISTS (SELECT 1 FROM gone g WHERE g.namespace = h.namespace AND g.digest = h.digest))
    SELECT count(add_namespace_usage(namespace, bytes, blobs, shared_bytes, shared_blobs)) INTO applied
        FROM (SELECT namespace, sum(bytes)::bigint AS bytes, sum(blobs)::bigint AS blobs,
                     sum(shared_bytes)::bigint AS shared_bytes, sum(shared_blobs)::bigint AS shared_blobs FROM change GROUP BY namespace ORDER BY namespace) c;
    -- Other repositories of the namespace still link the rest.
    UPDATE namespace_blob nb SET links = nb.links - c.n
        FROM (SELECT r.namespace, d.digest, count(*)::integer AS n
              FROM removed d JOIN repository r ON r.id = d.repository_id GROUP BY r.namespace, d.digest) c
        WHERE nb.namespace = c.namespace AND nb.digest = c.digest;

    -- Repositories: repository_blob no longer holds this statement's links.
    WITH per_blob AS (SELECT b.digest, b.size, l.leaving,
                             (SELECT count(*) FROM repository_blob rb WHERE rb.digest = b.digest) AS remaining
                      FROM (SELECT digest, count(*) AS leaving FROM removed GROUP BY digest) l JOIN blob b ON b.digest = l.digest),
         change AS (SELECT d.repository_id, -pb.size AS bytes, -1 AS blobs,
                           CASE WHEN pb.leaving + pb.remaining >= 2 THEN -pb.size ELSE 0 END AS shared_bytes,
                           CASE WHEN pb.leaving + pb.remaining >= 2 THEN -1 ELSE 0 END AS shared_blobs
                    FROM removed d JOIN per_blob pb ON pb.digest = d.digest
                    UNION ALL
                    SELECT rb.repository_id, 0, 0, -pb.size, -1 FROM per_blob pb JOIN repository_blob rb ON rb.digest = pb.digest
                    WHERE pb.remaining = 1)
    SELECT count(add_repository_usage(repository_id, bytes, blobs, shared_bytes, shared_blobs)) INTO applied
        FROM (SELECT repository_id, sum(bytes)::bigint AS bytes, sum(blobs)::bigint AS blobs,
                     sum(shared_bytes)::bigint AS shared_bytes, sum(shared_blobs)::bigint AS shared_blobs FROM change GROUP BY repository_id ORDER BY repository_id) c;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER repository_blob_counted_in AFTER INSERT ON repository_blob
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_links_added();
CREATE TRIGGER repository_blob_counted_out AFTER DELETE ON repository_blob
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_links_removed();

-- A deleted repository's links are deleted first, while the repository row (and so its namespace) is still there
-- for count_links_removed; the foreign key's cascade would run after it is gone.
CREATE FUNCTION unlink_deleted_repository() RETURNS trigger AS $$
BEGIN
    DELETE FROM repository_blob WHERE repository_id = OLD.id;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER repository_unlinked_before_delete BEFORE DELETE ON repository
    FOR EACH ROW EXECUTE FUNCTION unlink_deleted_repository();
