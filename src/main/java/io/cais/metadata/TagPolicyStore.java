package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.sql.Array;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * Tag policies: a namespace's (see {@code io.cais.policy}), and the server's defaults, which have no namespace and
 * are copied into each new namespace. Every write is one statement. Nothing is remembered between requests: the
 * push path reads a namespace's policies in the transaction that moves its tags ({@link TagStore}), so a committed
 * change binds every later push on every replica.
 */
@ApplicationScoped
public class TagPolicyStore {

    /** A policy as an administrator defines it. */
    public record Definition(String name, String kind, List<String> repositories, List<String> tags, List<String> exclusions,
                             String description) {
    }

    /** A stored policy. */
    public record StoredTagPolicy(long id, Definition definition, OffsetDateTime createdAt) {
        public String name() {
            return definition.name();
        }
    }

    private static final String COLUMNS = "p.id, p.name, p.kind, p.repositories, p.tags, p.exclusions, p.description, p.created_at";
    /** The scope of a namespace's policies (parameter: its name), or of the defaults (no parameter). */
    private static final String IN_NAMESPACE = "p.namespace_id = (SELECT id FROM namespace WHERE name = ?)";
    private static final String DEFAULTS = "p.namespace_id IS NULL";
    private static final Jdbc.Row<StoredTagPolicy> POLICY = row -> new StoredTagPolicy(row.getLong(1),
            new Definition(row.getString(2), row.getString(3), strings(row.getArray(4)), strings(row.getArray(5)),
                    strings(row.getArray(6)), row.getString(7)), row.getObject(8, OffsetDateTime.class));

    @Inject
    Jdbc jdbc;

    /**
     * The namespace's policies ({@code null}: the defaults), by name. One indexed query; inside a transaction it reads
     * what was committed before the statement, which is how a push sees every policy change committed before it.
     */
    public List<StoredTagPolicy> list(String namespace) {
        return jdbc.list("SELECT " + COLUMNS + " FROM tag_policy p WHERE " + scope(namespace) + " ORDER BY p.name",
                POLICY, scoped(namespace));
    }

    public Optional<StoredTagPolicy> find(String namespace, String name) {
        return jdbc.first("SELECT " + COLUMNS + " FROM tag_policy p WHERE " + scope(namespace) + " AND p.name = ?",
                POLICY, scoped(namespace, name));
    }

    /**
     * Adds the policy to the namespace ({@code null}: to the defaults); false when one of that name exists there. Two
     * admins creating the same name at once: the unique index lets exactly one insert.
     */
    public boolean create(String namespace, Definition policy) {
        String owner = namespace == null ? "NULL" : "(SELECT id FROM namespace WHERE name = ?)";
        return jdbc.update("INSERT INTO tag_policy (namespace_id, name, kind, repositories, tags, exclusions, description) "
                        + "SELECT " + owner + ", ?, ?, ?, ?, ?, ? ON CONFLICT DO NOTHING",
                scoped(namespace, policy.name(), policy.kind(), array(policy.repositories()), array(policy.tags()),
                        array(policy.exclusions()), policy.description())) == 1;
    }

    /** Replaces the named policy's rules (its name stays); false when there is none. */
    public boolean replace(String namespace, Definition policy) {
        return jdbc.update("UPDATE tag_policy p SET kind = ?, repositories = ?, tags = ?, exclusions = ?, description = ? "
                        + "WHERE " + scope(namespace) + " AND p.name = ?",
                prepend(scoped(namespace, policy.name()), policy.kind(), array(policy.repositories()), array(policy.tags()),
                        array(policy.exclusions()), policy.description())) == 1;
    }

    public boolean delete(String namespace, String name) {
        return jdbc.update("DELETE FROM tag_policy p WHERE " + scope(namespace) + " AND p.name = ?", scoped(namespace, name)) == 1;
    }

    /** Gives a namespace being created a copy of the defaults, in its creation's transaction. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void copyDefaults(long namespaceId) {
        jdbc.update("INSERT INTO tag_policy (namespace_id, name, kind, repositories, tags, exclusions, description) "
                + "SELECT ?, name, kind, repositories, tags, exclusions, description FROM tag_policy WHERE namespace_id IS NULL",
                namespaceId);
    }

    private static String scope(String namespace) {
        return namespace == null ? DEFAULTS : IN_NAMESPACE;
    }

    /** The statement's parameters, led by the namespace's name when the scope is a namespace. */
    private static Object[] scoped(String namespace, Object... parameters) {
        return namespace == null ? parameters : prepend(parameters, namespace);
    }

    /** {@code first} then {@code parameters}. */
    private static Object[] prepend(Object[] parameters, Object... first) {
        Object[] all = new Object[first.length + parameters.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(parameters, 0, all, first.length, parameters.length);
        return all;
    }

    private static String[] array(List<String> values) {
        return values.toArray(String[]::new);
    }

    private static List<String> strings(Array array) throws SQLException {
        return List.of((String[]) array.getArray());
    }
}
