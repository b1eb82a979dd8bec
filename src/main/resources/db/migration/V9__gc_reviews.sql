-- Online garbage collection (docs/operations.md#garbage-collection). Whenever a reference that may have kept a blob or
-- a manifest alive disappears — and whenever a blob is linked, so that an upload nobody references is collected too —
-- a trigger enqueues a review. Workers on every replica take due reviews (FOR UPDATE SKIP LOCKED), check the
-- references again in their own transaction, and delete what nothing keeps (GcReviewStore).

-- What happens to a manifest that no tag, no index and no subject keeps: 'keep' (the default, as before online GC) or
-- 'delete' once its review is due. Referrers whose subject is gone are collected either way.
ALTER TABLE namespace ADD COLUMN untagged_manifests VARCHAR(8) NOT NULL DEFAULT 'keep'
    CHECK (untagged_manifests IN ('keep', 'delete'));

-- The review queues. Append-only, without a unique key: an enqueue never waits for another transaction (two deletes
-- whose cascades enqueue the same digests in different orders cannot deadlock, a layer linked by many pushes at once
-- is no hot row). Duplicates are harmless: a review only decides from the references it finds. A review is due once
-- enqueued_at is older than cais.gc.review-delay, which stays in the application's configuration.
CREATE TABLE gc_blob_review (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    digest      VARCHAR(135) NOT NULL,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX gc_blob_review_due_idx ON gc_blob_review (enqueued_at);

-- No foreign key: a review may name a manifest deleted since (the worker drops it), and a cascade may enqueue one for
-- a manifest its own statement deletes.
CREATE TABLE gc_manifest_review (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manifest_id BIGINT NOT NULL,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX gc_manifest_review_due_idx ON gc_manifest_review (enqueued_at);

-- Blobs whose row the collector deleted and whose stored object it has not deleted yet. Written in the transaction
-- that deletes the blob row; deleted in the transaction that deleted the object, which holds it FOR UPDATE meanwhile.
-- An upload that commits the same digest waits for it to go, so it never records a blob whose object is being deleted.
CREATE TABLE gc_blob_deletion (
    digest      VARCHAR(135) PRIMARY KEY,
    size        BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What the collector did, on every replica together (GET /api/v1/gc).
CREATE TABLE gc_totals (
    id           INT PRIMARY KEY CHECK (id = 1),
    last_run_at  TIMESTAMPTZ,
    manifests    BIGINT NOT NULL DEFAULT 0,
    links        BIGINT NOT NULL DEFAULT 0,
    blobs        BIGINT NOT NULL DEFAULT 0,
    objects      BIGINT NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0,
    failures     BIGINT NOT NULL DEFAULT 0
);
INSERT INTO gc_totals (id) VALUES (1);

-- A link protects its blob while a push that was under way when it was linked may still reference it.
CREATE INDEX upload_session_repository_idx ON upload_session (repository_id);

-- Blob reviews: a link created, renewed (its blob uploaded again: BlobLinkStore.link) or removed, a manifest's
-- reference to a blob removed (also by cascade, when a manifest, repository or namespace is deleted).
CREATE FUNCTION gc_review_blob() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO gc_blob_review (digest) VALUES (OLD.digest);
    ELSE
        INSERT INTO gc_blob_review (digest) VALUES (NEW.digest);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER gc_link_changed AFTER INSERT OR DELETE OR UPDATE OF created_at ON repository_blob
    FOR EACH ROW EXECUTE FUNCTION gc_review_blob();
CREATE TRIGGER gc_blob_reference_removed AFTER DELETE ON manifest_blob
    FOR EACH ROW EXECUTE FUNCTION gc_review_blob();

-- Manifest reviews: a manifest pushed (it may stay untagged), a tag deleted or moved away from it. Skipped when the
-- manifest is gone already (a cascade from its own delete or its repository's).
CREATE FUNCTION gc_review_pushed_manifest() RETURNS trigger AS $$
BEGIN
    INSERT INTO gc_manifest_review (manifest_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER gc_manifest_pushed AFTER INSERT ON manifest
    FOR EACH ROW EXECUTE FUNCTION gc_review_pushed_manifest();

CREATE FUNCTION gc_review_untagged() RETURNS trigger AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR OLD.manifest_id <> NEW.manifest_id)
            AND EXISTS (SELECT 1 FROM manifest WHERE id = OLD.manifest_id) THEN
        INSERT INTO gc_manifest_review (manifest_id) VALUES (OLD.manifest_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER gc_tag_removed AFTER UPDATE OR DELETE ON tag
    FOR EACH ROW EXECUTE FUNCTION gc_review_untagged();

-- A manifest deleted: its children (no longer kept by this index) and its referrers (their subject is gone). BEFORE,
-- because its manifest_child rows go with it by cascade; nothing to do when its whole repository is being deleted.
CREATE FUNCTION gc_review_dependents() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM repository WHERE id = OLD.repository_id) THEN
        INSERT INTO gc_manifest_review (manifest_id)
            SELECT m.id FROM manifest_child c JOIN manifest m ON m.repository_id = OLD.repository_id AND m.digest = c.child_digest
            WHERE c.manifest_id = OLD.id
            UNION
            SELECT m.id FROM manifest m WHERE m.repository_id = OLD.repository_id AND m.subject_digest = OLD.digest;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER gc_manifest_deleting BEFORE DELETE ON manifest
    FOR EACH ROW EXECUTE FUNCTION gc_review_dependents();
