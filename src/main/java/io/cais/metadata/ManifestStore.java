package io.cais.metadata;

import io.cais.content.Descriptor;
import io.cais.content.Digest;
import io.cais.content.ParsedManifest;
import io.cais.content.Reference;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Manifests with the references that keep their content alive ({@code manifest_blob}, {@code manifest_child}), and
 * the lookups that serve them.
 *
 * <p>Locking rules (PostgreSQL, READ COMMITTED):
 * <ul>
 *   <li>A push locks what it checks. The repository's links to the config and layers, and the child manifests of
 *   an index, are read {@code FOR KEY SHARE} in the transaction that inserts the manifest and its references. A
 *   concurrent unlink or manifest delete locks the same row by deleting it: either it waits for the push to commit
 *   and then finds the new reference (409), or the push waits for it and then finds the row gone (400
 *   MANIFEST_BLOB_UNKNOWN). No manifest is left with an unlinked layer or a dangling child.</li>
 *   <li>A delete checks references after it deleted, in a new statement whose snapshot includes every push it
 *   waited for; when something still references the manifest, the transaction rolls back.</li>
 *   <li>A concurrent delete between check and use is a 4xx: a repository deleted under a push is 404
 *   NAME_UNKNOWN, a manifest deleted before its tag could point at it is inserted again.</li>
 * </ul>
 */
@ApplicationScoped
public class ManifestStore {

    private static final String COLUMNS_HEAD = "SELECT r.id, m.digest, m.media_type, m.size";
    private static final String COLUMNS_GET = COLUMNS_HEAD + ", m.payload";
    private static final String BY_TAG = " FROM repository r JOIN tag t ON t.repository_id = r.id "
            + "JOIN manifest m ON m.id = t.manifest_id WHERE r.name = ? AND t.name = ?";
    private static final String BY_DIGEST = " FROM repository r JOIN manifest m ON m.repository_id = r.id "
            + "WHERE r.name = ? AND m.digest = ?";
    private static final String TAG_HEAD = COLUMNS_HEAD + BY_TAG;
    private static final String TAG_GET = COLUMNS_GET + BY_TAG;
    private static final String DIGEST_HEAD = COLUMNS_HEAD + BY_DIGEST;
    private static final String DIGEST_GET = COLUMNS_GET + BY_DIGEST;

    /** A manifest that refers to a subject, as the referrers API describes it. */
    public record Referrer(String mediaType, String digest, long size, String artifactType, String annotations) {
    }

    @Inject
    Jdbc jdbc;

    @Inject
    RepositoryStore repositories;

    @Inject
    TagStore tags;

    @Inject
    TagPolicyStore policies;

    @Inject
    TagGuard guard;

    /**
     * Stores a validated manifest with its references and points the tags at it ({@link TagStore#point}, under the
     * namespace's tag policies) — all in one transaction: a rejected or interrupted push writes nothing, and a push
     * with several tags creates all of them or none. Pushing a stored manifest again only moves the tags.
     * {@code pushedBy} (an account's name) is recorded with a new manifest and with the tags.
     */
    @Transactional
    public void push(String repository, Digest digest, ParsedManifest manifest, byte[] body, List<String> tagNames,
                     String pushedBy) {
        push(repository, digest, manifest, body, tagNames, pushedBy, true);
    }

    /**
     * As {@link #push(String, Digest, ParsedManifest, byte[], List, String)}; without {@code childrenRequired}, an
     * index is stored before its children: the pull-through cache keeps an upstream's index whose other platforms'
     * images are never pulled. Blobs are always required (their rows are what {@code manifest_blob} refers to).
     */
    @Transactional
    public void push(String repository, Digest digest, ParsedManifest manifest, byte[] body, List<String> tagNames,
                     String pushedBy, boolean childrenRequired) {
        long repositoryId = repositories.getOrCreate(repository);
        try {
            lock("SELECT digest FROM repository_blob WHERE repository_id = ? AND digest = ANY (?) FOR KEY SHARE",
                    repositoryId, manifest.blobs(), "manifest references blobs unknown to the repository");
            if (childrenRequired) {
                lock("SELECT digest FROM manifest WHERE repository_id = ? AND digest = ANY (?) FOR KEY SHARE",
                        repositoryId, manifest.children(), "index references manifests unknown to the repository");
            }
            long manifestId = insert(repositoryId, digest, manifest, body, pushedBy);
            tags.point(repositoryId, repository, tagNames, manifestId, digest.toString(), pushedBy);
        } catch (VanishedRowException e) {
            throw RepositoryStore.vanished(repository);
        }
    }

    /**
     * Deletes the manifest and its tags; false when there is none; 409 when an index of the repository references it;
     * 403 when a tag that a policy makes immutable points at it. For that check the manifest row is locked
     * {@code FOR UPDATE} first: it waits for a push that holds the row {@code FOR KEY SHARE} to point a tag at it, and
     * then sees that tag; no later push can point one at it until this transaction ends.
     */
    @Transactional
    public boolean delete(String repository, Digest digest) {
        List<TagPolicyStore.StoredTagPolicy> rules = policies.list(Namespace.of(repository));
        if (guard.mayHaveImmutableTags(rules, repository)) {
            Optional<Long> manifestId = jdbc.first("SELECT m.id FROM manifest m JOIN repository r ON r.id = m.repository_id "
                    + "WHERE r.name = ? AND m.digest = ? FOR UPDATE OF m", row -> row.getLong(1), repository, digest.toString());
            if (manifestId.isPresent()) {
                tags.protecting(rules, repository, manifestId.get(), digest.toString()).ifPresent(refusal -> {
                    throw refusal;
                });
            }
        }
        return ReferencedContent.delete(jdbc, "DELETE FROM manifest m USING repository r WHERE m.repository_id = r.id "
                        + "AND r.name = ? AND m.digest = ? RETURNING m.repository_id",
                "SELECT EXISTS (SELECT 1 FROM manifest_child c JOIN manifest m ON m.id = c.manifest_id "
                        + "WHERE c.child_digest = ? AND m.repository_id = ?)", repository, digest,
                () -> new RegistryException(ErrorCode.MANIFEST_REFERENCED, "an index of the repository references the manifest; "
                        + "delete the index first", digest.toString()));
    }

    /** The stored manifest a tag or digest names, with its bytes when asked for. One indexed query. */
    public Optional<ManifestRecord> find(String repository, Reference reference, boolean withPayload) {
        String sql = switch (reference) {
            case Reference.Tag tag -> withPayload ? TAG_GET : TAG_HEAD;
            case Reference.ByDigest digest -> withPayload ? DIGEST_GET : DIGEST_HEAD;
        };
        return jdbc.first(sql, row -> new ManifestRecord(row.getLong(1), row.getString(2), row.getString(3), row.getLong(4),
                withPayload ? row.getBytes(5) : null), repository, reference.toString());
    }

    /**
     * Whether an index of the repository that lists {@code child} satisfies {@code index} (given its bytes): how an
     * arch alias checks a digest it is asked for. Indexes are found through {@code manifest_child}'s digest index.
     */
    public boolean anyIndexListing(String repository, String child, Predicate<byte[]> index) {
        return jdbc.list("SELECT m.payload FROM repository r JOIN manifest m ON m.repository_id = r.id "
                        + "JOIN manifest_child c ON c.manifest_id = m.id WHERE r.name = ? AND c.child_digest = ?",
                row -> row.getBytes(1), repository, child).stream().anyMatch(index);
    }

    /** The manifests whose subject is the digest, after {@code last} by digest, optionally of one artifact type. */
    public Page<Referrer> referrers(String repository, Digest subject, String artifactType, String last, int limit) {
        String sql = "SELECT m.media_type, m.digest, m.size, m.artifact_type, m.annotations FROM repository r "
                + "JOIN manifest m ON m.repository_id = r.id WHERE r.name = ? AND m.subject_digest = ? AND m.digest > ? "
                + (artifactType != null ? "AND m.artifact_type = ? " : "") + "ORDER BY m.digest LIMIT ?";
        String after = last == null ? "" : last;
        Object[] parameters = artifactType == null
                ? new Object[]{repository, subject.toString(), after, limit + 1}
                : new Object[]{repository, subject.toString(), after, artifactType, limit + 1};
        return Page.of(jdbc.list(sql, row -> new Referrer(row.getString(1), row.getString(2), row.getLong(3),
                row.getString(4), row.getString(5)), parameters), limit);
    }

    /**
     * Locks the rows {@code sql} finds for the wanted digests {@code FOR KEY SHARE}; 400 MANIFEST_BLOB_UNKNOWN — the
     * spec's code for a manifest that references content the registry lacks, a child manifest included — naming the
     * digests it did not find.
     */
    private void lock(String sql, long repositoryId, List<Descriptor> wanted, String unknown) {
        Set<String> missing = digests(wanted);
        if (missing.isEmpty()) {
            return;
        }
        jdbc.list(sql, row -> row.getString(1), repositoryId, missing.toArray(String[]::new)).forEach(missing::remove);
        if (!missing.isEmpty()) {
            throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN, unknown, Map.of("digests", List.copyOf(missing)));
        }
    }

    /**
     * The manifest's id, inserting it with its references when it is new. A stored one is read {@code FOR KEY SHARE}
     * so that it stays until the tag points at it; one deleted between the insert's conflict and that read is
     * inserted again.
     */
    private long insert(long repositoryId, Digest digest, ParsedManifest manifest, byte[] body, String pushedBy) {
        while (true) {
            Optional<Long> inserted = jdbc.first("INSERT INTO manifest (repository_id, digest, media_type, artifact_type, "
                            + "subject_digest, annotations, size, payload, pushed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                            + "ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id", row -> row.getLong(1),
                    repositoryId, digest.toString(), manifest.mediaType(), manifest.artifactType(),
                    manifest.subject() == null ? null : manifest.subject().toString(), manifest.annotations(),
                    (long) body.length, body, pushedBy);
            if (inserted.isPresent()) {
                references(inserted.get(), manifest);
                return inserted.get();
            }
            Optional<Long> stored = jdbc.first("SELECT id FROM manifest WHERE repository_id = ? AND digest = ? FOR KEY SHARE",
                    row -> row.getLong(1), repositoryId, digest.toString());
            if (stored.isPresent()) {
                return stored.get();
            }
        }
    }

    /** The rows that keep this manifest's content alive for the garbage collector. */
    private void references(long manifestId, ParsedManifest manifest) {
        if (!manifest.blobs().isEmpty()) {
            jdbc.update("INSERT INTO manifest_blob (manifest_id, digest) SELECT ?, unnest(?) ON CONFLICT DO NOTHING",
                    manifestId, digests(manifest.blobs()).toArray(String[]::new));
        }
        if (!manifest.children().isEmpty()) {
            jdbc.update("INSERT INTO manifest_child (manifest_id, child_digest) SELECT ?, unnest(?) ON CONFLICT DO NOTHING",
                    manifestId, digests(manifest.children()).toArray(String[]::new));
        }
    }

    private static Set<String> digests(List<Descriptor> descriptors) {
        Set<String> digests = new LinkedHashSet<>();
        descriptors.forEach(d -> digests.add(d.digest().toString()));
        return digests;
    }
}
