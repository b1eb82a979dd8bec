-- Pull statistics and retention (docs/operations.md#retention, #pull-statistics).

-- Who pushed: the account (user or robot, by name) that last pointed the tag, that first stored the manifest. Pushed
-- at is tag.updated_at and manifest.created_at. NULL for what was pushed before this migration.
ALTER TABLE tag ADD COLUMN pushed_by VARCHAR(255);
ALTER TABLE manifest ADD COLUMN pushed_by VARCHAR(255);

-- "Keep the N most recently pushed tags" and the tag listing sorted by push time read this index in order.
CREATE INDEX tag_pushed_idx ON tag (repository_id, updated_at, name);

-- Pull statistics live in tables of their own: every replica adds its tallies every few seconds, and a write to tag
-- or manifest would fire the V4 notifications (every replica's manifest cache forgets the repository) and the V9
-- review triggers. These tables have no trigger. Counts are added and last_pulled_at only moves forward
-- (GREATEST), so replicas flushing the same rows in any order give the same result. A row goes with its tag or
-- manifest (ON DELETE CASCADE).
CREATE TABLE manifest_pull (
    manifest_id    BIGINT PRIMARY KEY REFERENCES manifest (id) ON DELETE CASCADE,
    pulls          BIGINT NOT NULL,
    last_pulled_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tag_pull (
    repository_id  BIGINT NOT NULL,
    name           VARCHAR(128) COLLATE "C" NOT NULL,
    pulls          BIGINT NOT NULL,
    last_pulled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repository_id, name),
    FOREIGN KEY (repository_id, name) REFERENCES tag (repository_id, name) ON DELETE CASCADE
);
-- The tag listing sorted by last pull reads the pulled tags of a repository in this order.
CREATE INDEX tag_pull_last_idx ON tag_pull (repository_id, last_pulled_at, name);

-- Retention rules of a namespace, in order (position from 1). A rule applies to the repositories its glob matches
-- (relative to the namespace: '*' is every repository). Keep-rules: keep_last (the N most recently pushed tags),
-- keep_pulled_days (tags pulled within D days), keep_tags (tag globs); untagged_days deletes untagged manifests
-- pushed more than D days ago. NULL: that keep-rule is not part of the rule.
CREATE TABLE retention_rule (
    namespace_id     BIGINT NOT NULL REFERENCES namespace (id) ON DELETE CASCADE,
    position         INT NOT NULL CHECK (position >= 1),
    repositories     VARCHAR(255) NOT NULL,
    keep_last        INT CHECK (keep_last >= 0),
    keep_pulled_days INT CHECK (keep_pulled_days >= 0),
    keep_tags        VARCHAR(128)[],
    untagged_days    INT CHECK (untagged_days >= 0),
    PRIMARY KEY (namespace_id, position)
);

-- Every retention run that deleted (or tried to): who started it, what it deleted and why. Dry runs are not recorded.
CREATE TABLE retention_run (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace_id BIGINT NOT NULL REFERENCES namespace (id) ON DELETE CASCADE,
    started_by   VARCHAR(255) NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    tags         INT NOT NULL DEFAULT 0,
    manifests    INT NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0,
    error        TEXT
);
CREATE INDEX retention_run_namespace_idx ON retention_run (namespace_id, id);

-- What a run deleted: a tag (tag not null) or a manifest, the reason and the positions of the rules that decided.
CREATE TABLE retention_deletion (
    run_id     BIGINT NOT NULL REFERENCES retention_run (id) ON DELETE CASCADE,
    repository VARCHAR(255) NOT NULL,
    tag        VARCHAR(128),
    digest     VARCHAR(135) NOT NULL,
    reason     VARCHAR(32) NOT NULL,
    rules      INT[] NOT NULL
);
CREATE INDEX retention_deletion_run_idx ON retention_deletion (run_id);
