-- Repositories are created on first push. Names follow the OCI grammar (checked by the application).
CREATE TABLE repository (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        VARCHAR(255) NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per stored blob, whatever the number of repositories that link it (content addressing).
CREATE TABLE blob (
    digest      VARCHAR(135) PRIMARY KEY,
    size        BIGINT NOT NULL CHECK (size >= 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A repository serves a blob only through a link. Links (and, later, manifest references) are the rows
-- that keep a blob alive: the digest index lets a garbage collector ask "is anything still linking it?".
CREATE TABLE repository_blob (
    repository_id BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    digest        VARCHAR(135) NOT NULL REFERENCES blob (digest),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (repository_id, digest)
);
CREATE INDEX repository_blob_digest_idx ON repository_blob (digest);

-- Uploads in progress. Everything needed to continue one on any replica lives here: the byte offset,
-- the running hash state at that offset, and where the stored segments are.
CREATE TABLE upload_session (
    id             UUID PRIMARY KEY,
    repository_id  BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    byte_offset    BIGINT NOT NULL DEFAULT 0 CHECK (byte_offset >= 0),
    hash_algorithm VARCHAR(16) NOT NULL,
    hash_state     BYTEA,
    storage_layout TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX upload_session_updated_idx ON upload_session (updated_at);
