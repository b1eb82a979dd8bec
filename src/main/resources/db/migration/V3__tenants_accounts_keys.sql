-- Tenants. A repository belongs to the namespace named by its first path component; a name without '/'
-- belongs to 'library', as on Docker Hub.
CREATE TABLE namespace (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        VARCHAR(255) COLLATE "C" NOT NULL UNIQUE,
    visibility  VARCHAR(16) NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO namespace (name) VALUES ('library');

-- People (kind 'user', bcrypt password) and robots (kind 'robot', named '<namespace>+<robot>', SHA-256 of a
-- random secret, their own actions and repository patterns inside their namespace, optional expiry).
CREATE TABLE account (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            VARCHAR(255) COLLATE "C" NOT NULL UNIQUE,
    kind            VARCHAR(8) NOT NULL CHECK (kind IN ('user', 'robot')),
    credential_hash TEXT NOT NULL,
    server_admin    BOOLEAN NOT NULL DEFAULT false,
    namespace_id    BIGINT REFERENCES namespace (id) ON DELETE CASCADE,
    actions         TEXT NOT NULL DEFAULT '',
    repositories    TEXT NOT NULL DEFAULT '',
    expires_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'robot') = (namespace_id IS NOT NULL))
);
CREATE INDEX account_namespace_idx ON account (namespace_id) WHERE namespace_id IS NOT NULL;

-- Roles of users on namespaces: reader (pull), writer (pull, push), admin (pull, push, delete, manage).
CREATE TABLE namespace_member (
    namespace_id BIGINT NOT NULL REFERENCES namespace (id) ON DELETE CASCADE,
    account_id   BIGINT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    role         VARCHAR(8) NOT NULL CHECK (role IN ('reader', 'writer', 'admin')),
    PRIMARY KEY (namespace_id, account_id)
);
CREATE INDEX namespace_member_account_idx ON namespace_member (account_id);

-- Token signing keys, shared by every replica. The newest is used to sign; all listed keys verify, so a
-- rotation does not invalidate tokens already issued.
CREATE TABLE signing_key (
    kid          VARCHAR(64) PRIMARY KEY,
    algorithm    VARCHAR(16) NOT NULL,
    private_key  BYTEA NOT NULL,
    public_key   BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
