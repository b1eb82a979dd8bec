package io.cais.error;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * A failed {@code HEAD} has no body to describe its error, so it must not announce one: clients (containerd among
 * them) read {@code Content-Length} of a HEAD as the size of what a GET would return.
 */
public class HeadErrors {

    @ServerResponseFilter
    public void withoutBody(ContainerRequestContext request, ContainerResponseContext response) {
        if ("HEAD".equals(request.getMethod()) && response.getStatus() >= 400) {
            response.setEntity(null);
            response.getHeaders().putSingle("Content-Length", "0");
        }
    }
}
