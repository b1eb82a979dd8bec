-- Tag policies. A namespace's policies (namespace_id set) decide which of its tags may be pushed at all ('blocked')
-- and which may not move or be deleted once they exist ('immutable'), for its repositories matching one of
-- `repositories` (globs inside the namespace), tags matching one of `tags` and none of `exclusions`. Rows without a
-- namespace are the server's defaults: a new namespace gets a copy of them when it is created.
--
-- They are read in the transaction that pushes, moves or deletes a tag (TagStore), never remembered by a replica:
-- a committed change binds every later push on every replica, with no staleness window.
CREATE TABLE tag_policy (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace_id  BIGINT REFERENCES namespace (id) ON DELETE CASCADE,
    name          VARCHAR(64) COLLATE "C" NOT NULL,
    kind          VARCHAR(16) NOT NULL CHECK (kind IN ('immutable', 'blocked')),
    repositories  VARCHAR(255)[] NOT NULL,
    tags          VARCHAR(128)[] NOT NULL CHECK (cardinality(tags) > 0),
    exclusions    VARCHAR(128)[] NOT NULL DEFAULT '{}',
    description   VARCHAR(512),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- A name is unique within its namespace, and among the defaults.
CREATE UNIQUE INDEX tag_policy_namespace_name_idx ON tag_policy (namespace_id, name) WHERE namespace_id IS NOT NULL;
CREATE UNIQUE INDEX tag_policy_default_name_idx ON tag_policy (name) WHERE namespace_id IS NULL;
