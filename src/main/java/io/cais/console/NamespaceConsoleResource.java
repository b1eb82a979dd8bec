package io.cais.console;

import io.cais.admin.TagPolicyChanges;
import io.cais.admin.TagPolicyViews;
import io.cais.auth.AccessControl;
import io.cais.auth.Authorize;
import io.cais.auth.ConsoleRoute;
import io.cais.auth.Robots;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Account;
import io.cais.metadata.AccountStore;
import io.cais.metadata.MembershipStore;
import io.cais.metadata.Namespace;
import io.cais.metadata.NamespaceStore;
import io.cais.metadata.RepositoryStore;
import io.cais.metadata.RetentionStore;
import io.cais.metadata.TagPolicyStore;
import io.cais.metadata.Slice;
import io.cais.metadata.UsageStore;
import io.cais.retention.Retention;
import io.quarkus.qute.TemplateData;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A namespace's administration in the web console: members and their roles, visibility, usage and quota, robots.
 * Readers see members; the namespace's admins (and server admins) change them, the visibility and the robots;
 * only server admins set the quota. A robot's secret is shown once, on the page that answers its creation or
 * rotation, with the exports the admin API hands out ({@link Robots}: the same bytes).
 */
@ConsoleRoute
@Path("/ui/namespaces/{namespace}")
@RunOnVirtualThread
@Produces(MediaType.TEXT_HTML)
public class NamespaceConsoleResource {

    private static final List<String> ROLES = List.of("reader", "writer", "admin");
    private static final List<String> REPOSITORY_SORTS = List.of("name", "tags", "size", "pushed");
    private static final List<String> VISIBILITIES = List.of("private", "public");
    private static final int RUNS_SHOWN = 20;

    @Inject
    Pages pages;

    @Inject
    AccessControl access;

    @Inject
    NamespaceStore namespaces;

    @Inject
    MembershipStore members;

    @Inject
    AccountStore accounts;

    @Inject
    UsageStore usage;

    @Inject
    Robots robots;

    @Inject
    RepositoryStore repositories;

    @Inject
    ConsoleConfig config;

    @Inject
    TagPolicyStore tagPolicies;

    @Inject
    TagPolicyChanges policyChanges;

    @Inject
    RetentionStore retentionStore;

    @Inject
    Retention retention;

    @TemplateData
    public record RepositoryRow(String name, String path, long tags, String size, String unique, String shared,
                                String lastPush, String lastPull) {
    }

    @TemplateData
    public record RobotRow(String name, String shortName, String actions, String repositories, String expiresAt,
                           String createdAt) {
    }

    @TemplateData
    public record PolicyRow(String name, String kind, String repositories, String tags, String exclusions,
                            String description) {
    }

    @TemplateData
    public record RunRow(long id, String startedBy, String startedAt, String finishedAt, int tags, int manifests,
                         String bytes, String error) {
    }

    @TemplateData
    public record UsageRow(String label, String value) {
    }

    @ServerExceptionMapper
    public Response refused(RegistryException e) {
        return pages.error(e);
    }

    /** The namespace's repositories: filtered, sorted and paged by the server. */
    @GET
    @Authorize(Rule.NAMESPACE_READER)
    public TemplateInstance namespace(@PathParam("namespace") String name, @QueryParam("q") String filter,
                                      @QueryParam("sort") String sort, @QueryParam("dir") String direction,
                                      @QueryParam("page") Integer page, @QueryParam("size") Integer size) {
        Namespace namespace = namespaces.require(name);
        Listing listing = Listing.of("/ui/namespaces/" + name, filter, sort, direction, page, size, config.pageSize(),
                REPOSITORY_SORTS);
        Slice<RepositoryStore.Listed> slice = repositories.list(name, listing.filter(),
                RepositoryStore.ListOrder.valueOf(listing.sort().toUpperCase(Locale.ROOT)), listing.descending(),
                listing.offset(), listing.pageSize());
        List<RepositoryRow> rows = slice.items().stream().map(r -> new RepositoryRow(r.name(), ConsoleResource.tagsPath(r.name()),
                r.tags(), Format.bytes(r.bytes()), Format.bytes(r.bytes() - r.sharedBytes()), Format.bytes(r.sharedBytes()),
                Format.time(r.lastPush()), r.lastPull() == null ? "never" : Format.time(r.lastPull()))).toList();
        return tab(namespace, "repositories").data("listing", listing.withTotal(slice.total())).data("repositories", rows);
    }

    @GET
    @Path("members")
    @Authorize(Rule.NAMESPACE_READER)
    public TemplateInstance members(@PathParam("namespace") String name) {
        Namespace namespace = namespaces.require(name);
        return tab(namespace, "members").data("members", members.members(namespace)).data("roles", ROLES);
    }

    @POST
    @Path("members")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response setMember(@PathParam("namespace") String name, @FormParam("user") String user,
                              @FormParam("role") String role) {
        members.set(namespaces.require(name), accounts.user(user == null ? "" : user.trim()), oneOf(role, ROLES, "role"));
        return Pages.seeOther("/ui/namespaces/" + name + "/members");
    }

    @POST
    @Path("members/{user}/remove")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response removeMember(@PathParam("namespace") String name, @PathParam("user") String user) {
        members.remove(namespaces.require(name), user);
        return Pages.seeOther("/ui/namespaces/" + name + "/members");
    }

    @GET
    @Path("settings")
    @Authorize(Rule.NAMESPACE_ADMIN)
    public TemplateInstance settings(@PathParam("namespace") String name) {
        Namespace namespace = namespaces.require(name);
        UsageStore.NamespaceUsage used = usage.namespace(name).orElseThrow();
        UsageStore.Stored stored = used.stored();
        List<UsageRow> rows = List.of(
                new UsageRow("stored (distinct blobs)", Format.bytes(stored.bytes()) + " in " + stored.blobs() + " blobs"),
                new UsageRow("unique (freed by deleting the namespace)", Format.bytes(stored.uniqueBytes())),
                new UsageRow("shared with other namespaces", Format.bytes(stored.sharedBytes())),
                new UsageRow("repositories", String.valueOf(used.contents().repositories())),
                new UsageRow("tags", String.valueOf(used.contents().tags())),
                new UsageRow("manifests", used.contents().manifests() + " (" + Format.bytes(used.contents().manifestBytes()) + ")"),
                new UsageRow("quota", used.quotaBytes() == null ? "none" : Format.bytes(used.quotaBytes())
                        + " (" + percent(stored.bytes(), used.quotaBytes()) + " used)"));
        return tab(namespace, "settings").data("usage", rows).data("quotaBytes", namespace.quotaBytes);
    }

    @POST
    @Path("visibility")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response visibility(@PathParam("namespace") String name, @FormParam("visibility") String visibility) {
        namespaces.update(name, oneOf(visibility, VISIBILITIES, "visibility"), null, null);
        return Pages.seeOther("/ui/namespaces/" + name + "/settings");
    }

    @POST
    @Path("quota")
    @Authorize(Rule.SERVER_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response quota(@PathParam("namespace") String name, @FormParam("bytes") String bytes) {
        Long quota;
        try {
            quota = bytes == null || bytes.isBlank() ? null : Long.parseLong(bytes.trim());
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "the quota is a number of bytes, or empty for none", bytes);
        }
        if (quota != null && quota < 0) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "the quota is zero or more bytes", bytes);
        }
        namespaces.setQuota(name, quota);
        return Pages.seeOther("/ui/namespaces/" + name + "/settings");
    }

    @GET
    @Path("robots")
    @Authorize(Rule.NAMESPACE_ADMIN)
    public TemplateInstance robots(@PathParam("namespace") String name) {
        Namespace namespace = namespaces.require(name);
        List<RobotRow> rows = robots.list(name).stream().map(NamespaceConsoleResource::row).toList();
        return tab(namespace, "robots").data("robots", rows);
    }

    @POST
    @Path("robots")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public TemplateInstance createRobot(@PathParam("namespace") String name, @FormParam("name") String robot,
                                        @FormParam("actions") List<String> actions,
                                        @FormParam("repositories") String repositories,
                                        @FormParam("expires") String expires) {
        Namespace namespace = namespaces.require(name);
        List<String> patterns = patterns(repositories);
        return secret(namespace, robots.create(namespace, robot == null ? null : robot.trim(), actions, patterns,
                expiry(expires)), "created");
    }

    @POST
    @Path("robots/{robot}/rotate")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public TemplateInstance rotateRobot(@PathParam("namespace") String name, @PathParam("robot") String robot) {
        return secret(namespaces.require(name), robots.rotate(name, robot), "rotated");
    }

    @POST
    @Path("robots/{robot}/delete")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response deleteRobot(@PathParam("namespace") String name, @PathParam("robot") String robot) {
        robots.delete(name, robot);
        return Pages.seeOther("/ui/namespaces/" + name + "/robots");
    }

    /** The namespace's tag policies, blocked and immutable alike, for its readers; its admins add and delete them. */
    @GET
    @Path("policies")
    @Authorize(Rule.NAMESPACE_READER)
    public TemplateInstance policies(@PathParam("namespace") String name) {
        Namespace namespace = namespaces.require(name);
        List<PolicyRow> rows = tagPolicies.list(name).stream().map(stored -> {
            TagPolicyStore.Definition d = stored.definition();
            return new PolicyRow(d.name(), d.kind(), String.join(", ", d.repositories()), String.join(", ", d.tags()),
                    String.join(", ", d.exclusions()), d.description() == null ? "" : d.description());
        }).toList();
        return tab(namespace, "policies").data("policies", rows);
    }

    /** Adds a tag policy: the admin API's validation and store call ({@link TagPolicyChanges}). */
    @POST
    @Path("policies")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response addPolicy(@PathParam("namespace") String name, @FormParam("name") String policy,
                              @FormParam("kind") String kind, @FormParam("repositories") String repositories,
                              @FormParam("tags") String tags, @FormParam("exclusions") String exclusions,
                              @FormParam("description") String description) {
        List<String> scope = patterns(repositories);
        policyChanges.create(name, new TagPolicyViews.NewTagPolicy(policy == null ? null : policy.trim(), kind,
                scope.isEmpty() ? null : scope, patterns(tags), patterns(exclusions),
                description == null || description.isBlank() ? null : description.trim()));
        return Pages.seeOther("/ui/namespaces/" + name + "/policies");
    }

    @POST
    @Path("policies/{policy}/delete")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response deletePolicy(@PathParam("namespace") String name, @PathParam("policy") String policy) {
        policyChanges.delete(name, policy);
        return Pages.seeOther("/ui/namespaces/" + name + "/policies");
    }

    /** The namespace's retention rules and recent runs, for its admins (as the admin API shows them). */
    @GET
    @Path("retention")
    @Authorize(Rule.NAMESPACE_ADMIN)
    public TemplateInstance retention(@PathParam("namespace") String name) {
        return retentionTab(namespaces.require(name));
    }

    /** What a retention run would delete now, deleting nothing ({@link Retention#dryRun}, as the admin API's dry run). */
    @POST
    @Path("retention/dry-run")
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public TemplateInstance retentionDryRun(@PathParam("namespace") String name) {
        Namespace namespace = namespaces.require(name);
        Retention.Outcome outcome = retention.dryRun(name);
        return retentionTab(namespace).data("dryRun", outcome).data("freed", Format.bytes(outcome.bytes()));
    }

    private TemplateInstance retentionTab(Namespace namespace) {
        List<RunRow> runs = retentionStore.runs(namespace.name, null, RUNS_SHOWN).stream().map(run -> new RunRow(run.id(),
                run.startedBy(), Format.time(run.startedAt()), Format.time(run.finishedAt()), run.tags(), run.manifests(),
                Format.bytes(run.bytes()), run.error() == null ? "" : run.error())).toList();
        return tab(namespace, "retention").data("rules", retentionStore.rules(namespace.name)).data("runs", runs)
                .data("dryRun", null).data("freed", null);
    }

    /** Patterns as a form field carries them: separated by commas or white space. */
    private static List<String> patterns(String field) {
        return field == null ? List.of() : Arrays.stream(field.split("[,\\s]+")).filter(p -> !p.isEmpty()).toList();
    }

    /** The one page that shows a robot's secret: with the Secret, a Pod that uses it, a docker login line, config.json. */
    private TemplateInstance secret(Namespace namespace, Robots.Credential credential, String what) {
        Robots.Exports exports = robots.exports(credential, null, null);
        String pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: example\nspec:\n  containers:\n    - name: app\n"
                + "      image: " + exports.host() + "/" + namespace.name + "/REPOSITORY:TAG\n"
                + "  imagePullSecrets:\n    - name: " + exports.secretName() + "\n";
        String login = "docker login " + exports.host() + " --username '" + exports.username() + "' --password-stdin";
        return tab(namespace, "robots").data("what", what).data("exports", exports).data("pod", pod)
                .data("login", login).data("robot", row(credential.robot()));
    }

    private TemplateInstance tab(Namespace namespace, String tab) {
        return pages.page("namespace-" + tab + ".html").data("namespace", namespace.name)
                .data("visibility", namespace.visibility).data("admin", access.administers(namespace.name))
                .data("tab", tab);
    }

    private static RobotRow row(Account robot) {
        return new RobotRow(robot.name, robot.name.substring(robot.name.indexOf('+') + 1), robot.actions,
                robot.repositories.replace(",", ", "), Format.time(robot.expiresAt), Format.time(robot.createdAt));
    }

    /** A date (the robot expires at its start, UTC) or an ISO timestamp; empty: never. */
    private static OffsetDateTime expiry(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return value.length() == 10 ? LocalDate.parse(value).atStartOfDay().atOffset(ZoneOffset.UTC)
                    : OffsetDateTime.parse(value);
        } catch (DateTimeParseException e) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "the expiry is a date (YYYY-MM-DD)", value);
        }
    }

    private static String oneOf(String value, List<String> allowed, String what) {
        if (value == null || !allowed.contains(value)) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, what + " must be one of " + String.join(", ", allowed), value);
        }
        return value;
    }

    private static String percent(long used, long quota) {
        return quota == 0 ? "—" : Math.round(100.0 * used / quota) + "%";
    }
}
