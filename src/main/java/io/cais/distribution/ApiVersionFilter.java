package io.cais.distribution;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/** Every /v2 response, errors included, names the API version, as Distribution does. */
public class ApiVersionFilter {

    @ServerResponseFilter
    public void apiVersion(ContainerRequestContext request, ContainerResponseContext response) {
        if (request.getUriInfo().getPath().startsWith("/v2")) {
            response.getHeaders().putSingle(RegistryHeaders.API_VERSION, RegistryHeaders.API_VERSION_VALUE);
        }
    }
}
