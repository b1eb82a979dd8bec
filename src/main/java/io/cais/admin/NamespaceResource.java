package io.cais.admin;

import io.cais.auth.AccessControl;
import io.cais.auth.Account;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.tenant.Membership;
import io.cais.tenant.Namespace;
import io.quarkus.hibernate.orm.panache.Panache;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
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
    private static final Set<String> ROLES = Set.of("reader", "writer", "admin");

    @Inject
    AccessControl access;

    public record NamespaceView(String name, String visibility, boolean archAliases, OffsetDateTime createdAt) {
        static NamespaceView of(Namespace namespace) {
            return new NamespaceView(namespace.name, namespace.visibility, namespace.archAliases, namespace.createdAt);
        }
    }

    /** {@code archAliases}: serve {@code <name>-<arch>} pulls from the index of {@code <name>} (default false). */
    public record NewNamespace(String name, String visibility, Boolean archAliases) {
    }

    /** Only the settings present in the body change. */
    public record NamespacePatch(String visibility, Boolean archAliases) {
    }

    public record RepositoryView(String name, long tags, long size) {
    }

    public record MemberRole(String role) {
    }

    public record MemberView(String user, String role) {
    }

    @POST
    @Authorize(Rule.SERVER_ADMIN)
    @Transactional
    public Response create(NewNamespace body) {
        require(body);
        String name = Namespaces.validName(body.name());
        String visibility = visibility(body.visibility() == null ? "private" : body.visibility());
        if (Namespace.count("name", name) > 0) {
            throw new RegistryException(ErrorCode.CONFLICT, "namespace '" + name + "' already exists", name);
        }
        Namespace namespace = new Namespace();
        namespace.name = name;
        namespace.visibility = visibility;
        namespace.archAliases = Boolean.TRUE.equals(body.archAliases());
        namespace.persistAndFlush();
        Panache.getEntityManager().refresh(namespace);
        return Response.created(URI.create("/api/v1/namespaces/" + name)).entity(NamespaceView.of(namespace)).build();
    }

    @GET
    @Authorize(Rule.USER)
    public List<NamespaceView> list() {
        Account user = access.user();
        List<Namespace> namespaces = user.serverAdmin
                ? Namespace.list("order by name")
                : Namespace.list("visibility = 'public' or id in (select m.namespaceId from Membership m where m.accountId = ?1) "
                        + "order by name", user.id);
        return namespaces.stream().map(NamespaceView::of).toList();
    }

    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{namespace}")
    public NamespaceView get(@PathParam("namespace") String name) {
        return NamespaceView.of(Namespaces.require(name));
    }

    @PATCH
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}")
    @Transactional
    public NamespaceView update(@PathParam("namespace") String name, NamespacePatch body) {
        Namespace namespace = Namespaces.require(name);
        require(body);
        if (body.visibility() != null) {
            namespace.visibility = visibility(body.visibility());
        }
        if (body.archAliases() != null) {
            namespace.archAliases = body.archAliases();
        }
        return NamespaceView.of(namespace);
    }

    /** Deletes the namespace with its repositories, robots and memberships; blobs are left to garbage collection. */
    @DELETE
    @Authorize(Rule.SERVER_ADMIN)
    @Path("{namespace}")
    @Transactional
    public Response delete(@PathParam("namespace") String name) {
        Namespace namespace = Namespaces.require(name);
        if (Namespace.LIBRARY.equals(name)) {
            throw new RegistryException(ErrorCode.CONFLICT, "the library namespace cannot be deleted", name);
        }
        Panache.getEntityManager().createNativeQuery("DELETE FROM repository WHERE name LIKE ?1 ESCAPE '\\'")
                .setParameter(1, likePrefix(name)).executeUpdate();
        namespace.delete();
        return Response.noContent().build();
    }

    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{namespace}/repositories")
    @SuppressWarnings("unchecked")
    public List<RepositoryView> repositories(@PathParam("namespace") String name) {
        Namespaces.require(name);
        List<Object[]> rows = Panache.getEntityManager().createNativeQuery(
                        "SELECT r.name, (SELECT count(*) FROM tag t WHERE t.repository_id = r.id), "
                                + "(SELECT coalesce(sum(b.size), 0) FROM repository_blob rb JOIN blob b ON b.digest = rb.digest "
                                + "WHERE rb.repository_id = r.id) FROM repository r WHERE "
                                + (Namespace.LIBRARY.equals(name) ? "position('/' in r.name) = 0 OR r.name LIKE ?1 ESCAPE '\\'"
                                : "r.name LIKE ?1 ESCAPE '\\'") + " ORDER BY r.name")
                .setParameter(1, likePrefix(name)).getResultList();
        return rows.stream().map(row -> new RepositoryView((String) row[0], ((Number) row[1]).longValue(),
                ((Number) row[2]).longValue())).toList();
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/repositories/{repository: .+}")
    @Transactional
    public Response deleteRepository(@PathParam("namespace") String name, @PathParam("repository") String repository) {
        Namespaces.require(name);
        String full = Namespace.LIBRARY.equals(name) && !repository.contains("/") ? repository : name + "/" + repository;
        int deleted = Panache.getEntityManager().createNativeQuery("DELETE FROM repository WHERE name = ?1")
                .setParameter(1, full).executeUpdate();
        if (deleted == 0) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository '" + full + "' does not exist", full);
        }
        return Response.noContent().build();
    }

    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{namespace}/members")
    public List<MemberView> members(@PathParam("namespace") String name) {
        Namespace namespace = Namespaces.require(name);
        return Membership.<Membership>list("namespaceId", namespace.id).stream()
                .map(m -> new MemberView(Account.<Account>findById(m.accountId).name, m.role))
                .sorted(java.util.Comparator.comparing(MemberView::user)).toList();
    }

    @PUT
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/members/{user}")
    @Transactional
    public MemberView setMember(@PathParam("namespace") String name, @PathParam("user") String userName, MemberRole body) {
        Namespace namespace = Namespaces.require(name);
        require(body);
        if (body.role() == null || !ROLES.contains(body.role())) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "role must be one of reader, writer, admin", body.role());
        }
        Account user = Account.<Account>find("name = ?1 and kind = 'user'", userName).firstResultOptional().orElseThrow(() ->
                new RegistryException(ErrorCode.NOT_FOUND, "user '" + userName + "' does not exist", userName));
        Membership membership = Membership.<Membership>find("namespaceId = ?1 and accountId = ?2", namespace.id, user.id)
                .firstResultOptional().orElseGet(() -> {
                    Membership created = new Membership();
                    created.namespaceId = namespace.id;
                    created.accountId = user.id;
                    return created;
                });
        membership.role = body.role();
        membership.persist();
        return new MemberView(user.name, membership.role);
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/members/{user}")
    @Transactional
    public Response removeMember(@PathParam("namespace") String name, @PathParam("user") String userName) {
        Namespace namespace = Namespaces.require(name);
        long deleted = Membership.delete("namespaceId = ?1 and accountId = (select a.id from Account a where a.name = ?2)",
                namespace.id, userName);
        if (deleted == 0) {
            throw new RegistryException(ErrorCode.NOT_FOUND, "'" + userName + "' is not a member of '" + name + "'", userName);
        }
        return Response.noContent().build();
    }

    static String likePrefix(String namespace) {
        return namespace.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%";
    }

    static void require(Object body) {
        if (body == null) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "a JSON body is required");
        }
    }

    private static String visibility(String value) {
        if (!VISIBILITIES.contains(value)) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "visibility must be private or public", value);
        }
        return value;
    }
}
