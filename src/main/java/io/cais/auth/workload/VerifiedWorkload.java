package io.cais.auth.workload;

import io.cais.auth.Action;
import io.cais.auth.Permissions;
import io.cais.auth.Workload;
import io.cais.metadata.Namespace;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A workload whose token verified: who it is, until when its token is good, and what the rules of each namespace
 * that verified the token map its subject to. A mapping only ever covers its own namespace's repositories.
 */
public record VerifiedWorkload(Workload workload, Instant expiresAt, List<Mapping> mappings) {

    /** Actions on repositories matching {@code repositories} (comma-separated globs inside {@code namespace}). */
    public record Mapping(String namespace, Set<Action> actions, String repositories) {
    }

    public Set<Action> allowed(String repository) {
        String namespace = Namespace.of(repository);
        Set<Action> actions = EnumSet.noneOf(Action.class);
        for (Mapping mapping : mappings) {
            if (mapping.namespace().equals(namespace) && Permissions.matchesAny(mapping.repositories(), namespace, repository)) {
                actions.addAll(mapping.actions());
            }
        }
        return actions;
    }
}
