package io.cais.admin;

import io.cais.admin.TagPolicyViews.NewTagPolicy;
import io.cais.admin.TagPolicyViews.TagPolicyView;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
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
 * The server's default tag policies: server admins only. Each namespace created afterwards gets a copy of them, which
 * its admins may then change; changing the defaults changes no existing namespace.
 */
@Path("/api/v1/tag-policy-defaults")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class TagPolicyDefaultResource {

    @Inject
    TagPolicyStore policies;

    @GET
    @Authorize(Rule.SERVER_ADMIN)
    public List<TagPolicyView> list() {
        return policies.list(null).stream().map(TagPolicyView::of).toList();
    }

    @POST
    @Authorize(Rule.SERVER_ADMIN)
    public Response create(NewTagPolicy body) {
        Definition policy = TagPolicyViews.definition(body, null);
        if (!policies.create(null, policy)) {
            throw new RegistryException(ErrorCode.CONFLICT, "a default tag policy named '" + policy.name() + "' exists",
                    policy.name());
        }
        return Response.created(URI.create("/api/v1/tag-policy-defaults/" + policy.name())).entity(get(policy.name())).build();
    }

    @GET
    @Authorize(Rule.SERVER_ADMIN)
    @Path("{policy}")
    public TagPolicyView get(@PathParam("policy") String name) {
        return TagPolicyView.of(policies.find(null, name).orElseThrow(() -> unknown(name)));
    }

    @PUT
    @Authorize(Rule.SERVER_ADMIN)
    @Path("{policy}")
    public TagPolicyView replace(@PathParam("policy") String name, NewTagPolicy body) {
        found(policies.replace(null, TagPolicyViews.definition(body, name)), name);
        return get(name);
    }

    @DELETE
    @Authorize(Rule.SERVER_ADMIN)
    @Path("{policy}")
    public Response delete(@PathParam("policy") String name) {
        found(policies.delete(null, name), name);
        return Response.noContent().build();
    }

    private static void found(boolean found, String name) {
        if (!found) {
            throw unknown(name);
        }
    }

    private static RegistryException unknown(String name) {
        return new RegistryException(ErrorCode.NOT_FOUND, "there is no default tag policy named '" + name + "'", name);
    }
}
