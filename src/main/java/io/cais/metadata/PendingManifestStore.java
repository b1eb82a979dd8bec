package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Image manifests the pull-through cache fetched before their config and layers are stored
 * ({@code proxy_pending_manifest}): any replica serves them, whichever stores the last blob pushes them. They are
 * not content — no trigger, no reference — so garbage collection, usage and listings never see them. Every method
 * is one statement in autocommit.
 *
 * <p>Locking: none held. A pending row is written by the fetch that holds the manifest's claim
 * ({@link FetchClaimStore}); two replicas promoting the same manifest both push it (the push is idempotent) and
 * delete the row only while it still holds the digest they pushed, so a newer fetch of a moved tag is never deleted.
 */
@ApplicationScoped
public class PendingManifestStore {

    /** How long a pending manifest is served: a client that never pulls its blobs does not keep it forever. */
    public static final Duration LIFETIME = Duration.ofMinutes(30);

    /** A pending manifest as stored: {@code reference} is a tag or a digest, as {@code Reference.toString()}. */
    public record PendingManifest(String repository, String reference, String digest, String mediaType,
                                  String contentType, byte[] payload) {
        public ManifestRecord record() {
            return new ManifestRecord(0, digest, mediaType, payload.length, payload);
        }
    }

    private static final String COLUMNS = "SELECT repository, reference, digest, media_type, content_type, payload "
            + "FROM proxy_pending_manifest";
    private static final String FRESH = "fetched_at > now() - make_interval(secs => " + LIFETIME.toSeconds() + ")";
    private static final Jdbc.Row<PendingManifest> ROW = row -> new PendingManifest(row.getString(1), row.getString(2),
            row.getString(3), row.getString(4), row.getString(5), row.getBytes(6));

    @Inject
    Jdbc jdbc;

    /** Keeps (or replaces, with a new lifetime) the manifest fetched for the reference. */
    public void put(String repository, String reference, String digest, String mediaType, String contentType,
                    byte[] payload) {
        jdbc.update("INSERT INTO proxy_pending_manifest (repository, reference, digest, media_type, content_type, payload) "
                + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (repository, reference) DO UPDATE SET digest = EXCLUDED.digest, "
                + "media_type = EXCLUDED.media_type, content_type = EXCLUDED.content_type, payload = EXCLUDED.payload, "
                + "fetched_at = now()", repository, reference, digest, mediaType, contentType, payload);
    }

    /** The pending manifest of the reference, unless it is older than {@link #LIFETIME}. */
    public Optional<PendingManifest> find(String repository, String reference) {
        return jdbc.first(COLUMNS + " WHERE repository = ? AND reference = ? AND " + FRESH, ROW, repository, reference);
    }

    /** The repository's pending manifests younger than {@link #LIFETIME}. */
    public List<PendingManifest> list(String repository) {
        return jdbc.list(COLUMNS + " WHERE repository = ? AND " + FRESH, ROW, repository);
    }

    /** Forgets the reference once its manifest is stored, unless it was fetched again with another digest since. */
    public void delete(String repository, String reference, String digest) {
        jdbc.update("DELETE FROM proxy_pending_manifest WHERE repository = ? AND reference = ? AND digest = ?",
                repository, reference, digest);
    }

    /** Deletes every pending manifest older than {@link #LIFETIME}; returns how many. */
    public int deleteExpired() {
        return jdbc.update("DELETE FROM proxy_pending_manifest WHERE NOT (" + FRESH + ")");
    }
}
