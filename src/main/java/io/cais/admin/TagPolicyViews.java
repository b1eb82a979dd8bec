package io.cais.admin;

import io.cais.auth.Glob;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.TagPolicyStore.Definition;
import io.cais.metadata.TagPolicyStore.StoredTagPolicy;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The JSON of tag policies (a namespace's and the defaults alike) and the validation of what admins send. */
public final class TagPolicyViews {

    private static final Set<String> KINDS = Set.of("immutable", "blocked");
    /** The tag grammar with {@code *} and {@code ?} as wildcards. */
    private static final Pattern TAG_PATTERN = Pattern.compile("[a-zA-Z0-9_.*?-]{1,128}");
    private static final int MAX_PATTERNS = 32;
    private static final int MAX_DESCRIPTION = 512;

    private TagPolicyViews() {
    }

    /**
     * {@code kind}: {@code immutable} (matching tags cannot be moved or deleted once pushed) or {@code blocked}
     * (matching tags cannot be pushed). {@code repositories}: globs inside the namespace (default {@code ["*"]});
     * {@code tags}: globs; {@code exclusions}: tags the policy leaves alone although they match {@code tags};
     * {@code description}: why, shown to clients in a refusal.
     */
    public record NewTagPolicy(String name, String kind, List<String> repositories, List<String> tags, List<String> exclusions,
                               String description) {
    }

    public record TagPolicyView(String name, String kind, List<String> repositories, List<String> tags, List<String> exclusions,
                                String description, OffsetDateTime createdAt) {
        static TagPolicyView of(StoredTagPolicy stored) {
            Definition d = stored.definition();
            return new TagPolicyView(d.name(), d.kind(), d.repositories(), d.tags(), d.exclusions(), d.description(),
                    stored.createdAt());
        }
    }

    /** The definition in the body, validated; {@code name} overrides the body's (a PUT names the policy in its path). */
    static Definition definition(NewTagPolicy body, String name) {
        NamespaceResource.require(body);
        String policyName = name != null ? name : body.name();
        if (policyName == null || policyName.length() > 64 || !Namespaces.NAME.matcher(policyName).matches()) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST,
                    "a tag policy's name is lowercase letters and digits, separated by '.', '_' or '-' (at most 64)", policyName);
        }
        if (body.kind() == null || !KINDS.contains(body.kind())) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "kind must be immutable or blocked", body.kind());
        }
        List<String> repositories = body.repositories() == null ? List.of("*") : RobotResource.patterns(body.repositories());
        if (body.tags() == null || body.tags().isEmpty()) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "tags must list at least one tag pattern (e.g. \"latest\" or \"v*\")");
        }
        String description = body.description();
        if (description != null && description.length() > MAX_DESCRIPTION) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "description is at most " + MAX_DESCRIPTION + " characters",
                    description.length());
        }
        return new Definition(policyName, body.kind(), limited(repositories, "repositories"), tagPatterns(body.tags(), "tags"),
                tagPatterns(body.exclusions() == null ? List.of() : body.exclusions(), "exclusions"), description);
    }

    private static List<String> tagPatterns(List<String> patterns, String field) {
        for (String pattern : patterns) {
            if (pattern == null || !TAG_PATTERN.matcher(pattern).matches()) {
                throw new RegistryException(ErrorCode.INVALID_REQUEST, field + ": a tag pattern is a tag (letters, digits, "
                        + "'_', '.', '-', at most 128) with * and ? as wildcards", pattern);
            }
            if (Glob.wildcards(pattern) > Glob.MAX_WILDCARDS) {
                throw new RegistryException(ErrorCode.INVALID_REQUEST,
                        field + ": a tag pattern has at most " + Glob.MAX_WILDCARDS + " wildcards", pattern);
            }
        }
        return limited(List.copyOf(patterns), field);
    }

    private static List<String> limited(List<String> patterns, String field) {
        if (patterns.size() > MAX_PATTERNS) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, field + " lists at most " + MAX_PATTERNS + " patterns",
                    patterns.size());
        }
        return patterns;
    }
}
