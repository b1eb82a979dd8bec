package io.cais.metadata;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Plain JDBC through Agroal, for the stores on request paths, and only for them (package-private: no code outside
 * the metadata layer can run a statement): one statement, its parameters bound by type
 * ({@code String[]} as a {@code varchar[]}), its rows mapped by the caller — no ORM session, no entity. Inside a
 * store's transaction the connection is the transaction's (Agroal enlists it); outside one, the statement runs
 * alone in autocommit.
 */
@ApplicationScoped
class Jdbc {

    /** PostgreSQL's foreign_key_violation: a row the statement refers to was deleted by a concurrent transaction. */
    private static final String FOREIGN_KEY_VIOLATION = "23503";

    @Inject
    AgroalDataSource dataSource;

    @FunctionalInterface
    interface Row<T> {
        T map(ResultSet row) throws SQLException;
    }

    @FunctionalInterface
    private interface Execution<T> {
        T run(PreparedStatement statement) throws SQLException;
    }

    <T> List<T> list(String sql, Row<T> row, Object... parameters) {
        return run(sql, parameters, statement -> {
            List<T> rows = new ArrayList<>();
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(row.map(result));
                }
            }
            return rows;
        });
    }

    <T> Optional<T> first(String sql, Row<T> row, Object... parameters) {
        return run(sql, parameters, statement -> {
            try (ResultSet result = statement.executeQuery()) {
                return result.next() ? Optional.ofNullable(row.map(result)) : Optional.empty();
            }
        });
    }

    /** Runs an INSERT, UPDATE or DELETE; returns how many rows it changed. */
    int update(String sql, Object... parameters) {
        return run(sql, parameters, PreparedStatement::executeUpdate);
    }

    /** The same statement once per parameter row, sent as one JDBC batch (one round trip). */
    void batch(String sql, List<Object[]> rows) {
        run(sql, statement -> {
            for (Object[] parameters : rows) {
                bind(statement, parameters);
                statement.addBatch();
            }
            return statement.executeBatch();
        });
    }

    /**
     * Takes the session-level advisory lock {@code (classId, key)} if no other connection holds it, on a connection
     * kept until the returned handle is closed (which unlocks it). Empty when someone else holds it.
     */
    Optional<AutoCloseable> trySessionLock(int classId, int key) {
        Connection connection = null;
        try {
            connection = dataSource.getConnection();
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
                statement.setInt(1, classId);
                statement.setInt(2, key);
                try (ResultSet result = statement.executeQuery()) {
                    if (result.next() && result.getBoolean(1)) {
                        Connection held = connection;
                        connection = null;
                        return Optional.of(() -> unlock(held, classId, key));
                    }
                }
            }
            return Optional.empty();
        } catch (SQLException e) {
            throw new IllegalStateException("metadata statement failed", e);
        } finally {
            closeQuietly(connection);
        }
    }

    private static void unlock(Connection connection, int classId, int key) {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
            statement.setInt(1, classId);
            statement.setInt(2, key);
            statement.execute();
        } catch (SQLException e) {
            // A session lock must not go back to the pool held: drop the connection instead.
            try {
                connection.abort(Runnable::run);
            } catch (SQLException ignored) {
                // already broken
            }
        } finally {
            closeQuietly(connection);
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing left to release
            }
        }
    }

    private <T> T run(String sql, Object[] parameters, Execution<T> execution) {
        return run(sql, statement -> {
            bind(statement, parameters);
            return execution.run(statement);
        });
    }

    private static void bind(PreparedStatement statement, Object[] parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            Object parameter = parameters[i];
            if (parameter instanceof String[] array) {
                statement.setArray(i + 1, statement.getConnection().createArrayOf("varchar", array));
            } else {
                statement.setObject(i + 1, parameter);
            }
        }
    }

    private <T> T run(String sql, Execution<T> execution) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            return execution.run(statement);
        } catch (SQLException e) {
            if (FOREIGN_KEY_VIOLATION.equals(e.getSQLState())) {
                throw new VanishedRowException(e);
            }
            if (QuotaExceededException.SQL_STATE.equals(e.getSQLState()) && e instanceof PSQLException refusal
                    && refusal.getServerErrorMessage() != null) {
                throw QuotaExceededException.fromTrigger(refusal.getServerErrorMessage().getMessage(),
                        refusal.getServerErrorMessage().getDetail());
            }
            throw new IllegalStateException("metadata statement failed", e);
        }
    }
}
