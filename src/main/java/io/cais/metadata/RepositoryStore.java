package io.cais.metadata;

import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

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

    private static String likePrefix(String namespace) {
        return namespace.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%";
    }
}
