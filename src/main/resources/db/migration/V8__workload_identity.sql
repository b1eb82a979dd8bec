-- Workload identity: a namespace trusts token issuers (a Kubernetes cluster's service-account signer, a CI system's
-- OIDC issuer) through their public keys, uploaded as a JWKS document, and maps the subjects of their tokens to
-- actions on its own repositories. Two namespaces may trust the same issuer, each with keys and rules of its own:
-- a token verified by one namespace's keys is only ever granted that namespace's repositories.
CREATE TABLE trusted_issuer (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace_id    BIGINT NOT NULL REFERENCES namespace (id) ON DELETE CASCADE,
    name            VARCHAR(64) COLLATE "C" NOT NULL,
    issuer          TEXT COLLATE "C" NOT NULL,
    audience        TEXT NOT NULL,
    jwks            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    keys_updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (namespace_id, name),
    UNIQUE (namespace_id, issuer)
);
-- Verification starts from the token's "iss": every namespace that trusts it.
CREATE INDEX trusted_issuer_issuer_idx ON trusted_issuer (issuer);

-- Subject glob (e.g. 'system:serviceaccount:payments:*') -> actions on repository globs inside the namespace,
-- comma-separated, as a robot's.
CREATE TABLE workload_rule (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer_id     BIGINT NOT NULL REFERENCES trusted_issuer (id) ON DELETE CASCADE,
    subject       TEXT COLLATE "C" NOT NULL,
    actions       TEXT NOT NULL,
    repositories  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX workload_rule_issuer_idx ON workload_rule (issuer_id);

-- Every replica remembers the trust configuration it verifies with; any change to it (new keys, a deleted issuer or
-- rule, a deleted namespace's cascade, an operator's SQL) tells every replica on commit to forget it.
CREATE FUNCTION notify_workload_trust_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('cais_workload_trust_change', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trusted_issuer_changed AFTER INSERT OR UPDATE OR DELETE ON trusted_issuer
    FOR EACH STATEMENT EXECUTE FUNCTION notify_workload_trust_change();
CREATE TRIGGER workload_rule_changed AFTER INSERT OR UPDATE OR DELETE ON workload_rule
    FOR EACH STATEMENT EXECUTE FUNCTION notify_workload_trust_change();

-- Who pulled what: one row per workload (issuer, subject, pod, node) and manifest digest it was served from a
-- repository, with a count and when it was first and last seen. Written in batches, off the request path.
CREATE TABLE workload_pull (
    namespace_id          BIGINT NOT NULL REFERENCES namespace (id) ON DELETE CASCADE,
    digest                VARCHAR(135) COLLATE "C" NOT NULL,
    repository            VARCHAR(255) COLLATE "C" NOT NULL,
    issuer                TEXT COLLATE "C" NOT NULL,
    subject               TEXT COLLATE "C" NOT NULL,
    pod                   TEXT COLLATE "C" NOT NULL DEFAULT '',
    node                  TEXT COLLATE "C" NOT NULL DEFAULT '',
    kubernetes_namespace  TEXT NOT NULL DEFAULT '',
    service_account       TEXT NOT NULL DEFAULT '',
    pulls                 BIGINT NOT NULL,
    first_seen            TIMESTAMPTZ NOT NULL,
    last_seen             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (namespace_id, digest, repository, issuer, subject, pod, node)
);
