package io.cais.manifest;

import io.agroal.api.AgroalDataSource;
import io.cais.content.Digest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Paged listings: tags of a repository, the catalog of repositories, referrers of a digest. Each page is one
 * range scan of an index in lexical (bytewise) order, fetching one row more than asked to know whether another
 * page follows — never more than the configured maximum page.
 */
@ApplicationScoped
public class Listings {

    @Inject
    AgroalDataSource dataSource;

    /** The repository's tags after {@code last}, or empty when the repository does not exist. */
    public Optional<Page<String>> tags(String repository, String last, int limit) {
        try (Connection connection = dataSource.getConnection()) {
            Optional<Long> repositoryId = repositoryId(connection, repository);
            if (repositoryId.isEmpty()) {
                return Optional.empty();
            }
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT name FROM tag WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?")) {
                statement.setLong(1, repositoryId.get());
                statement.setString(2, last == null ? "" : last);
                statement.setInt(3, limit + 1);
                return Optional.of(Page.of(strings(statement), limit));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list tags", e);
        }
    }

    /**
     * Repositories after {@code last} that the caller may see: restricted in SQL to the given namespaces (null:
     * all), then by {@code visible} for finer rules (a robot's repository patterns).
     */
    public Page<String> repositories(String last, int limit, List<String> namespaces, Predicate<String> visible) {
        String sql = "SELECT name FROM repository WHERE name > ? "
                + (namespaces == null ? "" : "AND CASE WHEN position('/' in name) = 0 THEN 'library' "
                + "ELSE split_part(name, '/', 1) END = ANY (?) ")
                + "ORDER BY name LIMIT ?";
        List<String> page = new ArrayList<>();
        String cursor = last == null ? "" : last;
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            while (page.size() <= limit) {
                int i = 1;
                statement.setString(i++, cursor);
                if (namespaces != null) {
                    statement.setArray(i++, connection.createArrayOf("varchar", namespaces.toArray()));
                }
                statement.setInt(i, limit + 1);
                List<String> batch = strings(statement);
                for (String name : batch) {
                    if (page.size() <= limit && visible.test(name)) {
                        page.add(name);
                    }
                }
                if (batch.size() < limit + 1) {
                    break;
                }
                cursor = batch.getLast();
            }
            return Page.of(page, limit);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list repositories", e);
        }
    }

    /** A manifest that refers to a subject, as the referrers API describes it. */
    public record Referrer(String mediaType, String digest, long size, String artifactType, String annotations) {
    }

    public Page<Referrer> referrers(String repository, Digest subject, String artifactType, String last, int limit) {
        String sql = "SELECT m.media_type, m.digest, m.size, m.artifact_type, m.annotations FROM repository r "
                + "JOIN manifest m ON m.repository_id = r.id WHERE r.name = ? AND m.subject_digest = ? AND m.digest > ? "
                + (artifactType != null ? "AND m.artifact_type = ? " : "") + "ORDER BY m.digest LIMIT ?";
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            int i = 1;
            statement.setString(i++, repository);
            statement.setString(i++, subject.toString());
            statement.setString(i++, last == null ? "" : last);
            if (artifactType != null) {
                statement.setString(i++, artifactType);
            }
            statement.setInt(i, limit + 1);
            List<Referrer> rows = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    rows.add(new Referrer(row.getString(1), row.getString(2), row.getLong(3), row.getString(4), row.getString(5)));
                }
            }
            return Page.of(rows, limit);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list referrers", e);
        }
    }

    private static Optional<Long> repositoryId(Connection connection, String repository) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT id FROM repository WHERE name = ?")) {
            statement.setString(1, repository);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(row.getLong(1)) : Optional.empty();
            }
        }
    }

    private static List<String> strings(PreparedStatement statement) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                out.add(rows.getString(1));
            }
        }
        return out;
    }
}
