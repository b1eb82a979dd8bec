package io.cais.policy;

import io.cais.auth.Glob;
import io.cais.metadata.TagPolicyStore.Definition;

import java.util.List;
import java.util.Optional;

/**
 * One tag policy, its patterns parsed: it covers a tag of a repository when the repository's path inside its
 * namespace matches one of {@code repositories}, the tag matches one of {@code tags} and none of {@code exclusions}.
 * Globs ({@code *} any run, {@code ?} one character) match in linear time ({@link Glob}).
 */
record TagPolicy(Definition definition, Kind kind, List<Glob> repositories, List<Glob> tags, List<Glob> exclusions) {

    enum Kind {
        /** Tags that cannot be pushed at all. */
        BLOCKED,
        /** Tags that cannot be moved or deleted once pushed (pushing the same manifest again is fine). */
        IMMUTABLE;

        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Optional<Kind> parse(String value) {
            for (Kind kind : values()) {
                if (kind.wire().equals(value)) {
                    return Optional.of(kind);
                }
            }
            return Optional.empty();
        }
    }

    static TagPolicy of(Definition definition) {
        return new TagPolicy(definition, Kind.parse(definition.kind()).orElseThrow(), globs(definition.repositories()),
                globs(definition.tags()), globs(definition.exclusions()));
    }

    /** Whether the policy applies to the repository ({@code inside}: its path inside the namespace) at all. */
    boolean covers(String inside) {
        return repositories.stream().anyMatch(glob -> glob.matches(inside));
    }

    /** The tag pattern by which the policy covers the tag, if it does (the repository is assumed covered). */
    Optional<String> matchingPattern(String tag) {
        if (exclusions.stream().anyMatch(glob -> glob.matches(tag))) {
            return Optional.empty();
        }
        for (int i = 0; i < tags.size(); i++) {
            if (tags.get(i).matches(tag)) {
                return Optional.of(definition.tags().get(i));
            }
        }
        return Optional.empty();
    }

    private static List<Glob> globs(List<String> patterns) {
        return patterns.stream().map(Glob::parse).toList();
    }
}
