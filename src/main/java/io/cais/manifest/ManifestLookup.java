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

/**
 * The pull hot path: resolve {@code <name>:<tag>} or {@code <name>@<digest>} to the stored manifest with one
 * indexed query. Every kubelet with {@code imagePullPolicy: Always} calls this on every pod start, so it uses
 * plain JDBC — no ORM session, no entity, no payload read for a HEAD.
 */
@ApplicationScoped
public class ManifestLookup {

    private static final String BY_TAG_HEAD = "SELECT m.digest, m.media_type, m.size FROM repository r "
            + "JOIN tag t ON t.repository_id = r.id JOIN manifest m ON m.id = t.manifest_id WHERE r.name = ? AND t.name = ?";
    private static final String BY_TAG_GET = "SELECT m.digest, m.media_type, m.size, m.payload FROM repository r "
            + "JOIN tag t ON t.repository_id = r.id JOIN manifest m ON m.id = t.manifest_id WHERE r.name = ? AND t.name = ?";
    private static final String BY_DIGEST_HEAD = "SELECT m.digest, m.media_type, m.size FROM repository r "
            + "JOIN manifest m ON m.repository_id = r.id WHERE r.name = ? AND m.digest = ?";
    private static final String BY_DIGEST_GET = "SELECT m.digest, m.media_type, m.size, m.payload FROM repository r "
            + "JOIN manifest m ON m.repository_id = r.id WHERE r.name = ? AND m.digest = ?";

    @Inject
    AgroalDataSource dataSource;

    public Optional<ManifestRecord> find(String repository, Reference reference, boolean withPayload) {
        String sql = switch (reference) {
            case Reference.Tag tag -> withPayload ? BY_TAG_GET : BY_TAG_HEAD;
            case Reference.ByDigest digest -> withPayload ? BY_DIGEST_GET : BY_DIGEST_HEAD;
        };
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, repository);
            statement.setString(2, reference.toString());
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new ManifestRecord(row.getString(1), row.getString(2), row.getLong(3),
                        withPayload ? row.getBytes(4) : null));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("manifest lookup failed", e);
        }
    }
}
