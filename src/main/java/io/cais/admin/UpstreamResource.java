package io.cais.admin;

import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.UpstreamStore.StoredUpstream;
import io.cais.proxy.Prefetch;
import io.cais.proxy.Upstreams;
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
import java.time.OffsetDateTime;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The upstream registries of the pull-through cache (server administrators only): which registry a namespace
 * caches, with what credentials, how many connections at once and how many requests a minute. A password is accepted
 * and never returned.
 */
@Path("/api/v1/upstreams")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class UpstreamResource {

    /** An upstream's name is a registry host as image references spell it: {@code docker.io}, {@code registry.k8s.io:443}. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?");
    private static final int DEFAULT_CONCURRENCY = 8;
    private static final int MAX_REQUESTS_PER_MINUTE = 1_000_000;

    /**
     * {@code url}: the upstream's base URL; {@code namespace}: the Cais namespace that caches it (created if missing);
     * {@code maxRequestsPerMinute}: requests to the upstream per minute, all replicas together (null: no limit).
     */
    public record NewUpstream(String name, String url, String namespace, String username, String password,
                              Integer maxConcurrency, Integer maxRequestsPerMinute) {
    }

    public record UpstreamView(String name, String url, String namespace, String username, boolean hasPassword,
                               int maxConcurrency, Integer maxRequestsPerMinute, OffsetDateTime createdAt) {
        static UpstreamView of(StoredUpstream stored) {
            return new UpstreamView(stored.name(), stored.url(), stored.namespace(), stored.username(),
                    stored.password() != null, stored.maxConcurrency(), stored.maxRequestsPerMinute(), stored.createdAt());
        }
    }

    @Inject
    Upstreams upstreams;

    @Inject
    Prefetch prefetch;

    /** {@code images}: names in the upstream, {@code library/nginx:1.27}, {@code library/alpine@sha256:…}. */
    public record PrefetchRequest(List<String> images) {
    }

    @POST
    @Authorize(Rule.SERVER_ADMIN)
    public Response create(NewUpstream body) {
        NamespaceResource.require(body);
        String name = body.name();
        if (name == null || name.length() > 255 || !NAME.matcher(name).matches()) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST,
                    "name is the upstream registry's host as image references name it, e.g. docker.io", name);
        }
        StoredUpstream created = upstreams.create(name, settings(body, Namespaces.validName(body.namespace())));
        return Response.created(URI.create("/api/v1/upstreams/" + name)).entity(UpstreamView.of(created)).build();
    }

    @GET
    @Authorize(Rule.SERVER_ADMIN)
    public List<UpstreamView> list() {
        return upstreams.list().stream().map(UpstreamView::of).toList();
    }

    @GET
    @Path("{name}")
    @Authorize(Rule.SERVER_ADMIN)
    public UpstreamView get(@PathParam("name") String name) {
        return UpstreamView.of(upstreams.find(name).orElseThrow(() ->
                new RegistryException(ErrorCode.NOT_FOUND, "upstream '" + name + "' does not exist", name)));
    }

    /**
     * Replaces URL, username and limits (an absent {@code maxRequestsPerMinute} removes the rate limit); a password
     * only when one is given (null keeps the stored one).
     */
    @PUT
    @Path("{name}")
    @Authorize(Rule.SERVER_ADMIN)
    public UpstreamView update(@PathParam("name") String name, NewUpstream body) {
        NamespaceResource.require(body);
        return UpstreamView.of(upstreams.update(name, settings(body, null)));
    }

    /** Stops caching: the namespace and what it cached stay (delete the namespace to drop them). */
    @DELETE
    @Path("{name}")
    @Authorize(Rule.SERVER_ADMIN)
    public Response delete(@PathParam("name") String name) {
        upstreams.delete(name);
        return Response.noContent().build();
    }

    /** Fetches the images into the cache namespace in the background; 202 with the job's progress. */
    @POST
    @Path("{name}/prefetch")
    @Authorize(Rule.SERVER_ADMIN)
    public Response startPrefetch(@PathParam("name") String name, PrefetchRequest body) {
        NamespaceResource.require(body);
        Prefetch.Progress started = prefetch.start(name, body.images());
        return Response.accepted(started).location(URI.create("/api/v1/upstreams/" + name + "/prefetch/" + started.id()))
                .build();
    }

    /** A pre-fetch job's progress, on any replica. */
    @GET
    @Path("{name}/prefetch/{id}")
    @Authorize(Rule.SERVER_ADMIN)
    public Prefetch.Progress prefetchProgress(@PathParam("name") String name, @PathParam("id") String id) {
        return prefetch.progress(name, id).orElseThrow(() -> new RegistryException(ErrorCode.NOT_FOUND,
                "no pre-fetch job " + id + " of upstream '" + name + "'", id));
    }

    private static Upstreams.Settings settings(NewUpstream body, String namespace) {
        URI url;
        try {
            url = URI.create(body.url() == null ? "" : body.url());
        } catch (IllegalArgumentException e) {
            url = null;
        }
        if (url == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null
                || url.getQuery() != null) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST,
                    "url is the upstream registry's base URL, e.g. https://registry-1.docker.io", body.url());
        }
        int concurrency = body.maxConcurrency() == null ? DEFAULT_CONCURRENCY : body.maxConcurrency();
        if (concurrency < 1 || concurrency > 1000) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "maxConcurrency is between 1 and 1000", concurrency);
        }
        Integer rate = body.maxRequestsPerMinute();
        if (rate != null && (rate < 1 || rate > MAX_REQUESTS_PER_MINUTE)) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "maxRequestsPerMinute is between 1 and "
                    + MAX_REQUESTS_PER_MINUTE + ", or absent for no limit", rate);
        }
        if ((body.username() == null) != (body.password() == null) && namespace != null) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "username and password go together");
        }
        return new Upstreams.Settings(url.toString(), namespace, body.username(), body.password(), concurrency, rate);
    }
}
