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
     * them another repository links too (V10's {@code repository_usage}), and when a tag of it last moved.
     */
    public record Listed(String name, long tags, long bytes, long sharedBytes, OffsetDateTime lastPush) {
    }

    /** How the console's repository list may be sorted, by the server, over every matching repository. */
    public enum ListOrder {
        NAME("r.name"), TAGS("coalesce(t.tags, 0)"), SIZE("coalesce(u.blob_bytes, 0)"), PUSHED("t.last_push");

        private final String expression;

        ListOrder(String expression) {
            this.expression = expression;
        }
    }

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
     * another follows.
     */
    public Page<String> page(String last, int limit, List<String> namespaces, Predicate<String> visible) {
        String sql = "SELECT name FROM repository WHERE name > ? "
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
     * {@code offset}, with the number that match. One statement: the namespace's repositories by its index, their tag
     * counts and last pushes aggregated over its tags in one pass, usage by primary key. Ties are broken by name.
     */
    public Slice<Listed> list(String namespace, String filter, ListOrder order, boolean descending, int offset, int limit) {
        String direction = descending ? " DESC NULLS LAST" : " ASC NULLS FIRST";
        List<Object[]> rows = jdbc.list("SELECT r.name, coalesce(t.tags, 0), coalesce(u.blob_bytes, 0), "
                        + "coalesce(u.shared_bytes, 0), t.last_push, count(*) OVER () FROM repository r "
                        + "LEFT JOIN repository_usage u ON u.repository_id = r.id "
                        + "LEFT JOIN (SELECT t.repository_id, count(*) AS tags, max(t.updated_at) AS last_push FROM tag t "
                        + "JOIN repository tr ON tr.id = t.repository_id WHERE tr.namespace = ? GROUP BY t.repository_id) t "
                        + "ON t.repository_id = r.id WHERE r.namespace = ? AND strpos(r.name, ?) > 0 "
                        + "ORDER BY " + order.expression + direction + ", r.name LIMIT ? OFFSET ?",
                row -> new Object[]{new Listed(row.getString(1), row.getLong(2), row.getLong(3), row.getLong(4),
                        row.getObject(5, OffsetDateTime.class)), row.getLong(6)},
                namespace, namespace, filter == null ? "" : filter, limit, offset);
        return new Slice<>(rows.stream().map(row -> (Listed) row[0]).toList(),
                rows.isEmpty() ? (offset == 0 ? 0 : count(namespace, filter)) : (long) rows.getFirst()[1]);
    }

    private long count(String namespace, String filter) {
        return jdbc.first("SELECT count(*) FROM repository r WHERE r.namespace = ? AND strpos(r.name, ?) > 0",
                row -> row.getLong(1), namespace, filter == null ? "" : filter).orElse(0L);
    }

    private static String likePrefix(String namespace) {
        return namespace.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%";
    }
}
