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

    -- The namespaces linking, and the one namespace that stored a blob alone until now (it becomes shared).
    INSERT INTO namespace_usage (namespace)
        SELECT DISTINCT r.namespace FROM added a JOIN repository r ON r.id = a.repository_id ORDER BY 1
        ON CONFLICT (namespace) DO NOTHING;
    PERFORM 1 FROM namespace_usage WHERE namespace IN (
            SELECT r.namespace FROM added a JOIN repository r ON r.id = a.repository_id
            UNION SELECT min(nb.namespace) FROM namespace_blob nb WHERE nb.digest IN (SELECT digest FROM added)
                  GROUP BY nb.digest HAVING count(*) = 1)
        ORDER BY namespace FOR UPDATE;

    -- The repositories linking, and the one repository that linked a blob alone until now.
    INSERT INTO repository_usage (repository_id) SELECT DISTINCT repository_id FROM added ORDER BY 1
        ON CONFLICT (repository_id) DO NOTHING;
    PERFORM 1 FROM repository_usage WHERE repository_id IN (
            SELECT repository_id FROM added
            UNION SELECT min(rb.repository_id) FROM repository_blob rb WHERE rb.digest IN (SELECT digest FROM added)
                  AND NOT EXISTS (SELECT 1 FROM added a WHERE a.repository_id = rb.repository_id AND a.digest = rb.digest)
                  GROUP BY rb.digest HAVING count(*) = 1)
        ORDER BY repository_id FOR UPDATE;

    -- Namespaces. Every join below is driven by an index (never one intermediate result against another), so a
    -- statement of many links costs in proportion to them. Read in this statement's snapshot, namespace_blob is as it
    -- was before it: a (namespace, blob) pair without a row is new to the namespace, and "before" counts the
    -- namespaces that stored the blob until now.
    WITH counted AS (SELECT r.namespace, a.digest, count(*)::integer AS n
                     FROM added a JOIN repository r ON r.id = a.repository_id GROUP BY r.namespace, a.digest),
         fresh AS (SELECT c.namespace, c.digest, b.size, count(*) OVER (PARTITION BY c.digest) AS joining,
                          (SELECT count(*) FROM namespace_blob o WHERE o.digest = c.digest) AS before
                   FROM counted c JOIN blob b ON b.digest = c.digest
                   WHERE NOT EXISTS (SELECT 1 FROM namespace_blob nb WHERE nb.namespace = c.namespace AND nb.digest = c.digest)),
         change AS (SELECT namespace, size AS bytes, 1 AS blobs,
                           CASE WHEN before + joining >= 2 THEN size ELSE 0 END AS shared_bytes,
                           CASE WHEN before + joining >= 2 THEN 1 ELSE 0 END AS shared_blobs
                    FROM fresh
                    UNION ALL
                    -- The one namespace that stored the blob alone until now: it becomes shared.
                    SELECT nb.namespace, 0, 0, f.size, 1 FROM (SELECT DISTINCT digest, size FROM fresh WHERE before = 1) f
                    JOIN namespace_blob nb ON nb.digest = f.digest),
         upserted AS (INSERT INTO namespace_blob (namespace, digest, links) SELECT namespace, digest, n FROM counted
                      ON CONFLICT (namespace, digest) DO UPDATE SET links = namespace_blob.links + EXCLUDED.links)
    SELECT count(add_namespace_usage(namespace, bytes, blobs, shared_bytes, shared_blobs)) INTO applied
        FROM (SELECT namespace, sum(bytes)::bigint AS bytes, sum(blobs)::bigint AS blobs,
                     sum(shared_bytes)::bigint AS shared_bytes, sum(shared_blobs)::bigint AS shared_blobs FROM change GROUP BY namespace ORDER BY namespace) c;

    -- Repositories: repository_blob already holds this statement's links ("now" counts them).
    WITH linked AS (SELECT a.repository_id, a.digest, b.size, count(*) OVER (PARTITION BY a.digest) AS joining,
                           (SELECT count(*) FROM repository_blob o WHERE o.digest = a.digest) AS now
                    FROM added a JOIN blob b ON b.digest = a.digest),
         change AS (SELECT repository_id, size AS bytes, 1 AS blobs,
                           CASE WHEN now >= 2 THEN size ELSE 0 END AS shared_bytes,
                           CASE WHEN now >= 2 THEN 1 ELSE 0 END AS shared_blobs
                    FROM linked
                    UNION ALL
                    -- The one repository that linked the blob alone until now: it becomes shared.
                    SELECT rb.repository_id, 0, 0, l.size, 1 FROM (SELECT DISTINCT digest, size FROM linked WHERE now - joining = 1) l
                    JOIN repository_blob rb ON rb.digest = l.digest
                    WHERE NOT EXISTS (SELECT 1 FROM added a WHERE a.repository_id = rb.repository_id AND a.digest = rb.digest))
    SELECT count(add_repository_usage(repository_id, bytes, blobs, shared_bytes, shared_blobs)) INTO applied
        FROM (SELECT repository_id, sum(bytes)::bigint AS bytes, sum(blobs)::bigint AS blobs,
                     sum(shared_bytes)::bigint AS shared_bytes, sum(shared_blobs)::bigint AS shared_blobs FROM change GROUP BY repository_id ORDER BY repository_id) c;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION count_links_removed() RETURNS trigger AS $$
DECLARE
    applied BIGINT;
    unshared VARCHAR[];
BEGIN
    PERFORM 1 FROM blob WHERE digest IN (SELECT digest FROM removed) ORDER BY digest FOR NO KEY UPDATE;

    -- The namespaces unlinking, and every holder of a blob that may be left with one holder (it stops being shared).
    PERFORM 1 FROM namespace_usage WHERE namespace IN (
            SELECT r.namespace FROM removed d JOIN repository r ON r.id = d.repository_id
            UNION SELECT nb.namespace FROM namespace_blob nb
                  JOIN (SELECT d.digest, count(DISTINCT r.namespace) AS leaving
                        FROM removed d JOIN repository r ON r.id = d.repository_id GROUP BY d.digest) l ON l.digest = nb.digest
                  JOIN (SELECT o.digest, count(*) AS holders FROM namespace_blob o
                        WHERE o.digest IN (SELECT digest FROM removed) GROUP BY o.digest) h ON h.digest = nb.digest
                  WHERE h.holders - l.leaving <= 1)
        ORDER BY namespace FOR UPDATE;
    -- The repositories unlinking, and the one repository left linking a blob (it stops being shared).
    PERFORM 1 FROM repository_usage WHERE repository_id IN (
            SELECT repository_id FROM removed
            UNION SELECT min(rb.repository_id) FROM repository_blob rb WHERE rb.digest IN (SELECT digest FROM removed)
                  GROUP BY rb.digest HAVING count(*) = 1)
        ORDER BY repository_id FOR UPDATE;

    -- Namespaces: the last links of a namespace to a blob take its namespace_blob row, and the blob's bytes, with them.
    -- As above, every join is driven by an index, and namespace_blob is read as it was before this statement.
    WITH counted AS (SELECT r.namespace, d.digest, count(*)::integer AS n
                     FROM removed d JOIN repository r ON r.id = d.repository_id GROUP BY r.namespace, d.digest),
         leaving AS (SELECT c.namespace, c.digest, b.size, (SELECT count(*) FROM namespace_blob o WHERE o.digest = c.digest) AS before
                     FROM counted c JOIN namespace_blob nb ON nb.namespace = c.namespace AND nb.digest = c.digest AND nb.links <= c.n
                     JOIN blob b ON b.digest = c.digest),
         gone AS (DELETE FROM namespace_blob nb USING counted c
                  WHERE nb.namespace = c.namespace AND nb.digest = c.digest AND nb.links <= c.n)
    SELECT count(add_namespace_usage(namespace, bytes, blobs, shared_bytes, shared_blobs)),
           (SELECT array_agg(DISTINCT digest) FROM leaving WHERE before >= 2) INTO applied, unshared
        FROM (SELECT namespace, -sum(size)::bigint AS bytes, -count(*)::bigint AS blobs,
                     -coalesce(sum(size) FILTER (WHERE before >= 2), 0)::bigint AS shared_bytes,
                     -count(*) FILTER (WHERE before >= 2)::bigint AS shared_blobs
              FROM leaving GROUP BY namespace ORDER BY namespace) c;
    -- A blob that was shared and is now stored by one namespace only is that namespace's alone (this statement's
    -- snapshot sees the rows deleted above).
    SELECT count(add_namespace_usage(namespace, 0, 0, -bytes, -blobs)) INTO applied
        FROM (SELECT nb.namespace, sum(b.size)::bigint AS bytes, count(*)::bigint AS blobs
              FROM namespace_blob nb JOIN blob b ON b.digest = nb.digest
              WHERE nb.digest = ANY (unshared) AND (SELECT count(*) FROM namespace_blob o WHERE o.digest = nb.digest) = 1
              GROUP BY nb.namespace ORDER BY nb.namespace) c;
    -- Other repositories of the namespace still link the rest.
    UPDATE namespace_blob nb SET links = nb.links - c.n
        FROM (SELECT r.namespace, d.digest, count(*)::integer AS n
              FROM removed d JOIN repository r ON r.id = d.repository_id GROUP BY r.namespace, d.digest) c
        WHERE nb.namespace = c.namespace AND nb.digest = c.digest;

    -- Repositories: repository_blob no longer holds this statement's links ("remaining" counts the others).
    WITH unlinked AS (SELECT d.repository_id, d.digest, b.size, count(*) OVER (PARTITION BY d.digest) AS leaving,
                             (SELECT count(*) FROM repository_blob o WHERE o.digest = d.digest) AS remaining
                      FROM removed d JOIN blob b ON b.digest = d.digest),
         change AS (SELECT repository_id, -size AS bytes, -1 AS blobs,
                           CASE WHEN leaving + remaining >= 2 THEN -size ELSE 0 END AS shared_bytes,
                           CASE WHEN leaving + remaining >= 2 THEN -1 ELSE 0 END AS shared_blobs
                    FROM unlinked
                    UNION ALL
                    -- The one repository left linking the blob: it is its own now.
                    SELECT rb.repository_id, 0, 0, -u.size, -1 FROM (SELECT DISTINCT digest, size FROM unlinked WHERE remaining = 1) u
                    JOIN repository_blob rb ON rb.digest = u.digest)
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
