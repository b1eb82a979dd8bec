package io.cais.admin;

import io.cais.admin.TagPolicyViews.NewTagPolicy;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.NamespaceStore;
import io.cais.metadata.TagPolicyStore;
import io.cais.metadata.TagPolicyStore.Definition;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Adding and deleting a namespace's tag policy, validated: the one code path of the admin API
 * ({@link TagPolicyResource}) and the web console's Policies tab. The caller has authorized the namespace's admin.
 */
@ApplicationScoped
public class TagPolicyChanges {

    @Inject
    NamespaceStore namespaces;

    @Inject
    TagPolicyStore policies;

    /** Validates and adds the policy; {@code 409 CONFLICT} when the namespace has one of that name. */
    public Definition create(String namespace, NewTagPolicy body) {
        Definition policy = TagPolicyViews.definition(body, null);
        namespaces.require(namespace);
        if (!policies.create(namespace, policy)) {
            throw new RegistryException(ErrorCode.CONFLICT,
                    "namespace '" + namespace + "' already has a tag policy named '" + policy.name() + "'", policy.name());
        }
        return policy;
    }

    /** Deletes the policy; {@code 404 NOT_FOUND} when there is none of that name. */
    public void delete(String namespace, String name) {
        found(policies.delete(namespace, name), namespace, name);
    }

    static void found(boolean found, String namespace, String name) {
        if (!found) {
            throw unknown(namespace, name);
        }
    }

    static RegistryException unknown(String namespace, String name) {
        return new RegistryException(ErrorCode.NOT_FOUND, "namespace '" + namespace + "' has no tag policy named '" + name + "'", name);
    }
}
