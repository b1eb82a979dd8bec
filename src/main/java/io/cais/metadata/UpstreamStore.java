package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * The upstream registries of the pull-through cache, each cached by one namespace. Every write is one statement;
 * the namespace is created first by {@link NamespaceStore} when missing.
 */
@ApplicationScoped
public class UpstreamStore {

    /** An upstream as stored; {@code password} is as stored (sealed when a credentials key is configured). */
    public record StoredUpstream(long id, String name, String url, String namespace, String username, String password,
                                 int maxConcurrency, OffsetDateTime createdAt) {
    }

    private static final String COLUMNS = "SELECT u.id, u.name, u.url, n.name, u.username, u.password, u.max_concurrency, "
            + "u.created_at FROM upstream u JOIN namespace n ON n.id = u.namespace_id";
    private static final Jdbc.Row<StoredUpstream> UPSTREAM = row -> new StoredUpstream(row.getLong(1), row.getString(2),
            row.getString(3), row.getString(4), row.getString(5), row.getString(6), row.getInt(7),
            row.getObject(8, OffsetDateTime.class));

    @Inject
    Jdbc jdbc;

    /** Adds the upstream; false when one of that name, or one cached by that namespace, exists already. */
    public boolean create(String name, String url, String namespace, String username, String password, int maxConcurrency) {
        return jdbc.update("INSERT INTO upstream (name, url, namespace_id, username, password, max_concurrency) "
                + "SELECT ?, ?, id, ?, ?, ? FROM namespace WHERE name = ? ON CONFLICT DO NOTHING",
                name, url, username, password, maxConcurrency, namespace) == 1;
    }

    public List<StoredUpstream> list() {
        return jdbc.list(COLUMNS + " ORDER BY u.name", UPSTREAM);
    }

    public Optional<StoredUpstream> find(String name) {
        return jdbc.first(COLUMNS + " WHERE u.name = ?", UPSTREAM, name);
    }

    /** Replaces URL, credentials and limits; false when there is no such upstream. */
    public boolean update(String name, String url, String username, String password, int maxConcurrency) {
        return jdbc.update("UPDATE upstream SET url = ?, username = ?, password = ?, max_concurrency = ? WHERE name = ?",
                url, username, password, maxConcurrency, name) == 1;
    }

    /** Deletes the upstream (its namespace and cached content stay); false when there is none. */
    public boolean delete(String name) {
        return jdbc.update("DELETE FROM upstream WHERE name = ?", name) == 1;
    }
}
