package io.cais.metadata;

import io.cais.content.Digest;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The garbage collector's queries: the review queues the V9 triggers fill, the decisions, and the blobs whose stored
 * object is to be deleted ({@code gc_blob_deletion}).
 *
 * <p>Locking rules (READ COMMITTED), beside those of {@link ManifestStore} and {@link BlobLinkStore}:
 * <ul>
 *   <li>The collector never waits for a push. It claims reviews, then the rows it may delete — unreferenced links,
 *   blobs, manifests — {@code FOR UPDATE SKIP LOCKED}: a row a push holds is skipped and reviewed again later.</li>
 *   <li>It decides in a new statement after taking those locks, whose snapshot includes every push that held them
 *   before; a push that comes later waits for the collector's commit and finds the row gone (as with a user's
 *   delete: 400 MANIFEST_BLOB_UNKNOWN, or a manifest inserted again).</li>
 *   <li>Every reference to a blob holds its {@code blob} row {@code FOR KEY SHARE} while it is created: a link by
 *   {@link BlobLinkStore#link} (explicitly, before anything else) or a mount (through the source link it locks and
 *   the foreign key), a manifest's {@code manifest_blob} row through the repository link the push locks and the
 *   foreign key. The collector deletes a blob only with its row {@code FOR UPDATE}, which conflicts with all of
 *   them.</li>
 *   <li>The row goes first, the object after: deleting the row writes a {@code gc_blob_deletion} row in the same
 *   transaction; the object is deleted later, while that row is held {@code FOR UPDATE}, and the row is deleted in
 *   the same transaction. A crash in between leaves an object without a row (found again here, or by the sweep),
 *   never a row without its object. An upload committing the same digest meanwhile waits for that row to go and
 *   then stores its object again ({@link BlobLinkStore#link}).</li>
 * </ul>
 */
@ApplicationScoped
public class GcReviewStore {

    private static final String DUE = "enqueued_at <= now() - make_interval(secs => ?)";
    /** When a kept review is looked at again: its delay from now, minus the configured delay. */
    private static final String RETRY_AT = "now() - make_interval(secs => ?) + make_interval(secs => ?)";
    /** A link that no manifest of its repository references. */
    private static final String UNREFERENCED_LINK = "NOT EXISTS (SELECT 1 FROM manifest_blob mb JOIN manifest m "
            + "ON m.id = mb.manifest_id WHERE mb.digest = rb.digest AND m.repository_id = rb.repository_id)";
    /** A blob that nothing links or references any more. */
    private static final String UNREFERENCED_BLOB = "NOT EXISTS (SELECT 1 FROM repository_blob x WHERE x.digest = b.digest) "
            + "AND NOT EXISTS (SELECT 1 FROM manifest_blob y WHERE y.digest = b.digest)";
    /**
     * A manifest nothing keeps: no tag, no index of its repository; a referrer whose subject is gone, or any other
     * manifest when its namespace deletes untagged ones.
     */
    private static final String COLLECTABLE_MANIFEST = "NOT EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = m.id) "
            + "AND NOT EXISTS (SELECT 1 FROM manifest_child c JOIN manifest p ON p.id = c.manifest_id "
            + "WHERE c.child_digest = m.digest AND p.repository_id = m.repository_id) "
            + "AND CASE WHEN m.subject_digest IS NOT NULL "
            + "THEN NOT EXISTS (SELECT 1 FROM manifest s WHERE s.repository_id = m.repository_id AND s.digest = m.subject_digest) "
            + "ELSE EXISTS (SELECT 1 FROM repository r JOIN namespace n ON n.name = CASE WHEN position('/' in r.name) = 0 "
            + "THEN 'library' ELSE split_part(r.name, '/', 1) END WHERE r.id = m.repository_id "
            + "AND n.untagged_manifests = 'delete') END";

    /** When reviews are due and when those that had to be kept for now are looked at again. */
    public record Timing(Duration delay, Duration retry) {
        double delaySeconds() {
            return delay.toMillis() / 1000.0;
        }

        double retrySeconds() {
            return retry.toMillis() / 1000.0;
        }
    }

    /** What one step deleted (or, in a dry run, would delete), and how many reviews it took. */
    public record Collected(int reviews, long manifests, long links, long blobs, long objects, long bytes) {
        public static final Collected NONE = new Collected(0, 0, 0, 0, 0, 0);

        public Collected plus(Collected other) {
            return new Collected(reviews + other.reviews, manifests + other.manifests, links + other.links,
                    blobs + other.blobs, objects + other.objects, bytes + other.bytes);
        }

        public boolean deletedAnything() {
            return manifests + links + blobs + objects > 0;
        }
    }

    /** Deletes one stored object; an exception keeps its deletion row for a later attempt. */
    @FunctionalInterface
    public interface ObjectDeleter {
        void delete(Digest digest) throws Exception;
    }

    /** The collector's state, as every replica sees it. */
    public record Status(long manifestReviewsDue, long blobReviewsDue, long reviewsPending, long objectsPending,
                         java.time.OffsetDateTime lastRunAt, long manifests, long links, long blobs, long objects,
                         long bytes, long failures) {
    }

    @Inject
    Jdbc jdbc;

    @Inject
    UsageStore usage;

    /** Reviews up to {@code batch} due manifests and deletes those nothing keeps, in one transaction. */
    @Transactional
    public Collected collectManifests(Timing timing, int batch) {
        return manifests(timing, batch);
    }

    /**
     * Reviews up to {@code batch} due blobs, in one transaction: deletes their unreferenced links, then the blob rows
     * nothing references any more, recording their objects for deletion ({@link #deleteObjects}).
     */
    @Transactional
    public Collected collectBlobs(Timing timing, int batch) {
        return blobs(timing, batch);
    }

    /**
     * Deletes the stored objects of up to {@code batch} deleted blobs and then their deletion rows, which are held
     * {@code FOR UPDATE} meanwhile. A failed object keeps its row (and is counted in {@code failures}).
     */
    @Transactional
    public Collected deleteObjects(int batch, ObjectDeleter deleter, List<Digest> failed) {
        // In key order: the primary key's index finds the next batch past the rows earlier batches deleted, where an
        // order by age sorted the whole table for each batch (a collection of 100,000 blobs slowed to a crawl).
        List<Pending> pending = jdbc.list("SELECT digest, size FROM gc_blob_deletion ORDER BY digest LIMIT ? "
                + "FOR UPDATE SKIP LOCKED", row -> new Pending(row.getString(1), row.getLong(2)), batch);
        List<String> done = new ArrayList<>();
        long bytes = 0;
        for (Pending object : pending) {
            Digest digest = Digest.parse(object.digest());
            try {
                deleter.delete(digest);
                done.add(object.digest());
                bytes += object.size();
            } catch (Exception e) {
                failed.add(digest);
            }
        }
        if (!done.isEmpty()) {
            jdbc.update("DELETE FROM gc_blob_deletion WHERE digest = ANY (?)", (Object) done.toArray(String[]::new));
        }
        return new Collected(0, 0, 0, 0, done.size(), bytes);
    }

    /**
     * Everything a run would delete now, in one transaction that is rolled back: manifests, then blobs, again while
     * the deletions make more reviews due, plus the objects already waiting for deletion. Holds its locks until it
     * ends (pushes touching those rows wait), so it is for an administrator's request, not for the workers.
     */
    @Transactional
    public Collected dryRun(Timing timing, int batch) {
        Collected total = Collected.NONE;
        Collected round;
        do {
            round = drain(timing, batch);
            total = total.plus(round);
        } while (round.deletedAnything());
        Collected objects = jdbc.first("SELECT count(*), coalesce(sum(size), 0) FROM gc_blob_deletion",
                row -> new Collected(0, 0, 0, 0, row.getLong(1), row.getLong(2))).orElse(Collected.NONE);
        QuarkusTransaction.setRollbackOnly();
        return total.plus(objects);
    }

    /** Adds a run's results to the totals every replica reads. */
    @Transactional
    public void record(Collected collected, long failures) {
        jdbc.update("UPDATE gc_totals SET last_run_at = now(), manifests = manifests + ?, links = links + ?, blobs = blobs + ?, "
                        + "objects = objects + ?, bytes = bytes + ?, failures = failures + ? WHERE id = 1",
                collected.manifests(), collected.links(), collected.blobs(), collected.objects(), collected.bytes(), failures);
    }

    /** Reviews due now, waiting, objects to delete, and the totals. A few counts over indexed columns. */
    public Status status(Duration delay) {
        double seconds = delay.toMillis() / 1000.0;
        return jdbc.first("SELECT (SELECT count(*) FROM gc_manifest_review WHERE " + DUE + "), "
                        + "(SELECT count(*) FROM gc_blob_review WHERE " + DUE + "), "
                        + "(SELECT count(*) FROM gc_manifest_review) + (SELECT count(*) FROM gc_blob_review), "
                        + "(SELECT count(*) FROM gc_blob_deletion), "
                        + "last_run_at, manifests, links, blobs, objects, bytes, failures FROM gc_totals WHERE id = 1",
                row -> new Status(row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4),
                        row.getObject(5, java.time.OffsetDateTime.class), row.getLong(6), row.getLong(7), row.getLong(8),
                        row.getLong(9), row.getLong(10), row.getLong(11)), seconds, seconds).orElseThrow();
    }

    /** Whether the collector deleted this blob's row and may not have deleted its object yet. One indexed read. */
    public boolean beingDeleted(Digest digest) {
        return jdbc.first("SELECT 1 FROM gc_blob_deletion WHERE digest = ?", row -> true, digest.toString()).isPresent();
    }

    /** Reviews due now (the gauge). */
    public long due(Duration delay) {
        double seconds = delay.toMillis() / 1000.0;
        return jdbc.first("SELECT (SELECT count(*) FROM gc_manifest_review WHERE " + DUE + ") "
                + "+ (SELECT count(*) FROM gc_blob_review WHERE " + DUE + ")", row -> row.getLong(1), seconds, seconds).orElse(0L);
    }

    /** Manifest batches, then blob batches, each until a batch comes back short. In the caller's transaction. */
    private Collected drain(Timing timing, int batch) {
        Collected total = Collected.NONE;
        Collected step;
        do {
            step = manifests(timing, batch);
            total = total.plus(step);
        } while (step.reviews() == batch);
        do {
            step = blobs(timing, batch);
            total = total.plus(step);
        } while (step.reviews() == batch);
        return total;
    }

    private Collected manifests(Timing timing, int batch) {
        List<long[]> claimed = jdbc.list("SELECT id, manifest_id FROM gc_manifest_review WHERE " + DUE
                        + " ORDER BY enqueued_at LIMIT ? FOR UPDATE SKIP LOCKED",
                row -> new long[] {row.getLong(1), row.getLong(2)}, timing.delaySeconds(), batch);
        if (claimed.isEmpty()) {
            return Collected.NONE;
        }
        String[] manifests = claimed.stream().map(c -> Long.toString(c[1])).distinct().toArray(String[]::new);
        // Candidates locked first, decided in a new statement: its snapshot includes every push that held them.
        String[] locked = jdbc.list("SELECT m.id FROM manifest m WHERE m.id = ANY (?::bigint[]) AND " + COLLECTABLE_MANIFEST
                + " FOR UPDATE OF m SKIP LOCKED", row -> Long.toString(row.getLong(1)), (Object) manifests).toArray(String[]::new);
        long deleted = locked.length == 0 ? 0 : jdbc.update("DELETE FROM manifest m WHERE m.id = ANY (?::bigint[]) AND "
                + COLLECTABLE_MANIFEST, (Object) locked);
        // Those a push held (skipped above) are looked at again later.
        jdbc.update("INSERT INTO gc_manifest_review (manifest_id, enqueued_at) SELECT m.id, " + RETRY_AT
                        + " FROM manifest m WHERE m.id = ANY (?::bigint[]) AND " + COLLECTABLE_MANIFEST,
                timing.delaySeconds(), timing.retrySeconds(), manifests);
        deleteReviews("gc_manifest_review", claimed);
        return new Collected(claimed.size(), deleted, 0, 0, 0, 0);
    }

    private Collected blobs(Timing timing, int batch) {
        List<long[]> claimed = new ArrayList<>();
        Set<String> digests = new LinkedHashSet<>();
        jdbc.list("SELECT id, digest FROM gc_blob_review WHERE " + DUE + " ORDER BY enqueued_at LIMIT ? FOR UPDATE SKIP LOCKED",
                row -> {
                    claimed.add(new long[] {row.getLong(1)});
                    digests.add(row.getString(2));
                    return null;
                }, timing.delaySeconds(), batch);
        if (claimed.isEmpty()) {
            return Collected.NONE;
        }
        String[] wanted = digests.toArray(String[]::new);
        long links = deleteLinks(timing, wanted);
        // Blobs nothing references, locked; a blob a push is linking (FOR KEY SHARE) is skipped.
        String[] unreferenced = jdbc.list("SELECT b.digest FROM blob b WHERE b.digest = ANY (?) AND " + UNREFERENCED_BLOB
                + " FOR UPDATE OF b SKIP LOCKED", row -> row.getString(1), (Object) wanted).toArray(String[]::new);
        // The row goes with the object's deletion recorded; the object's bytes are counted when it is deleted.
        long blobs = unreferenced.length == 0 ? 0 : jdbc.update("WITH gone AS (DELETE FROM blob b WHERE b.digest = ANY (?) AND "
                + UNREFERENCED_BLOB + " RETURNING b.digest, b.size) INSERT INTO gc_blob_deletion (digest, size) "
                + "SELECT digest, size FROM gone ON CONFLICT (digest) DO NOTHING", (Object) unreferenced);
        // Whatever still looks like garbage — a link a push or an upload protected, a blob a push held — is looked
        // at again later. A link too young for its review has its own, enqueued when it was created.
        jdbc.update("INSERT INTO gc_blob_review (digest, enqueued_at) SELECT b.digest, " + RETRY_AT
                        + " FROM blob b WHERE b.digest = ANY (?) AND (" + UNREFERENCED_BLOB
                        + " OR EXISTS (SELECT 1 FROM repository_blob rb WHERE rb.digest = b.digest AND " + UNREFERENCED_LINK
                        + " AND rb.created_at <= now() - make_interval(secs => ?)))",
                timing.delaySeconds(), timing.retrySeconds(), wanted, timing.delaySeconds());
        deleteReviews("gc_blob_review", claimed);
        return new Collected(claimed.size(), 0, links, blobs, 0, 0);
    }

    /**
     * Deletes the links of the digests that no manifest of their repository references, that are older than the
     * delay, and that no push under way when they were linked can still need (an upload session of the repository
     * opened before the link). Locked first ({@code SKIP LOCKED}: a manifest push holding one keeps it), decided in a
     * new statement.
     */
    private long deleteLinks(Timing timing, String[] digests) {
        List<String[]> locked = jdbc.list("SELECT rb.repository_id, rb.digest FROM repository_blob rb WHERE rb.digest = ANY (?) "
                        + "AND rb.created_at <= now() - make_interval(secs => ?) AND " + UNREFERENCED_LINK
                        + " FOR UPDATE OF rb SKIP LOCKED",
                row -> new String[] {Long.toString(row.getLong(1)), row.getString(2)}, digests, timing.delaySeconds());
        if (locked.isEmpty()) {
            return 0;
        }
        // The usage triggers lock blob, namespace and repository usage rows per deleted link; taken here up front
        // and in their order, so that a push waiting for one of them never holds another this statement needs.
        usage.lockForUnlinking(locked.stream().map(l -> l[1]).distinct().toArray(String[]::new));
        return jdbc.update("DELETE FROM repository_blob rb USING unnest(?::bigint[], ?::varchar[]) AS c(repository_id, digest) "
                        + "WHERE rb.repository_id = c.repository_id AND rb.digest = c.digest AND " + UNREFERENCED_LINK
                        + " AND NOT EXISTS (SELECT 1 FROM upload_session u WHERE u.repository_id = rb.repository_id "
                        + "AND u.created_at <= rb.created_at)",
                locked.stream().map(l -> l[0]).toArray(String[]::new), locked.stream().map(l -> l[1]).toArray(String[]::new));
    }

    private void deleteReviews(String table, List<long[]> claimed) {
        jdbc.update("DELETE FROM " + table + " WHERE id = ANY (?::bigint[])",
                (Object) claimed.stream().map(c -> Long.toString(c[0])).toArray(String[]::new));
    }

    private record Pending(String digest, long size) {
    }
}
