package io.cais.admin;

import io.cais.admin.TagPolicyViews.NewTagPolicy;
import io.cais.admin.TagPolicyViews.TagPolicyView;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.metadata.NamespaceStore;
import io.cais.metadata.TagPolicyStore;
import io.cais.metadata.TagPolicyStore.Definition;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.List;

/**
 * A namespace's tag policies ({@code io.cais.policy}): managed by its admins, readable by its members so that a
 * refused push can be understood. A change binds every push that starts after it commits, on every replica.
 */
@Path("/api/v1/namespaces/{namespace}/tag-policies")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class TagPolicyResource {

    @Inject
    NamespaceStore namespaces;

    @Inject
    TagPolicyStore policies;

    @Inject
    TagPolicyChanges changes;

    @GET
    @Authorize(Rule.NAMESPACE_READER)
    public List<TagPolicyView> list(@PathParam("namespace") String namespace) {
        namespaces.require(namespace);
        return policies.list(namespace).stream().map(TagPolicyView::of).toList();
    }

    @POST
    @Authorize(Rule.NAMESPACE_ADMIN)
    public Response create(@PathParam("namespace") String namespace, NewTagPolicy body) {
        Definition policy = changes.create(namespace, body);
        return Response.created(URI.create("/api/v1/namespaces/" + namespace + "/tag-policies/" + policy.name()))
                .entity(get(namespace, policy.name())).build();
    }

    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{policy}")
    public TagPolicyView get(@PathParam("namespace") String namespace, @PathParam("policy") String name) {
        return TagPolicyView.of(policies.find(namespace, name).orElseThrow(() -> TagPolicyChanges.unknown(namespace, name)));
    }

    /** Replaces the policy's rules; the name in the path is its name. */
    @PUT
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{policy}")
    public TagPolicyView replace(@PathParam("namespace") String namespace, @PathParam("policy") String name, NewTagPolicy body) {
        TagPolicyChanges.found(policies.replace(namespace, TagPolicyViews.definition(body, name)), namespace, name);
        return get(namespace, name);
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{policy}")
    public Response delete(@PathParam("namespace") String namespace, @PathParam("policy") String name) {
        changes.delete(namespace, name);
        return Response.noContent().build();
    }
}
