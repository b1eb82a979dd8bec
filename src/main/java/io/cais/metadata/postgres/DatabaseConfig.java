package io.cais.metadata.postgres;

import io.smallrye.config.ConfigMapping;

/**
 * Bounds on every wait for PostgreSQL, so that a database that is down or frozen (SIGSTOP, a partition) fails a
 * request within seconds — answered 503 — instead of holding it for as long as the freeze lasts. Whole seconds,
 * because application.properties hands them to the PostgreSQL JDBC driver ({@code connectTimeout},
 * {@code loginTimeout}, {@code socketTimeout}) and to the server ({@code options=-c statement_timeout=…s}), which
 * take numbers. The wait for a pooled connection is Quarkus' {@code quarkus.datasource.jdbc.acquisition-timeout}.
 * The defaults are in application.properties, not here: the property expressions there that hand the values on
 * see only configuration sources, not a mapping's defaults. Every property is listed in docs/configuration.md.
 */
@ConfigMapping(prefix = "cais.database")
public interface DatabaseConfig {

    /** Longest time to open a connection, TCP connect and login together. */
    int connectTimeout();

    /**
     * Longest time to wait for any answer from the server on an open connection; it must exceed the statement
     * timeout, so that the server cancels a slow statement before the client gives up on the connection.
     */
    int socketTimeout();

    /** The server cancels a statement that runs longer than this ({@code statement_timeout}). */
    int statementTimeout();

    /** The server gives up on a row or table lock not granted within this ({@code lock_timeout}). */
    int lockTimeout();
}
