package io.cais.manifest;

import io.agroal.api.AgroalDataSource;
import io.cais.content.Reference;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The pull hot path: resolve {@code <name>:<tag>} or {@code <name>@<digest>} to the stored manifest. Every kubelet
 * with {@code imagePullPolicy: Always} does this on every pod start, so a repeated resolution comes from
 * {@link ManifestCache}, and a first one is one indexed query in plain JDBC (no ORM session, no entity).
 */
@ApplicationScoped
public class ManifestLookup {

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

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ManifestCache cache;

    /** The manifest; its bytes are included when asked for, and always when it comes from or goes to the cache. */
    public Optional<ManifestRecord> find(String repository, Reference reference, boolean withPayload) {
        return find(repository, reference, withPayload, false);
    }

    /**
     * As {@link #find(String, Reference, boolean)}; with {@code fresh}, the cache is not consulted, so the answer
     * is what PostgreSQL holds now — for a reader that must see another replica's change before its notification
     * arrives. What is read is cached as any other read.
     */
    public Optional<ManifestRecord> find(String repository, Reference reference, boolean withPayload, boolean fresh) {
        ManifestCache.Key key = new ManifestCache.Key(repository, reference.toString());
        ManifestRecord cached = fresh ? null : cache.get(key);
        if (cached != null) {
            return Optional.of(cached);
        }
        boolean caching = cache.active();
        long generation = cache.generation();
        Optional<ManifestRecord> found = query(repository, reference, withPayload || caching);
        if (caching) {
            found.ifPresent(record -> cache.put(key, record, generation));
        }
        return found;
    }

    /**
     * Whether an index of the repository that lists {@code child} satisfies {@code index} (given its bytes). Indexes
     * are found through {@code manifest_child}'s digest index; the cache is not involved.
     */
    public boolean anyIndexListing(String repository, String child, Predicate<byte[]> index) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("SELECT m.payload FROM repository r "
                     + "JOIN manifest m ON m.repository_id = r.id JOIN manifest_child c ON c.manifest_id = m.id "
                     + "WHERE r.name = ? AND c.child_digest = ?")) {
            statement.setString(1, repository);
            statement.setString(2, child);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    if (index.test(rows.getBytes(1))) {
                        return true;
                    }
                }
                return false;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("index lookup failed", e);
        }
    }

    private Optional<ManifestRecord> query(String repository, Reference reference, boolean withPayload) {
        String sql = switch (reference) {
            case Reference.Tag tag -> withPayload ? TAG_GET : TAG_HEAD;
            case Reference.ByDigest digest -> withPayload ? DIGEST_GET : DIGEST_HEAD;
        };
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, repository);
            statement.setString(2, reference.toString());
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new ManifestRecord(row.getLong(1), row.getString(2), row.getString(3), row.getLong(4),
                        withPayload ? row.getBytes(5) : null));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("manifest lookup failed", e);
        }
    }
}
