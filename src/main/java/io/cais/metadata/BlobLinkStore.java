package io.cais.metadata;

import io.cais.content.Digest;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.util.OptionalLong;

/**
 * Stored blobs and the repository ↔ blob links: which blobs a repository may serve. Every check that a repository
 * may read a blob goes through {@link #linkedSize}, so deduplicated storage never leaks content across
 * repositories.
 *
 * <p>Locking rule: a link that a manifest of its repository references is not removed. A manifest push reads the
 * links it needs {@code FOR KEY SHARE} ({@link ManifestStore#push}); {@link #unlink} deletes first — which waits for
 * such a push to commit — and only then, in a new statement that sees that commit, looks for references
 * ({@link ReferencedContent}).
 */
@ApplicationScoped
public class BlobLinkStore {

    @Inject
    Jdbc jdbc;

    @Inject
    RepositoryStore repositories;

    /** Size of the blob when it is linked to the repository, else empty. One indexed query. */
    public OptionalLong linkedSize(String repository, Digest digest) {
        return jdbc.first("SELECT b.size FROM repository r JOIN repository_blob rb ON rb.repository_id = r.id "
                        + "JOIN blob b ON b.digest = rb.digest WHERE r.name = ? AND rb.digest = ?",
                        row -> OptionalLong.of(row.getLong(1)), repository, digest.toString())
                .orElse(OptionalLong.empty());
    }

    /**
     * Records a stored blob and links it to the repository (both idempotent), in the caller's transaction. The
     * repository may have been deleted since the upload started: then the upload went with it.
     *
     * <p>Locking rule (against the garbage collector, {@link GcReviewStore}): the {@code blob} row is inserted or
     * read {@code FOR KEY SHARE} first, so the collector cannot delete it until this transaction ends. The upload's
     * object was stored before this transaction, possibly as a no-op because the object existed — and the collector
     * may have deleted that object since. So, with the row held: when the collector is still deleting this digest's
     * object ({@code gc_blob_deletion}), the upload waits for it ({@link BlobBeingCollectedException}, the caller
     * retries); then {@code publish} stores the object again if it is missing. No blob row is ever committed while its
     * object is missing.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void link(long repositoryId, Digest digest, long size, Runnable publish) {
        String key = digest.toString();
        boolean held = false;
        // A row the collector deletes between the insert's conflict and the read is inserted again.
        while (!held) {
            jdbc.update("INSERT INTO blob (digest, size) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING", key, size);
            held = jdbc.first("SELECT digest FROM blob WHERE digest = ? FOR KEY SHARE", row -> true, key).isPresent();
        }
        // Waits while a collector deletes the object (it holds the row FOR UPDATE); a row nobody holds means a
        // deletion decided but not done.
        if (jdbc.first("SELECT digest FROM gc_blob_deletion WHERE digest = ? FOR KEY SHARE", row -> true, key).isPresent()) {
            throw new BlobBeingCollectedException(key);
        }
        publish.run();
        try {
            // An existing link is renewed: the blob was just uploaded again, for a manifest that may follow, so its
            // grace before garbage collection starts again (a review is enqueued for the new time).
            jdbc.update("INSERT INTO repository_blob (repository_id, digest) VALUES (?, ?) ON CONFLICT (repository_id, digest) "
                    + "DO UPDATE SET created_at = now()", repositoryId, key);
        } catch (VanishedRowException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "the repository was deleted during the upload", key);
        }
    }

    /**
     * Links into {@code repository} a blob that {@code from} links, in one statement. Returns false, linking
     * nothing, when {@code from} does not link it: a mount never reaches content the source repository cannot serve.
     * The source link is read {@code FOR KEY SHARE}, so a concurrent unlink of it waits for the mount to commit.
     */
    @Transactional
    public boolean mount(String from, String repository, Digest digest) {
        long repositoryId = repositories.getOrCreate(repository);
        try {
            return jdbc.first("WITH source AS (SELECT rb.digest FROM repository_blob rb JOIN repository r ON r.id = rb.repository_id "
                            + "WHERE r.name = ? AND rb.digest = ? FOR KEY SHARE OF rb), "
                            + "linked AS (INSERT INTO repository_blob (repository_id, digest) SELECT ?, digest FROM source "
                            + "ON CONFLICT DO NOTHING) SELECT count(*) FROM source",
                    row -> row.getLong(1) > 0, from, digest.toString(), repositoryId).orElse(false);
        } catch (VanishedRowException e) {
            throw RepositoryStore.vanished(repository);
        }
    }

    /**
     * Removes the repository's link; the blob itself is left to garbage collection. False when there was no link;
     * 409 BLOB_REFERENCED, removing nothing, when a manifest of the repository references the blob.
     */
    @Transactional
    public boolean unlink(String repository, Digest digest) {
        return ReferencedContent.delete(jdbc, "DELETE FROM repository_blob rb USING repository r "
                        + "WHERE rb.repository_id = r.id AND r.name = ? AND rb.digest = ? RETURNING rb.repository_id",
                "SELECT EXISTS (SELECT 1 FROM manifest_blob mb JOIN manifest m ON m.id = mb.manifest_id "
                        + "WHERE mb.digest = ? AND m.repository_id = ?)", repository, digest,
                () -> new RegistryException(ErrorCode.BLOB_REFERENCED, "a manifest of the repository references the blob; "
                        + "delete the manifest first", digest.toString()));
    }
}
