package io.cais.metadata;

import io.cais.content.Digest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.util.List;

/** The {@code blob} rows the consistency check compares with the store, and the one repair it may make. */
@ApplicationScoped
public class FsckStore {

    @Inject
    Jdbc jdbc;

    public record BlobRow(Digest digest, long size) {
    }

    /** The next {@code limit} blob rows after {@code after} ("" for the first page), in digest order (the primary key). */
    public List<BlobRow> blobsAfter(String after, int limit) {
        return jdbc.list("SELECT digest, size FROM blob WHERE digest > ? ORDER BY digest LIMIT ?",
                row -> new BlobRow(Digest.parse(row.getString(1)), row.getLong(2)), after, limit);
    }

    /** Whether a repository links the blob or a manifest references it. */
    public boolean referenced(Digest digest) {
        return jdbc.first("SELECT 1 FROM repository_blob WHERE digest = ? UNION ALL SELECT 1 FROM manifest_blob WHERE digest = ? LIMIT 1",
                row -> Boolean.TRUE, digest.toString(), digest.toString()).isPresent();
    }

    /**
     * Deletes the blob's row if nothing references it (no repository link, no manifest); false, deleting nothing,
     * otherwise. Under the digest's lock, so that a push completing the same blob waits and then inserts it anew.
     * The references' foreign keys make a reference inserted concurrently either wait for this or fail (404 to its
     * client), never dangle.
     */
    @Transactional
    public boolean deleteIfUnreferenced(Digest digest) {
        AdvisoryLocks.lockDigest(jdbc, digest);
        return jdbc.update("DELETE FROM blob b WHERE b.digest = ? "
                + "AND NOT EXISTS (SELECT 1 FROM repository_blob rb WHERE rb.digest = b.digest) "
                + "AND NOT EXISTS (SELECT 1 FROM manifest_blob mb WHERE mb.digest = b.digest)", digest.toString()) == 1;
    }
}
