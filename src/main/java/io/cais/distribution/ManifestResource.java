package io.cais.distribution;

import io.cais.alias.ArchAliases;
import io.cais.auth.AccessControl;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.auth.workload.PullAudit;
import io.cais.content.MediaTypes;
import io.cais.content.Reference;
import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.manifest.ManifestLookup;
import io.cais.manifest.Manifests;
import io.cais.metadata.ManifestRecord;
import io.cais.proxy.PullThrough;
import io.cais.stats.PullStatistics;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Manifests: {@code PUT|GET|HEAD|DELETE /v2/<name>/manifests/<reference>}, by tag or by digest. */
@Path("/v2")
@RunOnVirtualThread
public class ManifestResource {

    @Inject
    ManifestLookup lookup;

    @Inject
    Manifests manifests;

    @Inject
    ArchAliases aliases;

    @Inject
    DistributionConfig config;

    @Inject
    PullAudit audit;

    @Inject
    PullThrough proxy;

    @Inject
    PullStatistics pulls;

    @Inject
    AccessControl access;

    @HEAD
    @Authorize(Rule.REPOSITORY_PULL)
    @Path("{name: .+}/manifests/{reference: [^/]+}")
    public Response head(@PathParam("name") String name, @PathParam("reference") String reference,
                         @BeanParam ManifestRequestHeaders headers) {
        return serve(name, reference, false, headers);
    }

    @GET
    @Authorize(Rule.REPOSITORY_PULL)
    @Path("{name: .+}/manifests/{reference: [^/]+}")
    public Response get(@PathParam("name") String name, @PathParam("reference") String reference,
                        @BeanParam ManifestRequestHeaders headers) {
        return serve(name, reference, true, headers);
    }

    @PUT
    @Authorize(Rule.REPOSITORY_PUSH)
    @Path("{name: .+}/manifests/{reference: [^/]+}")
    public Response put(@PathParam("name") String name, @PathParam("reference") String referenceParam,
                        @QueryParam("tag") List<String> tags, @Context HttpHeaders headers, InputStream body) throws IOException {
        String repository = RepositoryName.require(name);
        Reference reference = Reference.parse(referenceParam);
        List<String> extraTags = tags == null ? List.of() : tags;
        Manifests.Pushed pushed = manifests.put(repository, reference, extraTags,
                headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
                readLimited(body, headers.getHeaderString(HttpHeaders.CONTENT_LENGTH)), access.caller().name());
        Response.ResponseBuilder response = Response.status(201)
                .header("Location", "/v2/" + repository + "/manifests/" + pushed.digest())
                .header(RegistryHeaders.CONTENT_DIGEST, pushed.digest().toString())
                .header(HttpHeaders.CONTENT_LENGTH, 0);
        if (pushed.subject() != null) {
            response.header(RegistryHeaders.SUBJECT, pushed.subject().toString());
        }
        if (!extraTags.isEmpty()) {
            // One OCI-Tag field per tag created: how a client learns that the ?tag= parameters were honoured.
            pushed.tags().forEach(tag -> response.header(RegistryHeaders.OCI_TAG, tag));
        }
        return response.build();
    }

    @DELETE
    @Authorize(Rule.REPOSITORY_DELETE)
    @Path("{name: .+}/manifests/{reference: [^/]+}")
    public Response delete(@PathParam("name") String name, @PathParam("reference") String reference) {
        String repository = RepositoryName.require(name);
        manifests.delete(repository, Reference.lookup(reference));
        return Response.accepted().header(HttpHeaders.CONTENT_LENGTH, 0).build();
    }

    /**
     * {@code Cache-Control: no-cache} (or {@code no-store}, {@code max-age=0}) asks for the database's answer, not
     * this replica's cached one, which may lag a change made on another replica by the notification's delivery.
     */
    static boolean noCache(String cacheControl) {
        if (cacheControl == null) {
            return false;
        }
        for (String directive : cacheControl.split(",")) {
            String d = directive.trim().toLowerCase(java.util.Locale.ROOT);
            if (d.equals("no-cache") || d.equals("no-store") || d.equals("max-age=0")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The manifest the reference names, in a media type the client accepts ({@link ManifestNegotiation}); 304 when
     * the client already has it ({@link ConditionalRequests}).
     */
    private Response serve(String name, String referenceParam, boolean withBody, ManifestRequestHeaders headers) {
        String repository = RepositoryName.require(name);
        Reference reference = Reference.lookup(referenceParam);
        boolean fresh = noCache(headers.cacheControl);
        Optional<Set<String>> accepted = ManifestNegotiation.accepted(headers.accept);
        PullThrough.Served served = find(repository, reference, withBody, fresh, referenceParam);
        ManifestRecord stored = served.manifest();
        ManifestRecord manifest = ManifestNegotiation.acceptable(accepted, stored.mediaType()) ? stored
                : acceptableChild(repository, reference, stored, accepted.get(), withBody, fresh).orElseThrow(() ->
                        new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "the manifest exists, but in no media type the "
                                + "request accepts", Map.of("mediaType", stored.mediaType())));
        Response.ResponseBuilder response;
        if (ConditionalRequests.notModified(headers.ifNoneMatch, manifest.digest())) {
            response = Response.notModified();
        } else {
            response = (withBody ? Response.ok(manifest.payload()) : Response.ok())
                    .header(HttpHeaders.CONTENT_TYPE, manifest.mediaType())
                    .header(HttpHeaders.CONTENT_LENGTH, manifest.size());
        }
        if (reference instanceof Reference.ByDigest) {
            response.header(HttpHeaders.CACHE_CONTROL, ConditionalRequests.IMMUTABLE);
        }
        if (served.warning() != null) {
            response.header("Warning", served.warning());
        }
        audit.served(repository, manifest.digest());
        counted(reference, stored, manifest);
        return response
                .header(RegistryHeaders.CONTENT_DIGEST, manifest.digest())
                .header(HttpHeaders.ETAG, ConditionalRequests.etag(manifest.digest()))
                .build();
    }

    /**
     * Counts the pull (in memory, {@link PullStatistics}): the tag it named, the manifest it resolved to, and the
     * child served in its place to a client that does not accept an index.
     */
    private void counted(Reference reference, ManifestRecord stored, ManifestRecord served) {
        pulls.pulled(stored.repositoryId(), stored.digest(), reference instanceof Reference.Tag tag ? tag.name() : null);
        if (served != stored) {
            pulls.pulled(served.repositoryId(), served.digest(), null);
        }
    }

    /** For a client that does not accept the stored index or list: its linux/amd64 child, when that is acceptable. */
    private Optional<ManifestRecord> acceptableChild(String repository, Reference reference, ManifestRecord stored,
                                                     Set<String> accepted, boolean withBody, boolean fresh) {
        if (!MediaTypes.isIndex(stored.mediaType())) {
            return Optional.empty();
        }
        byte[] index = stored.payload() != null ? stored.payload()
                : find(repository, reference, true, fresh, reference.toString()).manifest().payload();
        return ManifestNegotiation.defaultChild(index, accepted)
                .flatMap(child -> lookup.find(repository, Reference.lookup(child), withBody, fresh))
                .filter(child -> accepted.contains(child.mediaType()));
    }

    /**
     * The repository's manifest; when the repository has none, the one its name serves as an arch alias. In a cache
     * namespace, the pull-through cache's (fetched from the upstream on a miss, a tag revalidated when due).
     */
    private PullThrough.Served find(String repository, Reference reference, boolean withBody, boolean fresh, String asked) {
        if (proxy.caches(repository)) {
            return proxy.manifest(repository, reference, withBody, fresh);
        }
        return new PullThrough.Served(lookup.find(repository, reference, withBody, fresh)
                .or(() -> aliases.manifest(repository, reference, withBody, fresh)).orElseThrow(() ->
                new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown", asked)), null);
    }

    /** Reads the manifest, refusing more than the configured maximum without reading it all (413). */
    private byte[] readLimited(InputStream body, String contentLength) throws IOException {
        int max = config.maxManifestSize();
        if (contentLength != null) {
            try {
                if (Long.parseLong(contentLength.trim()) > max) {
                    throw tooLarge(max);
                }
            } catch (NumberFormatException e) {
                throw new RegistryException(ErrorCode.MANIFEST_INVALID, "malformed Content-Length", contentLength);
            }
        }
        byte[] bytes = body.readNBytes(max + 1);
        if (bytes.length > max) {
            throw tooLarge(max);
        }
        return bytes;
    }

    private static RegistryException tooLarge(int max) {
        return new RegistryException(ErrorCode.SIZE_INVALID, "manifest is larger than the limit",
                Map.of("maxBytes", max)).withStatus(413);
    }
}
