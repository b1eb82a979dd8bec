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
                                 int maxConcurrency, Integer maxRequestsPerMinute, OffsetDateTime createdAt) {
    }

    /**
     * The answer to a request for one upstream request: granted, or refused with the seconds left until the window
     * the budget was spent in ends.
     */
    public record RequestBudget(boolean granted, int limit, long secondsLeft) {
        public static final RequestBudget UNLIMITED = new RequestBudget(true, 0, 0);
    }

    private static final String COLUMNS = "SELECT u.id, u.name, u.url, n.name, u.username, u.password, u.max_concurrency, "
            + "u.max_requests_per_minute, u.created_at FROM upstream u JOIN namespace n ON n.id = u.namespace_id";
    private static final Jdbc.Row<StoredUpstream> UPSTREAM = row -> new StoredUpstream(row.getLong(1), row.getString(2),
            row.getString(3), row.getString(4), row.getString(5), row.getString(6), row.getInt(7),
            row.getObject(8, Integer.class), row.getObject(9, OffsetDateTime.class));

    /** The upstream's counting window has ended (or never started): this request opens a new one. */
    private static final String WINDOW_OVER = "(window_started_at IS NULL OR window_started_at <= now() - INTERVAL '1 minute')";

    @Inject
    Jdbc jdbc;

    /** Adds the upstream; false when one of that name, or one cached by that namespace, exists already. */
    public boolean create(String name, String url, String namespace, String username, String password, int maxConcurrency,
                          Integer maxRequestsPerMinute) {
        return jdbc.update("INSERT INTO upstream (name, url, namespace_id, username, password, max_concurrency, "
                + "max_requests_per_minute) SELECT ?, ?, id, ?, ?, ?, ? FROM namespace WHERE name = ? ON CONFLICT DO NOTHING",
                name, url, username, password, maxConcurrency, maxRequestsPerMinute, namespace) == 1;
    }

    public List<StoredUpstream> list() {
        return jdbc.list(COLUMNS + " ORDER BY u.name", UPSTREAM);
    }

    public Optional<StoredUpstream> find(String name) {
        return jdbc.first(COLUMNS + " WHERE u.name = ?", UPSTREAM, name);
    }

    /** Replaces URL, credentials and limits; false when there is no such upstream. */
    public boolean update(String name, String url, String username, String password, int maxConcurrency,
                          Integer maxRequestsPerMinute) {
        return jdbc.update("UPDATE upstream SET url = ?, username = ?, password = ?, max_concurrency = ?, "
                + "max_requests_per_minute = ? WHERE name = ?",
                url, username, password, maxConcurrency, maxRequestsPerMinute, name) == 1;
    }

    /**
     * Counts one request to the upstream against its {@code max_requests_per_minute}, for every replica at once: a
     * fixed window of one minute (of the database's clock, the one clock all replicas share) that starts with the
     * first request after the previous window ended. The count stops one past the limit, so that the answer tells the
     * last granted request from the first refused one. Unlimited (or deleted) upstreams are granted without a row.
     *
     * <p>Locking rule: one autocommit statement that takes the upstream's row lock for its own duration and nothing
     * else. Requests of all replicas queue on that row, and READ COMMITTED re-evaluates the {@code CASE}s on the row
     * version the previous request committed, so no two requests spend the same unit and the count never passes
     * the limit by more than the one refused request it records. Nothing else is locked and no transaction stays
     * open, so it cannot deadlock; an admin's update of the upstream waits for one such statement at most.
     */
    public RequestBudget spendRequest(String name) {
        return jdbc.first("UPDATE upstream SET "
                        + "window_started_at = CASE WHEN " + WINDOW_OVER + " THEN now() ELSE window_started_at END, "
                        + "window_requests = CASE WHEN " + WINDOW_OVER + " THEN 1 "
                        + "ELSE LEAST(window_requests + 1, max_requests_per_minute + 1) END "
                        + "WHERE name = ? AND max_requests_per_minute IS NOT NULL "
                        + "RETURNING window_requests <= max_requests_per_minute, max_requests_per_minute, "
                        + "CEIL(EXTRACT(EPOCH FROM window_started_at + INTERVAL '1 minute' - now()))::bigint",
                row -> new RequestBudget(row.getBoolean(1), row.getInt(2), Math.max(1, row.getLong(3))), name)
                .orElse(RequestBudget.UNLIMITED);
    }

    /** Deletes the upstream (its namespace and cached content stay); false when there is none. */
    public boolean delete(String name) {
        return jdbc.update("DELETE FROM upstream WHERE name = ?", name) == 1;
    }
}
