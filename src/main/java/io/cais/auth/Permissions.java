package io.cais.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cais.alias.ArchAliases;
import io.cais.metadata.Account;
import io.cais.metadata.Namespace;
import io.cais.metadata.NamespaceAccess;
import io.cais.metadata.NamespaceStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.OffsetDateTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The rules: what an account (or nobody) may do to a repository. Server admins: everything in existing
 * namespaces. Users: by role on the repository's namespace. Robots: their own actions, only in their own
 * namespace, only on repositories matching their patterns, only until they expire. Public namespaces: pull for
 * anyone. Nothing at all in a namespace that does not exist. Pulling a name served as an arch alias is pulling the
 * name it is an alias of: a grant on {@code pause} covers {@code pause-amd64}, and a grant on {@code pause-amd64}
 * alone does not reach {@code pause}'s content.
 */
@ApplicationScoped
public class Permissions {

    @Inject
    NamespaceStore namespaces;

    @Inject
    ArchAliases aliases;

    public Set<Action> allowed(Account account, String repository) {
        Optional<NamespaceAccess> namespace = namespaces.access(Namespace.of(repository), account);
        if (namespace.isEmpty()) {
            return EnumSet.noneOf(Action.class);
        }
        Set<Action> actions = allowed(account, namespace.get(), repository);
        if (namespace.get().archAliases()) {
            aliases.served(repository).ifPresent(alias -> {
                actions.remove(Action.PULL);
                if (allowed(account, namespace.get(), alias.base()).contains(Action.PULL)) {
                    actions.add(Action.PULL);
                }
            });
        }
        return actions;
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
