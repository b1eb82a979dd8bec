package io.cais.error;

import io.minio.errors.ErrorResponseException;
import io.minio.errors.ServerException;
import io.vertx.core.http.HttpClosedException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Tells a failed dependency from a bug, by the type of the exception or one of its causes. A database that cannot
 * be reached, a pool that found no connection in time, a statement cancelled by its timeout, an S3 endpoint that
 * refuses or does not answer, a disk that fails: none is a fault of the request nor of Cais, so they are answered
 * 503 and retried by clients, while anything else stays a 500 with a stack trace.
 */
public final class Unavailability {

    /**
     * SQLState classes and codes of PostgreSQL that mean "not now": 08 connection exceptions, 57P01–57P03 (the
     * server is shutting down, crashed or starting), 57014 (cancelled: statement_timeout), 55P03 (lock_timeout),
     * 53300 (too many connections).
     */
    private static final Set<String> DATABASE_STATES = Set.of("57P01", "57P02", "57P03", "57014", "55P03", "53300");
    /** What the operating system says when a filesystem store (a disk, an NFS mount) fails rather than a request. */
    private static final Set<String> FILESYSTEM_FAILURES = Set.of("input/output error", "read-only file system",
            "no space left on device", "stale file handle", "transport endpoint is not connected");

    private Unavailability() {
    }

    /** The dependency that failed, or empty when the failure is not an outage. */
    public static Optional<Dependency> of(Throwable failure) {
        return firstCause(failure, Unavailability::classify);
    }

    /** The first of {@code failure} and its causes (each once: a cycle ends the walk) that {@code test} answers for. */
    private static <T> Optional<T> firstCause(Throwable failure, Function<Throwable, Optional<T>> test) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable cause = failure; cause != null && seen.put(cause, true) == null; cause = cause.getCause()) {
            Optional<T> answer = test.apply(cause);
            if (answer.isPresent()) {
                return answer;
            }
        }
        return Optional.empty();
    }

    private static Optional<Dependency> classify(Throwable cause) {
        if (cause instanceof SQLException sql) {
            return isDatabaseOutage(sql) ? Optional.of(Dependency.DATABASE) : Optional.empty();
        }
        if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
                || cause instanceof UnknownHostException || cause instanceof InterruptedIOException) {
            // Cais connects out only to S3 (the database speaks through JDBC, whose failures are SQLExceptions).
            return Optional.of(Dependency.BLOB_STORE);
        }
        if (cause instanceof HttpClosedException) {
            // Vert.x' HTTP client is Cais' client of S3 for blob pulls (S3 closed the connection before it answered).
            return Optional.of(Dependency.BLOB_STORE);
        }
        if (cause instanceof ServerException
                || cause instanceof ErrorResponseException response && response.response().code() >= 500) {
            return Optional.of(Dependency.BLOB_STORE);
        }
        if (cause instanceof IOException && cause.getMessage() != null) {
            String message = cause.getMessage().toLowerCase(Locale.ROOT);
            if (FILESYSTEM_FAILURES.stream().anyMatch(message::contains)) {
                return Optional.of(Dependency.BLOB_STORE);
            }
        }
        return Optional.empty();
    }

    private static boolean isDatabaseOutage(SQLException sql) {
        if (sql instanceof SQLTransientConnectionException || sql instanceof SQLNonTransientConnectionException) {
            return true;
        }
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("08") || DATABASE_STATES.contains(state))) {
            return true;
        }
        return isAcquisitionTimeout(sql);
    }

    /**
     * Whether the failure is the pool finding no connection within {@code quarkus.datasource.jdbc.acquisition-timeout}:
     * every connection busy, or none could be opened (which of the two, {@link Outages} finds out).
     */
    public static boolean isPoolExhaustion(Throwable failure) {
        return firstCause(failure, cause -> cause instanceof SQLException sql && isAcquisitionTimeout(sql)
                ? Optional.of(sql) : Optional.empty()).isPresent();
    }

    /** Agroal's pool found no connection in time: an SQLException without SQLState saying so. */
    private static boolean isAcquisitionTimeout(SQLException sql) {
        return sql.getMessage() != null && sql.getMessage().toLowerCase(Locale.ROOT).contains("acquisition timeout");
    }
}
