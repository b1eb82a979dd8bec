-- Names are compared bytewise so that tag lists and the catalog come out in lexical order straight from
-- the index, whatever the server's locale.
ALTER TABLE repository ALTER COLUMN name TYPE VARCHAR(255) COLLATE "C";

-- Manifests are small (capped at 4 MiB by default) and read on every pull: their bytes live here, exactly as
-- the client sent them, so resolving a tag and serving the manifest is one indexed lookup.
CREATE TABLE manifest (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_id  BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    digest         VARCHAR(135) NOT NULL,
    media_type     VARCHAR(255) NOT NULL,
    artifact_type  VARCHAR(255),
    subject_digest VARCHAR(135),
    annotations    TEXT,
    size           BIGINT NOT NULL,
    payload        BYTEA NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (repository_id, digest)
);
-- Referrers: the manifests whose subject is a digest, per repository.
CREATE INDEX manifest_subject_idx ON manifest (repository_id, subject_digest) WHERE subject_digest IS NOT NULL;

-- A tag points at exactly one manifest; moving it is one row update.
CREATE TABLE tag (
    repository_id  BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    name           VARCHAR(128) COLLATE "C" NOT NULL,
    manifest_id    BIGINT NOT NULL REFERENCES manifest (id) ON DELETE CASCADE,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (repository_id, name)
);
CREATE INDEX tag_manifest_idx ON tag (manifest_id);

-- References that keep content alive, recorded with the manifest in one transaction. A garbage collector
-- finds unreferenced blobs and manifests through the digest indexes.
CREATE TABLE manifest_blob (
    manifest_id    BIGINT NOT NULL REFERENCES manifest (id) ON DELETE CASCADE,
    digest         VARCHAR(135) NOT NULL REFERENCES blob (digest),
    PRIMARY KEY (manifest_id, digest)
);
CREATE INDEX manifest_blob_digest_idx ON manifest_blob (digest);

-- Image index → child manifests (by digest: a child may be deleted on its own, as the spec allows).
CREATE TABLE manifest_child (
    manifest_id    BIGINT NOT NULL REFERENCES manifest (id) ON DELETE CASCADE,
    child_digest   VARCHAR(135) NOT NULL,
    PRIMARY KEY (manifest_id, child_digest)
);
CREATE INDEX manifest_child_digest_idx ON manifest_child (child_digest);
