package io.cais.alias;

import io.cais.content.RepositoryName;

import java.util.Optional;

/**
 * A legacy {@code -$(ARCH)} name, {@code <base>-<architecture>[-<variant>]} ({@code pause-amd64}, {@code pause-arm-v7}),
 * read from the last component of a repository name. Only the shape is known here; whether the name is served as
 * an alias is {@link ArchAliases}' question.
 */
public record ArchAlias(String name, String base, Platform platform) {

    /** The alias the name would be, when it ends in an architecture (and optionally a variant) after a dash. */
    public static Optional<ArchAlias> parse(String name) {
        int last = name.lastIndexOf('-');
        if (last < 0 || name.indexOf('/', last) >= 0) {
            return Optional.empty();
        }
        String word = name.substring(last + 1);
        if (Platform.ARCHITECTURES.contains(word)) {
            return of(name, name.substring(0, last), new Platform(word, ""));
        }
        int previous = name.lastIndexOf('-', last - 1);
        if (!Platform.isVariant(word) || previous < 0 || name.indexOf('/', previous) >= 0) {
            return Optional.empty();
        }
        String architecture = name.substring(previous + 1, last);
        return Platform.ARCHITECTURES.contains(architecture)
                ? of(name, name.substring(0, previous), new Platform(architecture, word))
                : Optional.empty();
    }

    private static Optional<ArchAlias> of(String name, String base, Platform platform) {
        // The base must be a name of its own: "ns/-amd64" or "pause--amd64" are no aliases.
        return RepositoryName.isValid(base) ? Optional.of(new ArchAlias(name, base, platform)) : Optional.empty();
    }
}
