package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * The rules of a trusted issuer: which subjects get which actions on which repositories of its namespace. Every
 * write is one statement; the V8 triggers tell every replica to forget the trust configuration on commit.
 */
@ApplicationScoped
public class WorkloadRuleStore {

    /** {@code actions} and {@code repositories} comma-separated, as a robot's. */
    public record StoredRule(long id, long issuerId, String subject, String actions, String repositories,
                             OffsetDateTime createdAt) {
    }

    private static final String COLUMNS = "r.id, r.issuer_id, r.subject, r.actions, r.repositories, r.created_at";
    private static final Jdbc.Row<StoredRule> RULE = row -> new StoredRule(row.getLong(1), row.getLong(2),
            row.getString(3), row.getString(4), row.getString(5), row.getObject(6, OffsetDateTime.class));
    private static final String OF_TRUST = "FROM trusted_issuer t JOIN namespace n ON n.id = t.namespace_id "
            + "WHERE n.name = ? AND t.name = ?";

    @Inject
    Jdbc jdbc;

    /**
     * Adds a rule to the namespace's trust of that name; empty when there is no such trust. The insert reads the
     * trust in the same statement, so a rule never outlives a trust deleted concurrently (the foreign key's lock).
     */
    public Optional<StoredRule> add(String namespace, String trust, String subject, String actions, String repositories) {
        return jdbc.first("INSERT INTO workload_rule AS r (issuer_id, subject, actions, repositories) "
                + "SELECT t.id, ?, ?, ? " + OF_TRUST + " RETURNING " + COLUMNS,
                RULE, subject, actions, repositories, namespace, trust);
    }

    public List<StoredRule> list(String namespace, String trust) {
        return jdbc.list("SELECT " + COLUMNS + " FROM workload_rule r WHERE r.issuer_id = (SELECT t.id " + OF_TRUST
                + ") ORDER BY r.id", RULE, namespace, trust);
    }

    /** Every rule of every namespace's trust in this issuer. */
    public List<StoredRule> ofIssuer(String issuer) {
        return jdbc.list("SELECT " + COLUMNS + " FROM workload_rule r JOIN trusted_issuer t ON t.id = r.issuer_id "
                + "WHERE t.issuer = ? ORDER BY r.id", RULE, issuer);
    }

    /** False when the trust has no such rule. */
    public boolean delete(String namespace, String trust, long id) {
        return jdbc.update("DELETE FROM workload_rule WHERE id = ? AND issuer_id = (SELECT t.id " + OF_TRUST + ")",
                id, namespace, trust) == 1;
    }
}
