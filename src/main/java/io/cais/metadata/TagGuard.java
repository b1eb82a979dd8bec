package io.cais.metadata;

import io.cais.error.RegistryException;
import io.cais.metadata.TagPolicyStore.StoredTagPolicy;

import java.util.List;
import java.util.Optional;

/**
 * What a namespace's tag policies allow, asked by {@link TagStore} and {@link ManifestStore} inside the transaction
 * that pushes, moves or deletes a tag, with the policies read in that transaction. The rules are the policy domain's
 * ({@code io.cais.policy.TagPolicies}); the locking is the metadata layer's.
 */
public interface TagGuard {

    /** The refusal of pushing {@code tag} to {@code repository} at all, when a policy blocks it. */
    Optional<RegistryException> blocked(List<StoredTagPolicy> policies, String repository, String tag);

    /** The policy that makes {@code tag} of {@code repository} immutable, if one does. */
    Optional<ImmutableTag> immutable(List<StoredTagPolicy> policies, String repository, String tag);

    /** Whether any policy could make a tag of {@code repository} immutable (so deletes must look at its tags). */
    boolean mayHaveImmutableTags(List<StoredTagPolicy> policies, String repository);

    /** A tag that may not move or be deleted once it exists. */
    @FunctionalInterface
    interface ImmutableTag {
        /** The refusal of moving it from the manifest {@code current} to {@code wanted}, or of deleting it ({@code wanted} null). */
        RegistryException refusal(String current, String wanted);
    }
}
