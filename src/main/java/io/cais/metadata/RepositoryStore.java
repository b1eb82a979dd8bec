package io.cais.metadata;

import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Repositories: created on first push, listed in the catalog and by namespace, deleted with everything in them
 * (links, manifests, tags, uploads cascade).
 */
@ApplicationScoped
public class RepositoryStore {

    /** A repository as a namespace's listing shows it. */
    public record Summary(String name, long tags, long size) {
    }

    /**
     * A repository as the web console lists it: its tags, the bytes of the distinct blobs it links and the part of
     * them another repository links too (V10's {@code repository_usage}), when a tag of it last moved and when one was
     * last pulled (null: never, or not yet written; pulls by digest alone are not counted here).
     */
    public record Listed(String name, long tags, long bytes, long sharedBytes, OffsetDateTime lastPush, OffsetDateTime lastPull) {
    }

    /**
     * How the console's repository list may be sorted, by the server, over every matching repository. Tag counts are
     * aggregated over the namespace's tags only to sort by them; otherwise the page is chosen first and they are
     * counted for its rows alone.
     */
    public enum ListOrder {
        NAME("r.name", "p.name", false),
        TAGS(null, "p.tags", true),
        SIZE("coalesce(u.blob_bytes, 0)", "p.bytes", false),
        /** The newest tag of each repository: one descent of {@code tag_updated_idx} per repository (V16). */
        PUSHED("(SELECT max(lt.updated_at) FROM tag lt WHERE lt.repository_id = r.id)", "t.last_push", false);

        private final String expression;
        private final String column;
        private final boolean aggregated;

        ListOrder(String expression, String column, boolean aggregated) {
            this.expression = expression;
            this.column = column;
            this.aggregated = aggregated;
        }
    }

    /** A page row's last tag pull: one descent of {@code tag_pull_last_idx} (V14), for the page's rows only. */
    private static final String LAST_PULL = "(SELECT max(lp.last_pulled_at) FROM tag_pull lp WHERE lp.repository_id = p.id)";

    @Inject
    Jdbc jdbc;

    /**
     * The repository's id, creating the repository on first push. Locking rule: an existing repository — every
     * push after the first — costs one indexed read; no upsert that writes a dead row version and row-locks the
     * repository on every upload start and manifest push. A missing one is inserted with {@code ON CONFLICT DO
     * NOTHING}; when a racing request inserted it first, the re-read sees its committed row. Runs in the caller's
     * transaction when there is one.
     */
    public long getOrCreate(String name) {
        RepositoryName.require(name);
        return id(name)
                .or(() -> jdbc.first("INSERT INTO repository (name) VALUES (?) ON CONFLICT (name) DO NOTHING RETURNING id",
                        row -> row.getLong(1), name))
                .or(() -> id(name))
                .orElseThrow(() -> vanished(name));
    }

    public Optional<Long> id(String name) {
        return jdbc.first("SELECT id FROM repository WHERE name = ?", row -> row.getLong(1), name);
    }

    /**
     * Whether {@code name} may be served as an arch alias: its namespace serves them and no repository has the name
     * (a real repository always wins). One query, asked only on the way to an alias.
     */
    public boolean archAliasable(String name) {
        return jdbc.first("SELECT n.arch_aliases AND NOT EXISTS (SELECT 1 FROM repository r WHERE r.name = ?) "
                + "FROM namespace n WHERE n.name = ?", row -> row.getBoolean(1), name, Namespace.of(name)).orElse(false);
    }

    /** A repository deleted while a request that needs it was running: the request ends as if it never existed. */
    static RegistryException vanished(String name) {
        return new RegistryException(ErrorCode.NAME_UNKNOWN, "repository '" + name + "' was deleted", name);
    }

    /** Deletes the repository and, by cascade, its links, manifests, tags and uploads; false when there is none. */
    @Transactional
    public boolean delete(String name) {
        return jdbc.update("DELETE FROM repository WHERE name = ?", name) > 0;
    }

    /** Deletes every repository of the namespace, in the caller's transaction (the namespace goes with them). */
    @Transactional(Transactional.TxType.MANDATORY)
    public void deleteAllIn(String namespace) {
        jdbc.update("DELETE FROM repository WHERE name LIKE ? ESCAPE '\\'", likePrefix(namespace));
    }

    /** The namespace's repositories with their tag counts and the size of the blobs they link, by name. */
    public List<Summary> summaries(String namespace, boolean library) {
        return jdbc.list("SELECT r.name, (SELECT count(*) FROM tag t WHERE t.repository_id = r.id), "
                        + "(SELECT coalesce(sum(b.size), 0) FROM repository_blob rb JOIN blob b ON b.digest = rb.digest "
                        + "WHERE rb.repository_id = r.id) FROM repository r WHERE "
                        + (library ? "position('/' in r.name) = 0 OR r.name LIKE ? ESCAPE '\\'" : "r.name LIKE ? ESCAPE '\\'")
                        + " ORDER BY r.name",
                row -> new Summary(row.getString(1), row.getLong(2), row.getLong(3)), likePrefix(namespace));
    }

    /**
     * The catalog: repositories after {@code last} that the caller may see, restricted in SQL to the given
     * namespaces (null: all), then by {@code visible} for finer rules (a robot's repository patterns). Each batch is
     * one range scan of the name index in lexical (bytewise) order, one row more than the page to know whether
     * another follows. A repository is listed once it holds content — a blob or a manifest — not for the row an
     * upload start creates: a first push that was interrupted leaves no repository in the catalog. The blob link is
     * probed first (one probe of its key per row): every pushed image links its config, so the manifest probe runs
     * only for a repository without one.
     */
    public Page<String> page(String last, int limit, List<String> namespaces, Predicate<String> visible) {
        String sql = "SELECT name FROM repository r WHERE name > ? AND (EXISTS (SELECT 1 FROM repository_blob rb WHERE "
                + "rb.repository_id = r.id) OR EXISTS (SELECT 1 FROM manifest m WHERE m.repository_id = r.id)) "
                + (namespaces == null ? "" : "AND CASE WHEN position('/' in name) = 0 THEN 'library' "
                + "ELSE split_part(name, '/', 1) END = ANY (?) ")
                + "ORDER BY name LIMIT ?";
        return FilteredPages.page(last, limit, cursor -> namespaces == null
                        ? jdbc.list(sql, row -> row.getString(1), cursor, limit + 1)
                        : jdbc.list(sql, row -> row.getString(1), cursor, namespaces.toArray(String[]::new), limit + 1),
                Function.identity(), visible);
    }

    /**
     * The namespace's repositories whose name contains {@code filter}, sorted over all of them, {@code limit} from
     * {@code offset}, with the number that match. The namespace's repositories come from its index and their usage by
     * primary key; ties are broken by name. Sorted by name, size or last push, the page is chosen before tags are
     * counted (for its rows only, each a range of the tag key); sorted by tag count, the namespace's tags are counted
     * in one pass.
     */
    public Slice<Listed> list(String namespace, String filter, ListOrder order, boolean descending, int offset, int limit) {
        String direction = descending ? " DESC NULLS LAST" : " ASC NULLS FIRST";
        String needle = filter == null ? "" : filter;
        String matching = "FROM repository r LEFT JOIN repository_usage u ON u.repository_id = r.id ";
        String where = "WHERE r.namespace = ? AND strpos(r.name, ?) > 0";
        String sql = order.aggregated
                ? "WITH p AS (SELECT r.id, r.name, coalesce(t.tags, 0) AS tags, coalesce(u.blob_bytes, 0) AS bytes, "
                + "coalesce(u.shared_bytes, 0) AS shared, t.last_push " + matching
                + "LEFT JOIN (SELECT t.repository_id, count(*) AS tags, max(t.updated_at) AS last_push FROM tag t "
                + "JOIN repository tr ON tr.id = t.repository_id WHERE tr.namespace = ? GROUP BY t.repository_id) t "
                + "ON t.repository_id = r.id " + where + ") "
                + "SELECT p.name, p.tags, p.bytes, p.shared, p.last_push, " + LAST_PULL + " FROM p ORDER BY " + order.column + direction
                + ", p.name LIMIT ? OFFSET ?"
                : "WITH p AS (SELECT r.id, r.name, coalesce(u.blob_bytes, 0) AS bytes, coalesce(u.shared_bytes, 0) AS shared "
                + matching + where + " ORDER BY " + order.expression + direction + ", r.name LIMIT ? OFFSET ?) "
                + "SELECT p.name, t.tags, p.bytes, p.shared, t.last_push, " + LAST_PULL + " FROM p CROSS JOIN LATERAL (SELECT count(*) AS tags, "
                + "max(updated_at) AS last_push FROM tag WHERE repository_id = p.id) t ORDER BY " + order.column + direction
                + ", p.name";
        Object[] parameters = order.aggregated
                ? new Object[]{namespace, namespace, needle, limit, offset}
                : new Object[]{namespace, needle, limit, offset};
        List<Listed> rows = jdbc.list(sql, row -> new Listed(row.getString(1), row.getLong(2), row.getLong(3), row.getLong(4),
                row.getObject(5, OffsetDateTime.class), row.getObject(6, OffsetDateTime.class)), parameters);
        long total = jdbc.first("SELECT count(*) FROM repository r " + where, row -> row.getLong(1), namespace, needle)
                .orElse(0L);
        return new Slice<>(rows, total);
    }

    private static String likePrefix(String namespace) {
        return namespace.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%";
    }
}
