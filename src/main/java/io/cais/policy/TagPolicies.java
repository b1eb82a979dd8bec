package io.cais.policy;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Namespace;
import io.cais.metadata.TagGuard;
import io.cais.metadata.TagPolicyStore.StoredTagPolicy;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rules of tag policies: which tags of a namespace's repositories are blocked (never pushed) and which are
 * immutable (never moved or deleted once pushed). Asked by the metadata layer inside the transaction that changes
 * a tag, with the policies it read there ({@link TagGuard}); a refusal is {@code 403 DENIED} whose message names
 * the policy and says why, and whose detail names the policy, its kind, namespace and matching pattern.
 *
 * <p>When several policies cover a tag, the first by name decides the message; any blocking policy refuses a push
 * before immutability is considered.
 */
@ApplicationScoped
public class TagPolicies implements TagGuard {

    @Override
    public Optional<RegistryException> blocked(List<StoredTagPolicy> policies, String repository, String tag) {
        return covering(policies, repository, tag, TagPolicy.Kind.BLOCKED).map(match -> refusal(match, repository, tag,
                "tag '" + tag + "' cannot be pushed to " + repository, "tags matching '" + match.pattern()
                        + "' are blocked", null, null));
    }

    @Override
    public Optional<ImmutableTag> immutable(List<StoredTagPolicy> policies, String repository, String tag) {
        return covering(policies, repository, tag, TagPolicy.Kind.IMMUTABLE).map(match -> (current, wanted) -> refusal(
                match, repository, tag, wanted == null
                        ? "tag '" + tag + "' of " + repository + " cannot be deleted"
                        : "tag '" + tag + "' of " + repository + " already points at " + current + " and cannot be moved to " + wanted,
                "tags matching '" + match.pattern() + "' are immutable once pushed", current, wanted));
    }

    @Override
    public boolean mayHaveImmutableTags(List<StoredTagPolicy> policies, String repository) {
        String inside = inside(repository);
        return policies.stream().map(stored -> TagPolicy.of(stored.definition()))
                .anyMatch(policy -> policy.kind() == TagPolicy.Kind.IMMUTABLE && policy.covers(inside));
    }

    private record Match(TagPolicy policy, String pattern) {
    }

    private static Optional<Match> covering(List<StoredTagPolicy> policies, String repository, String tag, TagPolicy.Kind kind) {
        String inside = inside(repository);
        for (StoredTagPolicy stored : policies) {
            TagPolicy policy = TagPolicy.of(stored.definition());
            if (policy.kind() == kind && policy.covers(inside)) {
                Optional<String> pattern = policy.matchingPattern(tag);
                if (pattern.isPresent()) {
                    return Optional.of(new Match(policy, pattern.get()));
                }
            }
        }
        return Optional.empty();
    }

    /** "what was refused: why, by which policy (its description)". */
    private static RegistryException refusal(Match match, String repository, String tag, String what, String why,
                                             String current, String wanted) {
        String namespace = Namespace.of(repository);
        String description = match.policy().definition().description();
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("policy", match.policy().definition().name());
        detail.put("kind", match.policy().kind().wire());
        detail.put("namespace", namespace);
        detail.put("repository", repository);
        detail.put("tag", tag);
        detail.put("pattern", match.pattern());
        if (current != null) {
            detail.put("current", current);
        }
        if (wanted != null) {
            detail.put("pushed", wanted);
        }
        return new RegistryException(ErrorCode.DENIED, what + ": " + why + " by tag policy '"
                + match.policy().definition().name() + "' of namespace '" + namespace + "'"
                + (description == null || description.isBlank() ? "" : " (" + description + ")"), detail);
    }

    /** The repository's path inside its namespace, which repository patterns match (as robots' do). */
    private static String inside(String repository) {
        String namespace = Namespace.of(repository);
        return repository.startsWith(namespace + "/") ? repository.substring(namespace.length() + 1) : repository;
    }
}
