package io.cais.metadata;

import io.cais.content.MediaTypes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/** Tags: a name in a repository pointing at one manifest. */
@ApplicationScoped
public class TagStore {

    @Inject
    Jdbc jdbc;

    /**
     * Points the tag at the manifest, in the push's transaction: created or moved by one upsert, so readers see the
     * old manifest or the new one, never none. Pushed at ({@code updated_at}) and by are those of the last push.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void point(long repositoryId, String tag, long manifestId, String pushedBy) {
        jdbc.update("INSERT INTO tag (repository_id, name, manifest_id, pushed_by) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = EXCLUDED.manifest_id, updated_at = now(), "
                + "pushed_by = EXCLUDED.pushed_by", repositoryId, tag, manifestId, pushedBy);
    }

    /** Deletes the tag, not the manifest; false when there is no such tag. */
    @Transactional
    public boolean delete(String repository, String tag) {
        return jdbc.update("DELETE FROM tag t USING repository r WHERE t.repository_id = r.id AND r.name = ? AND t.name = ?",
                repository, tag) > 0;
    }

    /**
     * The repository's tags after {@code last} in lexical order, or empty when the repository does not exist. One
     * statement: a range scan of the tag key, one row more than the page to know whether another follows; a
     * repository without tags is one row with no name.
     */
    public Optional<Page<String>> page(String repository, String last, int limit) {
        List<String> rows = jdbc.list("SELECT t.name FROM repository r LEFT JOIN LATERAL (SELECT name FROM tag "
                        + "WHERE repository_id = r.id AND name > ? ORDER BY name LIMIT ?) t ON true WHERE r.name = ? ORDER BY t.name",
                row -> row.getString(1), last == null ? "" : last, limit + 1, repository);
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Page.of(rows.getFirst() == null ? List.of() : rows, limit));
    }

    /**
     * The repository's tags after {@code last} whose manifest is an index that {@code index} accepts (given its
     * bytes), or empty when the repository does not exist: what an arch alias lists. The platform test needs the
     * index's bytes, so it runs here, batch by batch ({@link FilteredPages}).
     */
    public Optional<Page<String>> indexTags(String repository, String last, int limit, Predicate<byte[]> index) {
        Optional<Long> repositoryId = jdbc.first("SELECT id FROM repository WHERE name = ?", row -> row.getLong(1),
                repository);
        String[] indexTypes = MediaTypes.indexes().toArray(String[]::new);
        return repositoryId.map(id -> FilteredPages.page(last, limit, cursor -> jdbc.list(
                        "SELECT t.name, m.payload FROM tag t JOIN manifest m ON m.id = t.manifest_id "
                                + "WHERE t.repository_id = ? AND t.name > ? AND m.media_type = ANY (?) ORDER BY t.name LIMIT ?",
                        row -> new TaggedIndex(row.getString(1), row.getBytes(2)), id, cursor, indexTypes, limit + 1),
                TaggedIndex::tag, tagged -> index.test(tagged.payload())));
    }

    private record TaggedIndex(String tag, byte[] payload) {
    }
}
