package io.cais.metadata;

import io.cais.content.Digest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Upload sessions. No transaction is held while bytes stream: each chunk ends with one conditional update
 * ({@link #advance}), of which, for two racing chunks, only one succeeds.
 */
@ApplicationScoped
public class UploadStore {

    @Inject
    Jdbc jdbc;

    @Inject
    RepositoryStore repositories;

    @Inject
    BlobLinkStore links;

    /** Opens a session at offset 0, creating the repository on its first upload. */
    @Transactional
    public UploadSession create(String repository, String hashAlgorithm) {
        long repositoryId = repositories.getOrCreate(repository);
        UUID id = UUID.randomUUID();
        try {
            jdbc.update("INSERT INTO upload_session (id, repository_id, hash_algorithm, storage_layout) VALUES (?, ?, ?, '')",
                    id, repositoryId, hashAlgorithm);
        } catch (VanishedRowException e) {
            throw RepositoryStore.vanished(repository);
        }
        return new UploadSession(id, repositoryId, 0, hashAlgorithm, null, "");
    }

    public Optional<UploadSession> find(String repository, UUID id) {
        return jdbc.first("SELECT u.id, u.repository_id, u.byte_offset, u.hash_algorithm, u.hash_state, u.storage_layout "
                        + "FROM upload_session u JOIN repository r ON r.id = u.repository_id "
                        + "WHERE u.id = ? AND r.name = ? AND u.expired_at IS NULL",
                row -> new UploadSession(row.getObject(1, UUID.class), row.getLong(2), row.getLong(3), row.getString(4),
                        row.getBytes(5), row.getString(6)), id, repository);
    }

    /**
     * Records a chunk: the new offset, digest state and layout, only if the session is still where the chunk
     * started ({@code from}) and is not being deleted. False when another request moved it on (or expired or
     * deleted it) first.
     */
    @Transactional
    public boolean advance(UUID id, long from, long offset, byte[] hashState, String storageLayout) {
        return jdbc.update("UPDATE upload_session SET byte_offset = ?, hash_state = ?, storage_layout = ?, updated_at = now() "
                + "WHERE id = ? AND byte_offset = ? AND expired_at IS NULL", offset, hashState, storageLayout, id, from) == 1;
    }

    /**
     * The upload's blob is stored: records and links it, and ends the session, in one transaction. Two deleters may
     * have taken the object since the store's commit (which is a no-op when the object exists): the garbage
     * collector, against which {@link BlobLinkStore#link} holds the blob row and waits for a pending deletion
     * ({@link BlobBeingCollectedException}: try again), and the sweep of stray objects, which deletes an object without
     * a {@code blob} row only under the digest's exclusive lock after checking again for the row
     * ({@link SweepStore#removeIfUnrecorded}). Under the digest's shared lock, taken first, {@code publish} stores the
     * object again when it is missing (the upload's segments are still there), so no blob row is ever committed
     * while its object is missing.
     */
    @Transactional
    public void complete(UploadSession session, Digest digest, long size, Runnable publish) {
        AdvisoryLocks.shareDigest(jdbc, digest);
        links.link(session.repositoryId(), digest, size, publish);
        jdbc.update("DELETE FROM upload_session WHERE id = ?", session.id());
    }

    /**
     * Marks a session as being deleted: from this commit on, no request finds it ({@link #find}) and no chunk is
     * recorded in it ({@link #advance}), so its stored segments can be deleted before the row ({@link #deleteExpired}).
     */
    @Transactional
    public void expire(UUID id) {
        jdbc.update("UPDATE upload_session SET expired_at = now() WHERE id = ? AND expired_at IS NULL", id);
    }

    /**
     * Marks up to {@code batch} sessions idle for longer than {@code expiry} as being deleted (as {@link #expire}) and
     * returns their ids. {@code FOR UPDATE SKIP LOCKED} keeps replicas doing this at the same time apart; a session
     * marked before whose row is still there (its segments could not be deleted) is marked and returned again.
     */
    @Transactional
    public List<String> expireIdle(Duration expiry, int batch) {
        return jdbc.list("UPDATE upload_session SET expired_at = coalesce(expired_at, now()) WHERE id IN ("
                        + "SELECT id FROM upload_session WHERE updated_at < now() - make_interval(secs => ?) "
                        + "ORDER BY updated_at LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING id",
                row -> row.getString(1), expiry.toMillis() / 1000.0, batch);
    }

    /** Deletes the row of a session marked by {@link #expire} or {@link #expireIdle}, once its segments are gone. */
    @Transactional
    public void deleteExpired(UUID id) {
        jdbc.update("DELETE FROM upload_session WHERE id = ? AND expired_at IS NOT NULL", id);
    }
}
