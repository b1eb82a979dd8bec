package io.cais.error;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.RoutingContext;

/** The OCI error JSON answered by an HTTP filter that refuses a request before any resource method runs. */
public final class FilterErrors {

    private FilterErrors() {
    }

    /** Ends the request with {@code status} and the error body; extra headers come as name, value pairs. */
    public static void reject(RoutingContext context, ObjectMapper json, int status, ErrorBody body, String... headers) {
        try {
            var response = context.response().setStatusCode(status).putHeader("Content-Type", "application/json");
            for (int i = 0; i + 1 < headers.length; i += 2) {
                response.putHeader(headers[i], headers[i + 1]);
            }
            response.end(json.writeValueAsString(body));
        } catch (Exception e) {
            context.fail(e);
        }
    }
}
