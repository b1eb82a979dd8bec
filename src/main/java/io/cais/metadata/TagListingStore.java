package io.cais.metadata;

import io.cais.content.MediaTypes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The admin API's view of a repository's content: its tags with what they point at, push and pull statistics, sorted
 * by name, push time or last pull, and one manifest's statistics. Every page is a keyset range scan of an index —
 * {@code tag}'s key (name), {@code tag_pushed_idx} (push time), {@code tag_pull_last_idx} (last pull) — so a page
 * costs the same at the first tag and the 100,000th (EXPLAIN in docs/benchmarks.md).
 */
@ApplicationScoped
public class TagListingStore {

    /** What a listing is sorted by. */
    public enum Sort { NAME, PUSHED, PULLED }

    /**
     * A tag: its manifest (digest, media type, size of its bytes), {@code size} (the manifest's bytes plus the distinct
     * blobs it — or, for an index, its children — references), the index's bytes when it is one (for its platforms),
     * pushed at and by, pulls and the last one (null: never, or not yet written).
     */
    public record TagDetails(String name, String digest, String mediaType, long manifestSize, long size, byte[] index,
                             OffsetDateTime pushedAt, String pushedBy, OffsetDateTime lastPulledAt, long pulls) {
    }

    /**
     * Where a page starts after the last row of the previous one: its sort key ({@code pushedAt} or
     * {@code lastPulledAt}; null for a tag never pulled) and name.
     */
    public record Position(OffsetDateTime time, String name) {
    }

    /** A manifest with its push and pull statistics and its tags. */
    public record ManifestDetails(String digest, String mediaType, long size, OffsetDateTime pushedAt, String pushedBy,
                                  OffsetDateTime lastPulledAt, long pulls, List<String> tags) {
    }

    private static final String COLUMNS = "SELECT t.name, m.digest, m.media_type, m.size, m.size + ("
            + "SELECT coalesce(sum(b.size), 0) FROM blob b WHERE b.digest IN ("
            + "SELECT mb.digest FROM manifest_blob mb WHERE mb.manifest_id = m.id UNION "
            + "SELECT cb.digest FROM manifest_child c JOIN manifest cm ON cm.repository_id = m.repository_id "
            + "AND cm.digest = c.child_digest JOIN manifest_blob cb ON cb.manifest_id = cm.id WHERE c.manifest_id = m.id)), "
            + "CASE WHEN m.media_type = ANY (?) THEN m.payload END, t.updated_at, t.pushed_by, p.last_pulled_at, "
            + "coalesce(p.pulls, 0) ";
    /**
     * A tag's pull statistics, looked up per row of the page: a plain LEFT JOIN lets the planner merge-join the whole
     * repository's tag_pull rows (all of them read for a page from the middle); the LIMIT keeps the subquery from
     * being flattened into such a join.
     */
    private static final String PULLS = "LEFT JOIN LATERAL (SELECT last_pulled_at, pulls FROM tag_pull "
            + "WHERE repository_id = t.repository_id AND name = t.name LIMIT 1) p ON true ";
    private static final String TAGS = "FROM tag t JOIN manifest m ON m.id = t.manifest_id " + PULLS
            + "WHERE t.repository_id = ? ";
    /** Pulled tags, driven by tag_pull_last_idx. */
    private static final String PULLED = "FROM tag_pull p JOIN tag t ON t.repository_id = p.repository_id AND t.name = p.name "
            + "JOIN manifest m ON m.id = t.manifest_id WHERE p.repository_id = ? ";
    private static final String NEVER_PULLED = TAGS + "AND p.last_pulled_at IS NULL ";

    @Inject
    Jdbc jdbc;

    /** The repository's id, when it exists. */
    public Optional<Long> repositoryId(String repository) {
        return jdbc.first("SELECT id FROM repository WHERE name = ?", row -> row.getLong(1), repository);
    }

    /**
     * Up to {@code limit + 1} tags after {@code after} (null: from the start) in the order asked for. By last pull,
     * tags never pulled come after all pulled ones when descending, before them when ascending, by name either way:
     * two range scans, one of {@code tag_pull_last_idx} and one of the tag key.
     */
    public List<TagDetails> page(long repositoryId, Sort sort, boolean descending, Position after, int limit) {
        String[] indexTypes = MediaTypes.indexes().toArray(String[]::new);
        String direction = descending ? " DESC" : "";
        String comparison = descending ? "<" : ">";
        return switch (sort) {
            case NAME -> jdbc.list(COLUMNS + TAGS + (after == null ? "" : "AND t.name " + comparison + " ? ")
                            + "ORDER BY t.name" + direction + " LIMIT ?", TagListingStore::details,
                    parameters(indexTypes, repositoryId, after == null ? null : new Object[]{after.name()}, limit + 1));
            case PUSHED -> jdbc.list(COLUMNS + TAGS + (after == null ? "" : "AND (t.updated_at, t.name) " + comparison + " (?, ?) ")
                            + "ORDER BY t.updated_at" + direction + ", t.name" + direction + " LIMIT ?", TagListingStore::details,
                    parameters(indexTypes, repositoryId, after == null ? null : new Object[]{after.time(), after.name()}, limit + 1));
            case PULLED -> pulledPage(repositoryId, descending, after, limit, indexTypes);
        };
    }

    private List<TagDetails> pulledPage(long repositoryId, boolean descending, Position after, int limit, String[] indexTypes) {
        boolean inNeverPulled = after != null && after.time() == null;
        List<TagDetails> rows = new ArrayList<>();
        if (descending) { // pulled (newest first), then never pulled
            if (!inNeverPulled) {
                rows.addAll(pulled(repositoryId, true, after, limit + 1, indexTypes));
            }
            if (rows.size() <= limit) {
                rows.addAll(neverPulled(repositoryId, inNeverPulled ? after.name() : null, limit + 1 - rows.size(), indexTypes));
            }
        } else { // never pulled, then pulled (oldest first)
            if (after == null || inNeverPulled) {
                rows.addAll(neverPulled(repositoryId, after == null ? null : after.name(), limit + 1, indexTypes));
            }
            if (rows.size() <= limit) {
                rows.addAll(pulled(repositoryId, false, inNeverPulled ? null : after, limit + 1 - rows.size(), indexTypes));
            }
        }
        return rows;
    }

    private List<TagDetails> pulled(long repositoryId, boolean descending, Position after, int limit, String[] indexTypes) {
        String direction = descending ? " DESC" : "";
        return jdbc.list(COLUMNS + PULLED + (after == null ? "" : "AND (p.last_pulled_at, p.name) "
                        + (descending ? "<" : ">") + " (?, ?) ") + "ORDER BY p.last_pulled_at" + direction + ", p.name"
                        + direction + " LIMIT ?", TagListingStore::details,
                parameters(indexTypes, repositoryId, after == null ? null : new Object[]{after.time(), after.name()}, limit));
    }

    private List<TagDetails> neverPulled(long repositoryId, String afterName, int limit, String[] indexTypes) {
        return jdbc.list(COLUMNS + NEVER_PULLED + (afterName == null ? "" : "AND t.name > ? ") + "ORDER BY t.name LIMIT ?",
                TagListingStore::details,
                parameters(indexTypes, repositoryId, afterName == null ? null : new Object[]{afterName}, limit));
    }

    /** The manifest of the repository with its statistics and tags (by name). */
    public Optional<ManifestDetails> manifest(String repository, String digest) {
        return jdbc.first("SELECT m.digest, m.media_type, m.size, m.created_at, m.pushed_by, p.last_pulled_at, "
                        + "coalesce(p.pulls, 0), ARRAY(SELECT t.name FROM tag t WHERE t.manifest_id = m.id ORDER BY t.name) "
                        + "FROM repository r JOIN manifest m ON m.repository_id = r.id "
                        + "LEFT JOIN manifest_pull p ON p.manifest_id = m.id WHERE r.name = ? AND m.digest = ?",
                row -> new ManifestDetails(row.getString(1), row.getString(2), row.getLong(3),
                        row.getObject(4, OffsetDateTime.class), row.getString(5), row.getObject(6, OffsetDateTime.class),
                        row.getLong(7), List.of((String[]) row.getArray(8).getArray())), repository, digest);
    }

    private static Object[] parameters(String[] indexTypes, long repositoryId, Object[] cursor, int limit) {
        List<Object> parameters = new ArrayList<>(List.of(indexTypes, repositoryId));
        if (cursor != null) {
            parameters.addAll(List.of(cursor));
        }
        parameters.add(limit);
        return parameters.toArray();
    }

    private static TagDetails details(ResultSet row) throws SQLException {
        return new TagDetails(row.getString(1), row.getString(2), row.getString(3), row.getLong(4), row.getLong(5),
                row.getBytes(6), row.getObject(7, OffsetDateTime.class), row.getString(8),
                row.getObject(9, OffsetDateTime.class), row.getLong(10));
    }
}
