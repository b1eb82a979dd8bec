package io.cais.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cais.alias.ArchAliases;
import io.cais.auth.AccessControl;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.content.Digest;
import io.cais.content.MediaTypes;
import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.ManifestStore;
import io.cais.metadata.Page;
import io.cais.metadata.RepositoryStore;
import io.cais.metadata.TagStore;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Content discovery: tag lists, the catalog and referrers, each paged with {@code n}/{@code last}. */
@Path("/v2")
@RunOnVirtualThread
public class ListingResource {

    @Inject
    AccessControl access;

    @Inject
    TagStore tags;

    @Inject
    RepositoryStore repositories;

    @Inject
    ManifestStore manifests;

    @Inject
    ArchAliases aliases;

    @Inject
    DistributionConfig config;

    @Inject
    ObjectMapper json;

    @GET
    @Authorize(Rule.REPOSITORY_PULL)
    @Path("{name: .+}/tags/list")
    public Response tags(@PathParam("name") String name, @QueryParam("n") String n, @QueryParam("last") String last) {
        String repository = RepositoryName.require(name);
        int limit = Paging.limit(n, config.maxPageSize());
        Page<String> page = tags.page(repository, last, limit)
                .or(() -> aliases.tags(repository, last, limit)).orElseThrow(() ->
                new RegistryException(ErrorCode.NAME_UNKNOWN, "repository name not known to registry", repository));
        Map<String, Object> body = Map.of("name", repository, "tags", page.items());
        return Paging.link(Response.ok(body, MediaType.APPLICATION_JSON_TYPE), page, "/v2/" + repository + "/tags/list",
                limit, page.items().isEmpty() ? "" : page.items().getLast(), null).build();
    }

    @GET
    @Authorize(Rule.CATALOG)
    @Path("_catalog")
    public Response catalog(@QueryParam("n") String n, @QueryParam("last") String last) {
        int limit = Paging.limit(n, config.maxPageSize());
        AccessControl.Visibility visibility = access.catalogVisibility();
        Page<String> page = repositories.page(last, limit, visibility.namespaces(), visibility.repositories());
        return Paging.link(Response.ok(Map.of("repositories", page.items()), MediaType.APPLICATION_JSON_TYPE), page,
                "/v2/_catalog", limit, page.items().isEmpty() ? "" : page.items().getLast(), null).build();
    }

    /**
     * The manifests whose {@code subject} is the digest, as an image index; an unknown digest has an empty one.
     * Annotations and artifact types are carried over from the referring manifests.
     */
    @GET
    @Authorize(Rule.REPOSITORY_PULL)
    @Path("{name: .+}/referrers/{digest: [^/]+}")
    public Response referrers(@PathParam("name") String name, @PathParam("digest") String digestParam,
                              @QueryParam("artifactType") String artifactType, @QueryParam("n") String n,
                              @QueryParam("last") String last) throws IOException {
        String repository = RepositoryName.require(name);
        Digest subject = Digest.parse(digestParam);
        int limit = Paging.limit(n, config.maxPageSize());
        Page<ManifestStore.Referrer> page = manifests.referrers(repository, subject, artifactType, last, limit);

        ObjectNode index = json.createObjectNode().put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode descriptors = index.putArray("manifests");
        for (ManifestStore.Referrer referrer : page.items()) {
            ObjectNode descriptor = descriptors.addObject()
                    .put("mediaType", referrer.mediaType())
                    .put("digest", referrer.digest())
                    .put("size", referrer.size());
            if (referrer.artifactType() != null) {
                descriptor.put("artifactType", referrer.artifactType());
            }
            if (referrer.annotations() != null) {
                JsonNode annotations = json.readTree(referrer.annotations());
                descriptor.set("annotations", annotations);
            }
        }
        Response.ResponseBuilder response = Response.ok(json.writeValueAsBytes(index), MediaTypes.OCI_INDEX);
        if (artifactType != null) {
            response.header(RegistryHeaders.FILTERS_APPLIED, "artifactType");
        }
        String extra = artifactType == null ? null : "artifactType=" + URLEncoder.encode(artifactType, StandardCharsets.UTF_8);
        return Paging.link(response, page, "/v2/" + repository + "/referrers/" + subject, limit,
                page.items().isEmpty() ? "" : page.items().getLast().digest(), extra).build();
    }
}
