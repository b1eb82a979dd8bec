package io.cais.distribution;

import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.content.Reference;
import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.manifest.ManifestLookup;
import io.cais.manifest.ManifestRecord;
import io.cais.manifest.Manifests;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** Manifests: {@code PUT|GET|HEAD|DELETE /v2/<name>/manifests/<reference>}, by tag or by digest. */
@Path("/v2")
@RunOnVirtualThread
public class ManifestResource {

    @Inject
    ManifestLookup lookup;

    @Inject
    Manifests manifests;

    @Inject
    DistributionConfig config;

    @HEAD
    @Authorize(Rule.REPOSITORY_PULL)
    @Path("{name: .+}/manifests/{reference: [^/]+}")
    public Response head(@PathParam("name") String name, @PathParam("reference") String reference,
                         @HeaderParam("Cache-Control") String cacheControl) {
        return serve(name, reference, false, noCache(cacheControl));
    }

    @GET
    @Authorize(Rule.REPOSITORY_PULL)
    @Path("{name: .+}/manifests/{reference: [^/]+}")
    public Response get(@PathParam("name") String name, @PathParam("reference") String reference,
                        @HeaderParam("Cache-Control") String cacheControl) {
        return serve(name, reference, true, noCache(cacheControl));
    }

    @PUT
    @Authorize(Rule.REPOSITORY_PUSH)
    @Path("{name: .+}/manifests/{reference: [^/]+}")
    public Response put(@PathParam("name") String name, @PathParam("reference") String referenceParam,
                        @Context HttpHeaders headers, InputStream body) throws IOException {
        String repository = RepositoryName.require(name);
        Reference reference = Reference.parse(referenceParam);
        Manifests.Pushed pushed = manifests.put(repository, reference, headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
                readLimited(body, headers.getHeaderString(HttpHeaders.CONTENT_LENGTH)));
        Response.ResponseBuilder response = Response.status(201)
                .header("Location", "/v2/" + repository + "/manifests/" + pushed.digest())
                .header(RegistryHeaders.CONTENT_DIGEST, pushed.digest().toString())
                .header(HttpHeaders.CONTENT_LENGTH, 0);
        if (pushed.subject() != null) {
            response.header(RegistryHeaders.SUBJECT, pushed.subject().toString());
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

    private Response serve(String name, String referenceParam, boolean withBody, boolean fresh) {
        String repository = RepositoryName.require(name);
        Reference reference = Reference.lookup(referenceParam);
        ManifestRecord manifest = lookup.find(repository, reference, withBody, fresh).orElseThrow(() ->
                new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown", referenceParam));
        Response.ResponseBuilder response = withBody ? Response.ok(manifest.payload()) : Response.ok();
        return response
                .header(HttpHeaders.CONTENT_TYPE, manifest.mediaType())
                .header(HttpHeaders.CONTENT_LENGTH, manifest.size())
                .header(RegistryHeaders.CONTENT_DIGEST, manifest.digest())
                .header(HttpHeaders.ETAG, "\"" + manifest.digest() + "\"")
                .build();
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
