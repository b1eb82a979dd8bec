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
                        + "FROM upload_session u JOIN repository r ON r.id = u.repository_id WHERE u.id = ? AND r.name = ?",
                row -> new UploadSession(row.getObject(1, UUID.class), row.getLong(2), row.getLong(3), row.getString(4),
                        row.getBytes(5), row.getString(6)), id, repository);
    }

    /**
     * Records a chunk: the new offset, digest state and layout, only if the session is still where the chunk
     * started ({@code from}). False when another request moved it on (or deleted it) first.
     */
    @Transactional
    public boolean advance(UUID id, long from, long offset, byte[] hashState, String storageLayout) {
        return jdbc.update("UPDATE upload_session SET byte_offset = ?, hash_state = ?, storage_layout = ?, updated_at = now() "
                + "WHERE id = ? AND byte_offset = ?", offset, hashState, storageLayout, id, from) == 1;
    }

    /**
     * The upload's blob is stored: records and links it, and ends the session, in one transaction. {@code publish}
     * stores the object again when it is missing (see {@link BlobLinkStore#link});
     * {@link BlobBeingCollectedException} when the garbage collector is deleting that digest's object: try again.
     */
    @Transactional
    public void complete(UploadSession session, Digest digest, long size, Runnable publish) {
        links.link(session.repositoryId(), digest, size, publish);
        delete(session.id());
    }

    @Transactional
    public void delete(UUID id) {
        jdbc.update("DELETE FROM upload_session WHERE id = ?", id);
    }

    /**
     * Deletes up to {@code batch} sessions idle for longer than {@code expiry} and returns their ids. {@code FOR UPDATE
     * SKIP LOCKED} hands each one to exactly one of the replicas doing this at the same time.
     */
    @Transactional
    public List<String> deleteExpired(Duration expiry, int batch) {
        return jdbc.list("DELETE FROM upload_session WHERE id IN (SELECT id FROM upload_session "
                        + "WHERE updated_at < now() - make_interval(secs => ?) ORDER BY updated_at LIMIT ? "
                        + "FOR UPDATE SKIP LOCKED) RETURNING id",
                row -> row.getString(1), expiry.toMillis() / 1000.0, batch);
    }
}
