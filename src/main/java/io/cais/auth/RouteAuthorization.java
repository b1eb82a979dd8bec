package io.cais.auth;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ResourceInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveContainerRequestContext;

import java.lang.reflect.Method;

/**
 * Enforces each route's declared {@link Authorize} rule after routing and before the handler runs (and before
 * its body is read). A route without a declaration is refused: authorization fails closed.
 */
public class RouteAuthorization {

    private static final Logger LOG = Logger.getLogger(RouteAuthorization.class);

    @Inject
    AccessControl access;

    @ServerRequestFilter
    public void authorize(ResteasyReactiveContainerRequestContext request, ResourceInfo resource) {
        Method method = resource.getResourceMethod();
        Authorize declared = method == null ? null : method.getAnnotation(Authorize.class);
        if (declared == null) {
            LOG.errorf("refused %s %s: the route declares no @Authorize rule", request.getMethod(),
                    request.getUriInfo().getPath());
            throw new RegistryException(ErrorCode.DENIED, "this endpoint declares no access rule");
        }
        // Path parameters straight from the matched route; UriInfo.getPathParameters() would copy them into a new
        // map on every request. Quarkus REST's request context is the only implementation of this interface.
        var context = (ResteasyReactiveRequestContext) request.getServerRequestContext();
        access.enforce(declared.value(), name -> context.getPathParameter(name, false), request.getUriInfo());
    }
}
