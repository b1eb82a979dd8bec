package io.cais.metadata;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Plain JDBC for the stores of this package, and only for them: one statement (or one batch of the same statement),
 * parameters bound in order, rows mapped by the caller. Inside a store's {@code @Transactional} method the
 * connection is the transaction's (Agroal enlists it); outside one, the statement runs alone in autocommit.
 */
@ApplicationScoped
class Statements {

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
        return run(sql, statement -> {
            bind(statement, parameters);
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
        List<T> rows = list(sql, row, parameters);
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.getFirst());
    }

    /** An INSERT, UPDATE or DELETE; how many rows it changed. */
    int update(String sql, Object... parameters) {
        return run(sql, statement -> {
            bind(statement, parameters);
            return statement.executeUpdate();
        });
    }

    /** The same statement once per parameter row, sent as one JDBC batch. */
    void batch(String sql, List<Object[]> rows) {
        run(sql, statement -> {
            for (Object[] parameters : rows) {
                bind(statement, parameters);
                statement.addBatch();
            }
            return statement.executeBatch();
        });
    }

    private static void bind(PreparedStatement statement, Object[] parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
    }

    private <T> T run(String sql, Execution<T> execution) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            return execution.run(statement);
        } catch (SQLException e) {
            throw new IllegalStateException("metadata statement failed", e);
        }
    }
}
