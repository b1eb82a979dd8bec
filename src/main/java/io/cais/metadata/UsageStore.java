package io.cais.metadata;

import io.cais.content.Digest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Stored bytes per namespace and per repository, as the V10 triggers keep them in {@code namespace_usage} and
 * {@code repository_usage} (exact, in the transaction of every link and unlink), and the counts of repositories, tags
 * and manifests, counted from their indexes. Every read here is one statement in autocommit.
 */
@ApplicationScoped
public class UsageStore {

    /** Bytes of distinct blobs; the shared part is also linked by another namespace (or repository). */
    public record Stored(long bytes, long blobs, long sharedBytes, long sharedBlobs) {
        public long uniqueBytes() {
            return bytes - sharedBytes;
        }

        public long uniqueBlobs() {
            return blobs - sharedBlobs;
        }
    }

    /** Manifests are counted apart: their bytes live in PostgreSQL, not in the blob store. */
    public record Contents(long repositories, long tags, long manifests, long manifestBytes) {
    }

    public record NamespaceUsage(String namespace, Stored stored, Contents contents, Long quotaBytes) {
    }

    public record RepositoryUsage(String name, Stored stored, long tags, long manifests, long manifestBytes) {
    }

    /** Everything the blob store holds (every blob row, linked or awaiting collection) and what is linked. */
    public record ServerUsage(long bytes, long blobs, long linkedBytes, long linkedBlobs, Contents contents) {
    }

    /** A namespace's stored bytes against its quota (null: none), for metrics. */
    public record NamespaceBytes(String namespace, long bytes, long sharedBytes, Long quotaBytes) {
    }

    /** What a push may still add: the quota (null: none), the stored bytes, and whether the blob is already counted. */
    public record Headroom(Long quotaBytes, long usedBytes, boolean alreadyStored) {
    }

    private static final String STORED = "coalesce(u.blob_bytes, 0), coalesce(u.blobs, 0), coalesce(u.shared_bytes, 0), "
            + "coalesce(u.shared_blobs, 0)";

    @Inject
    Jdbc jdbc;

    /** The namespace's usage; empty when there is no such namespace. Primary-key lookups and index range scans. */
    public Optional<NamespaceUsage> namespace(String namespace) {
        return jdbc.first("SELECT " + STORED + ", n.quota_bytes, "
                        + "(SELECT count(*) FROM repository r WHERE r.namespace = n.name), "
                        + "(SELECT count(*) FROM tag t JOIN repository r ON r.id = t.repository_id WHERE r.namespace = n.name), "
                        + "(SELECT count(*) FROM manifest m JOIN repository r ON r.id = m.repository_id WHERE r.namespace = n.name), "
                        + "(SELECT coalesce(sum(m.size), 0) FROM manifest m JOIN repository r ON r.id = m.repository_id "
                        + "WHERE r.namespace = n.name) "
                        + "FROM namespace n LEFT JOIN namespace_usage u ON u.namespace = n.name WHERE n.name = ?",
                row -> new NamespaceUsage(namespace, stored(row, 1), new Contents(row.getLong(6), row.getLong(7),
                        row.getLong(8), row.getLong(9)), row.getObject(5, Long.class)), namespace);
    }

    /** The namespace's repositories after {@code last}, by name, with their usage; one range scan of the name index. */
    public Page<RepositoryUsage> repositories(String namespace, String last, int limit) {
        return Page.of(jdbc.list("SELECT r.name, " + STORED + ", "
                        + "(SELECT count(*) FROM tag t WHERE t.repository_id = r.id), "
                        + "(SELECT count(*) FROM manifest m WHERE m.repository_id = r.id), "
                        + "(SELECT coalesce(sum(m.size), 0) FROM manifest m WHERE m.repository_id = r.id) "
                        + "FROM repository r LEFT JOIN repository_usage u ON u.repository_id = r.id "
                        + "WHERE r.namespace = ? AND r.name > ? ORDER BY r.name LIMIT ?",
                row -> new RepositoryUsage(row.getString(1), stored(row, 2), row.getLong(6), row.getLong(7), row.getLong(8)),
                namespace, last == null ? "" : last, limit + 1), limit);
    }

    /** The whole registry. Scans the blob table: for server admins, not for request paths. */
    public ServerUsage server() {
        return jdbc.first("SELECT coalesce(sum(b.size), 0), count(*), "
                        + "coalesce(sum(b.size) FILTER (WHERE EXISTS (SELECT 1 FROM namespace_blob nb WHERE nb.digest = b.digest)), 0), "
                        + "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM namespace_blob nb WHERE nb.digest = b.digest)), "
                        + "(SELECT count(*) FROM repository), (SELECT count(*) FROM tag), (SELECT count(*) FROM manifest), "
                        + "(SELECT coalesce(sum(size), 0) FROM manifest) FROM blob b",
                row -> new ServerUsage(row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4),
                        new Contents(row.getLong(5), row.getLong(6), row.getLong(7), row.getLong(8)))).orElseThrow();
    }

    /** Every namespace's stored bytes and quota: one row per namespace, for the gauges. */
    public List<NamespaceBytes> perNamespace() {
        return jdbc.list("SELECT n.name, coalesce(u.blob_bytes, 0), coalesce(u.shared_bytes, 0), n.quota_bytes "
                        + "FROM namespace n LEFT JOIN namespace_usage u ON u.namespace = n.name ORDER BY n.name",
                row -> new NamespaceBytes(row.getString(1), row.getLong(2), row.getLong(3), row.getObject(4, Long.class)));
    }

    /**
     * The namespace's quota and usage, read without a lock: an early answer that keeps a push over the quota from
     * storing anything. The decision that counts is the trigger's, under the usage row's lock, when the link is made.
     */
    public Headroom headroom(String namespace, Digest digest) {
        return jdbc.first("SELECT n.quota_bytes, coalesce(u.blob_bytes, 0), "
                        + "EXISTS (SELECT 1 FROM namespace_blob nb WHERE nb.namespace = n.name AND nb.digest = ?) "
                        + "FROM namespace n LEFT JOIN namespace_usage u ON u.namespace = n.name WHERE n.name = ?",
                row -> new Headroom(row.getObject(1, Long.class), row.getLong(2), row.getBoolean(3)),
                digest == null ? "" : digest.toString(), namespace).orElse(new Headroom(null, 0, false));
    }

    /**
     * Takes, in the caller's transaction and in the V10 lock order (blob rows by digest, namespace usage rows by name,
     * repository usage rows by id), every
     * lock that deleting the namespace's links will need, so that a delete running one statement per repository never
     * waits for a lock out of order while holding another (no deadlock with pushes).
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void lockNamespaceContent(String namespace) {
        jdbc.list("SELECT 1 FROM blob WHERE digest IN (SELECT digest FROM namespace_blob WHERE namespace = ?) "
                + "ORDER BY digest FOR NO KEY UPDATE", row -> 1, namespace);
        jdbc.list("SELECT 1 FROM namespace_usage WHERE namespace = ? OR namespace IN (SELECT o.namespace FROM namespace_blob o "
                + "WHERE o.digest IN (SELECT digest FROM namespace_blob WHERE namespace = ?)) ORDER BY namespace FOR UPDATE",
                row -> 1, namespace, namespace);
        jdbc.list("SELECT 1 FROM repository_usage WHERE repository_id IN (SELECT rb.repository_id FROM repository_blob rb "
                + "WHERE rb.digest IN (SELECT digest FROM namespace_blob WHERE namespace = ?)) ORDER BY repository_id FOR UPDATE",
                row -> 1, namespace);
    }

    /**
     * The same for unlinking the given digests wherever they are linked (the garbage collector deletes the links of
     * many digests, in many namespaces, in one statement): every lock the V10 triggers will take, in their order.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void lockForUnlinking(String[] digests) {
        jdbc.list("SELECT 1 FROM blob WHERE digest = ANY (?) ORDER BY digest FOR NO KEY UPDATE", row -> 1, (Object) digests);
        jdbc.list("SELECT 1 FROM namespace_usage WHERE namespace IN (SELECT namespace FROM namespace_blob WHERE digest = ANY (?)) "
                + "ORDER BY namespace FOR UPDATE", row -> 1, (Object) digests);
        jdbc.list("SELECT 1 FROM repository_usage WHERE repository_id IN (SELECT repository_id FROM repository_blob "
                + "WHERE digest = ANY (?)) ORDER BY repository_id FOR UPDATE", row -> 1, (Object) digests);
    }

    private static Stored stored(ResultSet row, int first) throws SQLException {
        return new Stored(row.getLong(first), row.getLong(first + 1), row.getLong(first + 2), row.getLong(first + 3));
    }
}
