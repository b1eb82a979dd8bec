package io.cais.error;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Turns every failure into the OCI error JSON: registry errors as they are, framework errors (unknown route,
 * wrong method, unreadable body) by their status, a dependency that is down ({@link Unavailability}) into a 503
 * {@code UNAVAILABLE} with {@code Retry-After} (logged once per outage by {@link Outages}, not per request), and
 * anything else into a 500 whose body names a request id that the log line carries with the stack trace.
 */
@Provider
public class ErrorResponses {

    private static final Logger LOG = Logger.getLogger(ErrorResponses.class);

    @Inject
    Outages outages;

    @Inject
    OutageConfig outageConfig;

    @ServerExceptionMapper
    public Response registry(RegistryException e) {
        Response.ResponseBuilder builder = Response.status(e.status())
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorBody.of(e.code(), e.getMessage(), e.detail()));
        for (Map.Entry<String, String> header : e.headers().entrySet()) {
            builder.header(header.getKey(), header.getValue());
        }
        return builder.build();
    }

    @ServerExceptionMapper
    public Response framework(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e);
        }
        ErrorCode code = switch (status) {
            case 400 -> ErrorCode.INVALID_REQUEST;
            case 401 -> ErrorCode.UNAUTHORIZED;
            case 403 -> ErrorCode.DENIED;
            case 404 -> ErrorCode.NOT_FOUND;
            case 413 -> ErrorCode.SIZE_INVALID;
            case 429 -> ErrorCode.TOOMANYREQUESTS;
            default -> ErrorCode.UNSUPPORTED;
        };
        String message = status == 404 ? "no such endpoint: " + uri.getPath() : e.getMessage();
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorBody.of(code, message, null)).build();
    }

    /**
     * A JSON body that does not parse or does not fit the request's type (admin API). Without this, the JSON
     * provider's own mappers answer 400 with an empty body or a document of their own instead of the error JSON.
     */
    @ServerExceptionMapper
    public Response unreadableJson(JacksonException e) {
        return Response.status(400).type(MediaType.APPLICATION_JSON_TYPE)
                // No detail: the parser's message names Cais' internal classes.
                .entity(ErrorBody.of(ErrorCode.INVALID_REQUEST, "the request body is not the JSON this endpoint takes",
                        null)).build();
    }

    /** The most specific type the JSON provider maps itself; named so that this mapper is the closer match. */
    @ServerExceptionMapper
    public Response mismatchedJson(MismatchedInputException e) {
        return unreadableJson(e);
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e) {
        Optional<Dependency> down = Unavailability.of(e);
        if (down.isPresent()) {
            return unavailable(down.get(), e);
        }
        String requestId = UUID.randomUUID().toString();
        LOG.errorf(e, "request %s failed unexpectedly", requestId);
        return Response.status(500).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorBody.of(ErrorCode.UNKNOWN, "internal server error", Map.of("requestId", requestId)))
                .build();
    }

    private Response unavailable(Dependency dependency, Throwable e) {
        outages.failed(dependency, e);
        long retryAfter = Math.max(1, outageConfig.retryAfter().toSeconds());
        return Response.status(503).type(MediaType.APPLICATION_JSON_TYPE)
                .header("Retry-After", retryAfter)
                .entity(ErrorBody.of(ErrorCode.UNAVAILABLE, "service unavailable",
                        Map.of("unavailable", dependency.label())))
                .build();
    }
}
