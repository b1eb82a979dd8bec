package io.cais.metadata;

import io.cais.content.Digest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the sweep asks the database about the store's objects: which blobs and uploads a row still knows. Rows are
 * written after the objects they name (a blob after its commit, an upload's segments after its row) and deleted
 * before or after them as {@link UploadStore} says; the sweep's grace delay covers the moments in between.
 */
@ApplicationScoped
public class SweepStore {

    @Inject
    Jdbc jdbc;

    /** The sweep lock, held on a connection of its own until closed: one replica sweeps at a time. Empty when taken. */
    public Optional<AutoCloseable> trySweepLock() {
        return jdbc.trySessionLock(AdvisoryLocks.SWEEP, 0);
    }

    /** Of these digests, the ones a {@code blob} row records. One indexed query. */
    public Set<String> recordedBlobs(List<Digest> digests) {
        String[] values = digests.stream().map(Digest::toString).toArray(String[]::new);
        return new HashSet<>(jdbc.list("SELECT digest FROM blob WHERE digest = ANY(?)", row -> row.getString(1),
                (Object) values));
    }

    /** Of these upload ids (UUIDs), the ones an {@code upload_session} row still has, being deleted or not. */
    public Set<String> knownUploads(List<String> uploadIds) {
        return new HashSet<>(jdbc.list("SELECT id::text FROM upload_session WHERE id = ANY(?::uuid[])",
                row -> row.getString(1), (Object) uploadIds.toArray(String[]::new)));
    }

    /** Deletes a stored object; what the store does, handed to the metadata layer to run under its lock. */
    @FunctionalInterface
    public interface Removal {
        void remove() throws IOException;
    }

    /**
     * Runs {@code removal} if no {@code blob} row records {@code digest}, holding the digest's lock exclusively from
     * the check to the end of the removal; a push that kept that object holds the lock shared until its row commits
     * ({@link UploadStore#complete}). Returns whether it removed.
     */
    @Transactional
    public boolean removeIfUnrecorded(Digest digest, Removal removal) throws IOException {
        AdvisoryLocks.lockDigest(jdbc, digest);
        if (jdbc.first("SELECT 1 FROM blob WHERE digest = ?", row -> Boolean.TRUE, digest.toString()).isPresent()) {
            return false;
        }
        removal.remove();
        return true;
    }
}
