-- Pull-through cache state that every replica must see (nodes are stateless): pending manifests, fetch claims and
-- pre-fetch jobs. None of it is content: no foreign key to repository, manifest or blob, no trigger, so garbage
-- collection, usage, quotas, the catalog and tag lists never see these rows.

-- An image manifest fetched from the upstream before its config and layers are stored (manifest_blob rows need blob
-- rows). Kept under the reference it was fetched by and under its digest, served by any replica, and pushed as an
-- ordinary manifest by whichever replica stores its last blob (then deleted). Older rows than the lifetime
-- (PendingManifestStore.LIFETIME) are never served and are deleted by UploadJanitor.
CREATE TABLE proxy_pending_manifest (
    repository   VARCHAR(255) COLLATE "C" NOT NULL,
    reference    VARCHAR(255) COLLATE "C" NOT NULL,
    digest       VARCHAR(255) COLLATE "C" NOT NULL,
    media_type   VARCHAR(255) NOT NULL,
    content_type VARCHAR(255),
    payload      BYTEA NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (repository, reference)
);
CREATE INDEX proxy_pending_manifest_fetched_idx ON proxy_pending_manifest (fetched_at);

-- One fetch for many across replicas: the replica that fetches a manifest or blob from the upstream holds its claim
-- and refreshes the heartbeat while it streams; a claim whose heartbeat is older than cais.proxy.claim-expiry may be
-- taken over (FetchClaimStore, locking rule 9).
CREATE TABLE proxy_fetch_claim (
    repository VARCHAR(255) COLLATE "C" NOT NULL,
    resource   VARCHAR(512) COLLATE "C" NOT NULL,
    replica    VARCHAR(64) NOT NULL,
    heartbeat  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (repository, resource)
);
CREATE INDEX proxy_fetch_claim_replica_idx ON proxy_fetch_claim (replica);

-- Pre-fetch jobs and their per-image progress: any replica answers a job's progress; the replica that accepted the
-- job runs it and refreshes its heartbeat. A running job whose heartbeat is stale is abandoned (its replica died).
CREATE TABLE prefetch_job (
    id          UUID PRIMARY KEY,
    upstream    VARCHAR(255) COLLATE "C" NOT NULL,
    replica     VARCHAR(64) NOT NULL,
    state       VARCHAR(16) NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed', 'abandoned')),
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE INDEX prefetch_job_running_idx ON prefetch_job (replica) WHERE state = 'running';

CREATE TABLE prefetch_image (
    job_id    UUID NOT NULL REFERENCES prefetch_job (id) ON DELETE CASCADE,
    position  INT NOT NULL,
    image     VARCHAR(1024) NOT NULL,
    state     VARCHAR(16) NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'running', 'done', 'failed')),
    manifests INT NOT NULL DEFAULT 0,
    blobs     INT NOT NULL DEFAULT 0,
    bytes     BIGINT NOT NULL DEFAULT 0,
    error     TEXT,
    PRIMARY KEY (job_id, position)
);
