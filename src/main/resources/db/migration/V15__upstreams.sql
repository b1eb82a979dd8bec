-- Pull-through cache: the upstream registries a server admin configured, each cached by one Cais namespace.
-- Cached content is ordinary content of that namespace (repositories, blobs, links, manifests, tags): garbage
-- collection, quotas, usage and roles apply to it as to pushed content. The password is kept encrypted (AES-GCM,
-- with cais.proxy.credentials-key) when a key is configured; it is never returned by the API either way.
CREATE TABLE upstream (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            VARCHAR(255) COLLATE "C" NOT NULL UNIQUE,
    url             VARCHAR(2048) NOT NULL,
    namespace_id    BIGINT NOT NULL UNIQUE REFERENCES namespace (id) ON DELETE CASCADE,
    username        VARCHAR(255),
    password        TEXT,
    max_concurrency INT NOT NULL DEFAULT 8 CHECK (max_concurrency > 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
