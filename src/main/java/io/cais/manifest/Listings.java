package io.cais.manifest;

import io.agroal.api.AgroalDataSource;
import io.cais.content.Digest;
import io.cais.content.MediaTypes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
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
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            return filteredPage(last, limit, cursor -> {
                int i = 1;
                statement.setString(i++, cursor);
                if (namespaces != null) {
                    statement.setArray(i++, connection.createArrayOf("varchar", namespaces.toArray()));
                }
                statement.setInt(i, limit + 1);
                return strings(statement);
            }, Function.identity(), visible);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list repositories", e);
        }
    }

    /**
     * The repository's tags after {@code last} whose manifest is an index that {@code index} accepts (given its
     * bytes), or empty when the repository does not exist: what an arch alias lists.
     */
    public Optional<Page<String>> indexTags(String repository, String last, int limit, Predicate<byte[]> index) {
        try (Connection connection = dataSource.getConnection()) {
            Optional<Long> repositoryId = repositoryId(connection, repository);
            if (repositoryId.isEmpty()) {
                return Optional.empty();
            }
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT t.name, m.payload FROM tag t JOIN manifest m ON m.id = t.manifest_id "
                            + "WHERE t.repository_id = ? AND t.name > ? AND m.media_type = ANY (?) ORDER BY t.name LIMIT ?")) {
                return Optional.of(filteredPage(last, limit, cursor -> {
                    statement.setLong(1, repositoryId.get());
                    statement.setString(2, cursor);
                    statement.setArray(3, connection.createArrayOf("varchar", MediaTypes.indexes().toArray()));
                    statement.setInt(4, limit + 1);
                    List<TaggedIndex> rows = new ArrayList<>();
                    try (ResultSet row = statement.executeQuery()) {
                        while (row.next()) {
                            rows.add(new TaggedIndex(row.getString(1), row.getBytes(2)));
                        }
                    }
                    return rows;
                }, TaggedIndex::tag, tagged -> index.test(tagged.payload())));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list tags", e);
        }
    }

    private record TaggedIndex(String tag, byte[] payload) {
    }

    /** The {@code limit + 1} rows after a cursor, in the listing's order. */
    private interface Batch<T> {
        List<T> after(String cursor) throws SQLException;
    }

    /**
     * A page of the rows that {@code keep} accepts: batches are read after the last row seen until the page is full
     * or the rows run out, so a filter that drops many rows still yields full pages.
     */
    private static <T> Page<String> filteredPage(String last, int limit, Batch<T> batch, Function<T, String> key,
                                                 Predicate<T> keep) throws SQLException {
        List<String> page = new ArrayList<>();
        String cursor = last == null ? "" : last;
        while (page.size() <= limit) {
            List<T> rows = batch.after(cursor);
            for (T row : rows) {
                if (page.size() <= limit && keep.test(row)) {
                    page.add(key.apply(row));
                }
            }
            if (rows.size() < limit + 1) {
                break;
            }
            cursor = key.apply(rows.getLast());
        }
        return Page.of(page, limit);
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
