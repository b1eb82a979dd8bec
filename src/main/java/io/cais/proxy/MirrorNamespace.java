package io.cais.proxy;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.UriBuilder;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Optional;

/**
 * Cais as a containerd mirror: a node whose {@code hosts.toml} for {@code docker.io} points at Cais asks
 * {@code GET /v2/library/nginx/manifests/1.27?ns=docker.io}. Before routing, such a request is rewritten to the
 * cache namespace of the upstream named by {@code ns} ({@code /v2/dockerhub/library/nginx/manifests/1.27}), so that
 * routing, authorization ({@code AccessControl} checks the cache namespace's roles, and a token challenge names the
 * cache repository's scope) and the handlers all see the cache repository. An {@code ns} that names no upstream is
 * ignored, as the distribution-spec allows: the request is served from Cais's own repositories.
 */
public class MirrorNamespace {

    static final String PARAMETER = "ns";

    @Inject
    Upstreams upstreams;

    @ServerRequestFilter(preMatching = true)
    public void rewrite(ContainerRequestContext request) {
        String ns = request.getUriInfo().getQueryParameters().getFirst(PARAMETER);
        if (ns == null) {
            return;
        }
        String path = request.getUriInfo().getPath();
        Optional<Upstream> upstream = upstreams.named(ns);
        if (upstream.isEmpty() || !path.startsWith("/v2/") || path.equals("/v2/") || path.startsWith("/v2/_")
                || path.startsWith("/v2/" + upstream.get().namespace() + "/")) {
            return;
        }
        request.setRequestUri(UriBuilder.fromUri(request.getUriInfo().getRequestUri())
                .replacePath("/v2/" + upstream.get().namespace() + "/" + path.substring("/v2/".length()))
                .replaceQueryParam(PARAMETER).build());
    }
}
