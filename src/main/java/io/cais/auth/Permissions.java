package io.cais.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.agroal.api.AgroalDataSource;
import io.cais.tenant.Namespace;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.List;

/**
 * The rules: what an account (or nobody) may do to a repository. Server admins: everything in existing
 * namespaces. Users: by role on the repository's namespace. Robots: their own actions, only in their own
 * namespace, only on repositories matching their patterns, only until they expire. Public namespaces: pull for
 * anyone. Nothing at all in a namespace that does not exist.
 */
@ApplicationScoped
public class Permissions {

    @Inject
    AgroalDataSource dataSource;

    /** A namespace as the rules need it, with the account's role on it (null when none). */
    public record NamespaceAccess(long id, String name, boolean isPublic, String role) {
    }

    public Set<Action> allowed(Account account, String repository) {
        Optional<NamespaceAccess> namespace = namespace(Namespace.of(repository), account);
        return namespace.map(ns -> allowed(account, ns, repository)).orElse(EnumSet.noneOf(Action.class));
    }

    public Set<Action> allowed(Account account, NamespaceAccess namespace, String repository) {
        Set<Action> actions = EnumSet.noneOf(Action.class);
        if (namespace.isPublic()) {
            actions.add(Action.PULL);
        }
        if (account == null) {
            return actions;
        }
        if (account.serverAdmin) {
            return EnumSet.allOf(Action.class);
        }
        if (account.isRobot()) {
            boolean live = account.expiresAt == null || account.expiresAt.isAfter(OffsetDateTime.now());
            if (live && account.namespaceId != null && account.namespaceId == namespace.id()
                    && matchesAny(account.repositories, namespace.name(), repository)) {
                actions.addAll(Action.parseList(account.actions));
            }
            return actions;
        }
        if (namespace.role() != null) {
            actions.addAll(switch (namespace.role()) {
                case "admin" -> EnumSet.allOf(Action.class);
                case "writer" -> EnumSet.of(Action.PULL, Action.PUSH);
                default -> EnumSet.of(Action.PULL);
            });
        }
        return actions;
    }

    /** The namespace and the account's role on it; empty when the namespace does not exist. */
    public Optional<NamespaceAccess> namespace(String name, Account account) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT n.id, n.visibility, m.role FROM namespace n LEFT JOIN namespace_member m "
                             + "ON m.namespace_id = n.id AND m.account_id = ? WHERE n.name = ?")) {
            statement.setLong(1, account == null || account.id == null ? -1 : account.id);
            statement.setString(2, name);
            try (ResultSet row = statement.executeQuery()) {
                return row.next()
                        ? Optional.of(new NamespaceAccess(row.getLong(1), name, "public".equals(row.getString(2)), row.getString(3)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read namespace", e);
        }
    }

    /** Namespaces in which the account may pull something: public ones, its memberships, a robot's own. */
    public java.util.List<String> pullableNamespaces(Account account) {
        String sql = "SELECT n.name FROM namespace n WHERE n.visibility = 'public' "
                + "OR n.id IN (SELECT namespace_id FROM namespace_member WHERE account_id = ?) OR n.id = ?";
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, account == null || account.id == null ? -1 : account.id);
            statement.setLong(2, account == null || account.namespaceId == null ? -1 : account.namespaceId);
            java.util.List<String> names = new java.util.ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
            return names;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read namespaces", e);
        }
    }

    /** Whether the repository (inside its namespace) matches one of a robot's comma-separated patterns. */
    public static boolean matchesAny(String patterns, String namespace, String repository) {
        String inside = repository.startsWith(namespace + "/") ? repository.substring(namespace.length() + 1) : repository;
        for (Glob glob : GLOBS.get(patterns, Permissions::parse)) {
            if (glob.matches(inside)) {
                return true;
            }
        }
        return false;
    }

    /** Robots' pattern lists, parsed once: matching runs on every request a robot makes. */
    private static final Cache<String, List<Glob>> GLOBS = Caffeine.newBuilder().maximumSize(10_000).build();

    private static List<Glob> parse(String patterns) {
        return java.util.Arrays.stream(patterns.split(",")).map(String::trim).filter(p -> !p.isEmpty()).map(Glob::parse).toList();
    }
}
