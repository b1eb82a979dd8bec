package io.cais.admin;

import io.cais.auth.AccessControl;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.AccountStore;
import io.cais.metadata.MembershipStore;
import io.cais.metadata.Namespace;
import io.cais.metadata.NamespaceStore;
import io.cais.metadata.Page;
import io.cais.metadata.RepositoryStore;
import io.cais.metadata.UsageStore;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;

/** Namespaces (tenants), their repositories and their members. */
@Path("/api/v1/namespaces")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class NamespaceResource {

    private static final Set<String> VISIBILITIES = Set.of("private", "public");
    private static final Set<String> UNTAGGED_MANIFESTS = Set.of("keep", "delete");
    private static final Set<String> ROLES = Set.of("reader", "writer", "admin");
    private static final int MAX_PAGE = 1000;

    @Inject
    AccessControl access;

    @Inject
    NamespaceStore namespaces;

    @Inject
    RepositoryStore repositories;

    @Inject
    MembershipStore members;

    @Inject
    AccountStore accounts;

    @Inject
    UsageStore usage;

    public record NamespaceView(String name, String visibility, boolean archAliases, String untaggedManifests,
                                OffsetDateTime createdAt) {
        static NamespaceView of(Namespace namespace) {
            return new NamespaceView(namespace.name, namespace.visibility, namespace.archAliases, namespace.untaggedManifests,
                    namespace.createdAt);
        }
    }

    /**
     * {@code archAliases}: serve {@code <name>-<arch>} pulls from the index of {@code <name>} (default false).
     * {@code untaggedManifests}: {@code keep} (default) or {@code delete} manifests nothing keeps (garbage collection).
     */
    public record NewNamespace(String name, String visibility, Boolean archAliases, String untaggedManifests) {
    }

    /** Only the settings present in the body change. */
    public record NamespacePatch(String visibility, Boolean archAliases, String untaggedManifests) {
    }

    public record MemberRole(String role) {
    }

    @POST
    @Authorize(Rule.SERVER_ADMIN)
    public Response create(NewNamespace body) {
        require(body);
        String name = Namespaces.validName(body.name());
        Namespace namespace = namespaces.create(name, visibility(body.visibility() == null ? "private" : body.visibility()),
                Boolean.TRUE.equals(body.archAliases()),
                untaggedManifests(body.untaggedManifests() == null ? "keep" : body.untaggedManifests()));
        return Response.created(URI.create("/api/v1/namespaces/" + name)).entity(NamespaceView.of(namespace)).build();
    }

    @GET
    @Authorize(Rule.USER)
    public List<NamespaceView> list() {
        return namespaces.visibleTo(access.user()).stream().map(NamespaceView::of).toList();
    }

    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{namespace}")
    public NamespaceView get(@PathParam("namespace") String name) {
        return NamespaceView.of(namespaces.require(name));
    }

    @PATCH
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}")
    public NamespaceView update(@PathParam("namespace") String name, NamespacePatch body) {
        require(body);
        return NamespaceView.of(namespaces.update(name, body.visibility() == null ? null : visibility(body.visibility()),
                body.archAliases(), body.untaggedManifests() == null ? null : untaggedManifests(body.untaggedManifests())));
    }

    /** Deletes the namespace with its repositories, robots and memberships; blobs are left to garbage collection. */
    @DELETE
    @Authorize(Rule.SERVER_ADMIN)
    @Path("{namespace}")
    public Response delete(@PathParam("namespace") String name) {
        if (Namespace.LIBRARY.equals(name)) {
            namespaces.require(name);
            throw new RegistryException(ErrorCode.CONFLICT, "the library namespace cannot be deleted", name);
        }
        namespaces.delete(name);
        return Response.noContent().build();
    }

    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{namespace}/repositories")
    public List<RepositoryStore.Summary> repositories(@PathParam("namespace") String name) {
        namespaces.require(name);
        return repositories.summaries(name, Namespace.LIBRARY.equals(name));
    }

    /** Stored bytes (unique and shared), counts and the quota: for the namespace's admins and server admins. */
    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/usage")
    public UsageViews.NamespaceUsage usage(@PathParam("namespace") String name) {
        namespaces.require(name);
        return UsageViews.NamespaceUsage.of(usage.namespace(name).orElseThrow());
    }

    /** The namespace's repositories with their usage, by name, {@code n} (at most 1000) after {@code last}. */
    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/repositories/usage")
    public UsageViews.RepositoryUsagePage repositoryUsage(@PathParam("namespace") String name, @QueryParam("n") Integer n,
                                                         @QueryParam("last") String last) {
        namespaces.require(name);
        if (n != null && (n < 1 || n > MAX_PAGE)) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "n must be between 1 and " + MAX_PAGE, n);
        }
        Page<UsageStore.RepositoryUsage> page = usage.repositories(name, last, n == null ? MAX_PAGE : n);
        List<UsageViews.RepositoryUsage> items = page.items().stream().map(UsageViews.RepositoryUsage::of).toList();
        return new UsageViews.RepositoryUsagePage(items, page.more() ? items.getLast().name() : null);
    }

    /** Sets ({@code {"bytes": N}}) or removes ({@code {"bytes": null}}) the namespace's quota: server admins only. */
    @PUT
    @Authorize(Rule.SERVER_ADMIN)
    @Path("{namespace}/quota")
    public UsageViews.Quota setQuota(@PathParam("namespace") String name, UsageViews.Quota body) {
        require(body);
        if (body.bytes() != null && body.bytes() < 0) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "bytes must be zero or more, or null for no quota", body.bytes());
        }
        return new UsageViews.Quota(namespaces.setQuota(name, body.bytes()).quotaBytes);
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/repositories/{repository: .+}")
    public Response deleteRepository(@PathParam("namespace") String name, @PathParam("repository") String repository) {
        namespaces.require(name);
        String full = Namespace.LIBRARY.equals(name) && !repository.contains("/") ? repository : name + "/" + repository;
        if (!repositories.delete(full)) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository '" + full + "' does not exist", full);
        }
        return Response.noContent().build();
    }

    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{namespace}/members")
    public List<MembershipStore.Member> members(@PathParam("namespace") String name) {
        return members.members(namespaces.require(name));
    }

    @PUT
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/members/{user}")
    public MembershipStore.Member setMember(@PathParam("namespace") String name, @PathParam("user") String userName,
                                            MemberRole body) {
        Namespace namespace = namespaces.require(name);
        require(body);
        if (body.role() == null || !ROLES.contains(body.role())) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "role must be one of reader, writer, admin", body.role());
        }
        return members.set(namespace, accounts.user(userName), body.role());
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/members/{user}")
    public Response removeMember(@PathParam("namespace") String name, @PathParam("user") String userName) {
        if (!members.remove(namespaces.require(name), userName)) {
            throw new RegistryException(ErrorCode.NOT_FOUND, "'" + userName + "' is not a member of '" + name + "'", userName);
        }
        return Response.noContent().build();
    }

    static void require(Object body) {
        if (body == null) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "a JSON body is required");
        }
    }

    private static String untaggedManifests(String value) {
        if (!UNTAGGED_MANIFESTS.contains(value)) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "untaggedManifests must be keep or delete", value);
        }
        return value;
    }

    private static String visibility(String value) {
        if (!VISIBILITIES.contains(value)) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "visibility must be private or public", value);
        }
        return value;
    }
}
