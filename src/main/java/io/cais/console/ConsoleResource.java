package io.cais.console;

import io.cais.auth.AccessControl;
import io.cais.auth.Authorize;
import io.cais.auth.ConsoleRoute;
import io.cais.auth.ConsoleSessions;
import io.cais.auth.Rule;
import io.cais.content.Digest;
import io.cais.content.MediaTypes;
import io.cais.content.Reference;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.gc.GarbageCollector;
import io.cais.metadata.Account;
import io.cais.metadata.ManifestRecord;
import io.cais.metadata.ManifestStore;
import io.cais.metadata.Namespace;
import io.cais.metadata.NamespaceStore;
import io.cais.metadata.RepositoryStore;
import io.cais.metadata.Slice;
import io.cais.metadata.TagGuard;
import io.cais.metadata.TagListingStore;
import io.cais.metadata.TagPolicyStore;
import io.cais.metadata.TagPolicyStore.StoredTagPolicy;
import io.cais.metadata.TagStore;
import io.cais.storage.BlobContent;
import io.cais.storage.BlobStore;
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
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The web console's pages for browsing: sign-in and sign-out, the namespaces the user can see, a namespace's
 * repositories, a repository's tags, a manifest, and the garbage collector's status. Every route declares its rule
 * like the API's routes, enforced by the same {@link AccessControl} for the signed-in account.
 */
@ConsoleRoute
@Path("/ui")
@RunOnVirtualThread
@Produces(MediaType.TEXT_HTML)
public class ConsoleResource {

    private static final List<String> TAG_SORTS = List.of("name", "pushed", "pulled");
    /** Image configs are small; a bigger one is not read into a page. */
    private static final long MAX_CONFIG_BYTES = 1024 * 1024;
    private static final int REFERRERS_SHOWN = 100;

    @Inject
    Pages pages;

    @Inject
    ConsoleSessions sessions;

    @Inject
    AccessControl access;

    @Inject
    ConsoleConfig config;

    @Inject
    NamespaceStore namespaces;

    @Inject
    RepositoryStore repositories;

    @Inject
    TagStore tags;

    @Inject
    ManifestStore manifests;

    @Inject
    TagListingStore listings;

    @Inject
    TagPolicyStore policies;

    @Inject
    TagGuard guard;

    @Inject
    BlobStore blobs;

    @Inject
    GarbageCollector collector;

    @TemplateData
    public record NamespaceRow(String name, String visibility, String quota) {
    }

    @TemplateData
    public record TagRow(String name, String digest, String shortDigest, String mediaType, List<String> platforms,
                         String size, String pushedAt, String pushedBy, String lastPulled, long pulls, boolean immutable) {
    }

    @TemplateData
    public record PullLine(String id, String label, String command) {
    }

    @ServerExceptionMapper
    public Response refused(RegistryException e) {
        return pages.error(e);
    }

    @GET
    @Path("login")
    @Authorize(Rule.ANYONE)
    public TemplateInstance loginPage(@QueryParam("next") String next) {
        return loginForm(next, null);
    }

    private TemplateInstance loginForm(String next, String failure) {
        return pages.page("login.html").data("loginToken", sessions.loginToken()).data("next", safeNext(next))
                .data("failure", failure);
    }

    @POST
    @Path("login")
    @Authorize(Rule.ANYONE)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response login(@FormParam("username") String username, @FormParam("password") String password,
                          @FormParam("next") String next) {
        try {
            sessions.signIn(username, password);
        } catch (RegistryException e) {
            if (e.code() != ErrorCode.UNAUTHORIZED && e.code() != ErrorCode.TOOMANYREQUESTS) {
                throw e;
            }
            return Response.status(e.status()).entity(loginForm(next, e.getMessage()).render()).build();
        }
        return Pages.seeOther(safeNext(next));
    }

    @POST
    @Path("logout")
    @Authorize(Rule.USER)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response logout() {
        sessions.signOut();
        return Pages.seeOther(ConsoleSessions.LOGIN_PATH);
    }

    @GET
    @Authorize(Rule.USER)
    public TemplateInstance home() {
        Account user = access.user();
        List<NamespaceRow> rows = namespaces.visibleTo(user).stream().map(namespace -> new NamespaceRow(namespace.name,
                namespace.visibility, namespace.quotaBytes == null ? "none" : Format.bytes(namespace.quotaBytes))).toList();
        return pages.page("namespaces.html").data("namespaces", rows);
    }

    @GET
    @Path("repositories/{name: .+}/-/tags")
    @Authorize(Rule.REPOSITORY_PULL)
    public TemplateInstance tags(@PathParam("name") String repository, @QueryParam("q") String filter,
                                 @QueryParam("sort") String sort, @QueryParam("dir") String direction,
                                 @QueryParam("page") Integer page, @QueryParam("size") Integer size) {
        long id = repositories.id(repository).orElseThrow(() -> unknown(repository));
        Listing listing = Listing.of(tagsPath(repository), filter, sort, direction, page, size, config.pageSize(), TAG_SORTS);
        Slice<TagStore.Listed> slice = tags.list(id, listing.filter(),
                TagStore.ListOrder.valueOf(listing.sort().toUpperCase(Locale.ROOT)), listing.descending(),
                listing.offset(), listing.pageSize());
        List<StoredTagPolicy> rules = policies.list(Namespace.of(repository)); // once per page
        List<TagRow> rows = slice.items().stream().map(t -> new TagRow(t.name(), t.digest(), Format.shortDigest(t.digest()),
                t.mediaType(), t.indexPayload() == null ? List.of() : ManifestDocument.platforms(t.indexPayload()),
                Format.bytes(t.contentBytes()), Format.time(t.pushedAt()), orDash(t.pushedBy()),
                t.lastPulledAt() == null ? "never" : Format.time(t.lastPulledAt()), t.pulls(),
                guard.immutable(rules, repository, t.name()).isPresent())).toList();
        return pages.page("tags.html").data("repository", repository).data("namespace", Namespace.of(repository))
                .data("listing", listing.withTotal(slice.total())).data("tags", rows).data("host", host());
    }

    @GET
    @Path("repositories/{name: .+}/-/manifests/{reference}")
    @Authorize(Rule.REPOSITORY_PULL)
    public TemplateInstance manifest(@PathParam("name") String repository, @PathParam("reference") String reference) {
        Reference parsed = Reference.lookup(reference);
        ManifestRecord record = manifests.find(repository, parsed, true).orElseThrow(() ->
                new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "no manifest '" + reference + "' in '" + repository + "'", reference));
        ManifestDocument document = ManifestDocument.parse(record.payload());
        boolean index = MediaTypes.isIndex(record.mediaType());
        ManifestDocument.Descriptor configDescriptor = index ? null : document.config();
        List<ManifestDocument.Descriptor> layers = document.layers();
        long layerBytes = layers.stream().mapToLong(ManifestDocument.Descriptor::size).sum();
        String host = host();
        String byDigest = host + "/" + repository + "@" + record.digest();
        String byTag = parsed instanceof Reference.Tag ? host + "/" + repository + ":" + reference : null;
        Digest digest = Digest.parse(record.digest());
        Optional<TagListingStore.ManifestDetails> details = listings.manifest(repository, record.digest());
        return pages.page("manifest.html").data("repository", repository).data("namespace", Namespace.of(repository))
                .data("reference", reference).data("digest", record.digest()).data("mediaType", record.mediaType())
                .data("size", Format.bytes(record.size())).data("index", index)
                .data("children", document.children()).data("config", configDescriptor)
                .data("configSummary", configDescriptor == null ? List.of() : configSummary(configDescriptor))
                .data("layers", layers).data("layerBytes", Format.bytes(layerBytes))
                .data("artifactType", document.artifactType()).data("subject", document.subject())
                .data("annotations", document.annotations())
                .data("tags", tags.pointingAt(record.repositoryId(), record.digest(), 20))
                .data("referrers", manifests.referrers(repository, digest, null, null, REFERRERS_SHOWN).items())
                .data("pushedBy", details.map(d -> orDash(d.pushedBy())).orElse("—"))
                .data("lastPulled", details.map(d -> d.lastPulledAt() == null ? "never" : Format.time(d.lastPulledAt())).orElse("never"))
                .data("pulls", details.map(TagListingStore.ManifestDetails::pulls).orElse(0L))
                .data("byDigest", parsed instanceof Reference.ByDigest)
                .data("pullByTag", byTag == null ? List.of() : pullLines(byTag, "tag"))
                .data("pullByDigest", pullLines(byDigest, "digest"));
    }

    @GET
    @Path("gc")
    @Authorize(Rule.SERVER_ADMIN)
    public TemplateInstance gc() {
        GarbageCollector.Status status = collector.status();
        return pages.page("gc.html").data("status", status).data("freed", Format.bytes(status.totals().bytes()))
                .data("lastRun", Format.time(status.lastRunAt()));
    }

    /** Who pushed, or a dash for what was pushed before the registry recorded it. */
    private static String orDash(String value) {
        return value == null ? "—" : value;
    }

    static String tagsPath(String repository) {
        return "/ui/repositories/" + repository + "/-/tags";
    }

    /** {@code docker pull}, {@code podman pull} and {@code crictl pull} lines, by tag or by digest ({@code by}). */
    private static List<PullLine> pullLines(String image, String by) {
        return java.util.stream.Stream.of("docker", "podman", "crictl").map(client -> new PullLine(
                "pull-" + by + "-" + client, client + " pull by " + by, client + " pull " + image)).toList();
    }

    /** host[:port] of the registry as clients address it. */
    private String host() {
        return URI.create(access.externalUrl()).getRawAuthority();
    }

    private List<ManifestDocument.Annotation> configSummary(ManifestDocument.Descriptor descriptor) {
        if (descriptor.size() > MAX_CONFIG_BYTES) {
            return List.of();
        }
        try {
            BlobContent content = blobs.read(Digest.parse(descriptor.digest()), 0, descriptor.size());
            byte[] bytes = switch (content) {
                case BlobContent.FileRegion region -> Files.readAllBytes(region.path());
                case BlobContent.Stream stream -> {
                    try (InputStream in = stream.stream()) {
                        yield in.readAllBytes();
                    }
                }
            };
            return ManifestDocument.configSummary(bytes);
        } catch (IOException | RuntimeException e) {
            // The page still shows the manifest; the config's details are left out.
            return List.of();
        }
    }

    /** Only a path inside the console: a sign-in link must not send the user to another site. */
    private static String safeNext(String next) {
        return next != null && next.startsWith("/ui") && !next.startsWith("//") && !next.contains("\\") ? next : "/ui";
    }

    private static RegistryException unknown(String repository) {
        return new RegistryException(ErrorCode.NAME_UNKNOWN, "repository '" + repository + "' does not exist", repository);
    }
}
