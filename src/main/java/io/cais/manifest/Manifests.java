package io.cais.manifest;

import io.agroal.api.AgroalDataSource;
import io.cais.content.Descriptor;
import io.cais.content.Digest;
import io.cais.content.DigestAlgorithm;
import io.cais.content.ManifestParser;
import io.cais.content.ParsedManifest;
import io.cais.content.Reference;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.registry.Repositories;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pushing and deleting manifests. A push is validated completely before anything is written, then the manifest,
 * every reference it makes (blobs, child manifests, subject) and its tag are written in one transaction: a
 * failed or interrupted push leaves nothing, and a tag never points at a missing manifest.
 */
@ApplicationScoped
public class Manifests {

    @Inject
    AgroalDataSource dataSource;

    @Inject
    Repositories repositories;

    @Inject
    ManifestCache cache;

    public record Pushed(Digest digest, Digest subject) {
    }

    public Pushed put(String repository, Reference reference, String contentType, byte[] body) {
        Digest digest = digestOf(body, reference instanceof Reference.ByDigest(Digest d) ? d.algorithm() : DigestAlgorithm.SHA256);
        if (reference instanceof Reference.ByDigest(Digest claimed) && !claimed.equals(digest)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "manifest does not match the digest in the URL",
                    Map.of("expected", claimed.toString(), "actual", digest.toString()));
        }
        ParsedManifest manifest = ManifestParser.parse(body, contentType);
        QuarkusTransaction.requiringNew().run(() -> {
            long repositoryId = repositories.getOrCreate(repository);
            try (Connection connection = dataSource.getConnection()) {
                requireReferences(connection, repositoryId, manifest);
                long manifestId = insert(connection, repositoryId, digest, manifest, body);
                if (reference instanceof Reference.Tag tag) {
                    tag(connection, repositoryId, tag.name(), manifestId);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot store manifest", e);
            }
        });
        // Committed: this replica's next pull must see it now (others hear of it by notification).
        cache.evict(repository);
        return new Pushed(digest, manifest.subject());
    }

    /** By digest: the manifest and its tags. By tag: only the tag (OCI Distribution 1.1). */
    public void delete(String repository, Reference reference) {
        String sql = switch (reference) {
            case Reference.Tag tag -> "DELETE FROM tag t USING repository r "
                    + "WHERE t.repository_id = r.id AND r.name = ? AND t.name = ?";
            case Reference.ByDigest digest -> "DELETE FROM manifest m USING repository r "
                    + "WHERE m.repository_id = r.id AND r.name = ? AND m.digest = ?";
        };
        int deleted = QuarkusTransaction.requiringNew().call(() -> {
            try (Connection connection = dataSource.getConnection();
                 PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setString(1, repository);
                statement.setString(2, reference.toString());
                return statement.executeUpdate();
            }
        });
        cache.evict(repository);
        if (deleted == 0) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown", reference.toString());
        }
    }

    private static void requireReferences(Connection connection, long repositoryId, ParsedManifest manifest)
            throws SQLException {
        Set<String> missingBlobs = missing(connection,
                "SELECT digest FROM repository_blob WHERE repository_id = ? AND digest = ANY (?)", repositoryId,
                manifest.blobs());
        if (!missingBlobs.isEmpty()) {
            throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "manifest references blobs unknown to the repository",
                    Map.of("digests", List.copyOf(missingBlobs)));
        }
        Set<String> missingChildren = missing(connection,
                "SELECT digest FROM manifest WHERE repository_id = ? AND digest = ANY (?)", repositoryId,
                manifest.children());
        if (!missingChildren.isEmpty()) {
            // The spec's code for a manifest that references content the registry lacks, a child manifest included.
            throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "index references manifests unknown to the repository",
                    Map.of("digests", List.copyOf(missingChildren)));
        }
    }

    private static Set<String> missing(Connection connection, String sql, long repositoryId, List<Descriptor> wanted)
            throws SQLException {
        Set<String> missing = new LinkedHashSet<>();
        wanted.forEach(d -> missing.add(d.digest().toString()));
        if (missing.isEmpty()) {
            return missing;
        }
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, repositoryId);
            statement.setArray(2, connection.createArrayOf("varchar", missing.toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    missing.remove(rows.getString(1));
                }
            }
        }
        return missing;
    }

    private static long insert(Connection connection, long repositoryId, Digest digest, ParsedManifest manifest,
                               byte[] body) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO manifest (repository_id, digest, media_type, artifact_type, subject_digest, annotations, size, payload) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id")) {
            statement.setLong(1, repositoryId);
            statement.setString(2, digest.toString());
            statement.setString(3, manifest.mediaType());
            statement.setString(4, manifest.artifactType());
            statement.setString(5, manifest.subject() == null ? null : manifest.subject().toString());
            statement.setString(6, manifest.annotations());
            statement.setLong(7, body.length);
            statement.setBytes(8, body);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return existingId(connection, repositoryId, digest);
                }
                long id = row.getLong(1);
                references(connection, id, manifest);
                return id;
            }
        }
    }

    private static long existingId(Connection connection, long repositoryId, Digest digest) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT id FROM manifest WHERE repository_id = ? AND digest = ?")) {
            statement.setLong(1, repositoryId);
            statement.setString(2, digest.toString());
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    /** The rows that keep this manifest's content alive for the garbage collector. */
    private static void references(Connection connection, long manifestId, ParsedManifest manifest) throws SQLException {
        insertAll(connection, "INSERT INTO manifest_blob (manifest_id, digest) SELECT ?, unnest(?) ON CONFLICT DO NOTHING",
                manifestId, manifest.blobs());
        insertAll(connection, "INSERT INTO manifest_child (manifest_id, child_digest) SELECT ?, unnest(?) ON CONFLICT DO NOTHING",
                manifestId, manifest.children());
    }

    private static void insertAll(Connection connection, String sql, long manifestId, List<Descriptor> descriptors)
            throws SQLException {
        if (descriptors.isEmpty()) {
            return;
        }
        Set<String> digests = new HashSet<>();
        descriptors.forEach(d -> digests.add(d.digest().toString()));
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            Array array = connection.createArrayOf("varchar", digests.toArray());
            statement.setLong(1, manifestId);
            statement.setArray(2, array);
            statement.executeUpdate();
        }
    }

    /** Points the tag at the manifest: created or moved in one statement, so readers see old or new, never none. */
    private static void tag(Connection connection, long repositoryId, String tag, long manifestId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO tag (repository_id, name, manifest_id) VALUES (?, ?, ?) ON CONFLICT (repository_id, name) "
                        + "DO UPDATE SET manifest_id = EXCLUDED.manifest_id, updated_at = now()")) {
            statement.setLong(1, repositoryId);
            statement.setString(2, tag);
            statement.setLong(3, manifestId);
            statement.executeUpdate();
        }
    }

    private static Digest digestOf(byte[] body, DigestAlgorithm algorithm) {
        try {
            return Digest.of(algorithm, MessageDigest.getInstance(algorithm.jcaName()).digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
