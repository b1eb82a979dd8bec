package io.cais.platform;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.error.ErrorBody;
import io.cais.error.ErrorCode;
import io.cais.error.FilterErrors;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Rejects a request whose path or query carries an encoded NUL byte ({@code %00}) with 400, before any route sees
 * it. No name, reference, cursor or parameter of any Cais API may contain NUL, and PostgreSQL cannot store one in
 * text ({@code invalid byte sequence for encoding "UTF8": 0x00}): unchecked, such a value reached the database and
 * came back as a 500. Checking the raw URI once covers every route, present and future, of /v2, /api and /auth.
 */
@ApplicationScoped
public class NulByteGuard {

    /** Before RawPathGuard (10,000) and routing, after the request log (20,000) so that refusals are logged. */
    private static final int BEFORE_ROUTING = 15_000;

    void register(@Observes Filters filters, ObjectMapper json) {
        filters.register(context -> guard(context, json), BEFORE_ROUTING);
    }

    private static void guard(RoutingContext context, ObjectMapper json) {
        String uri = context.request().uri();
        if (uri == null || !uri.contains("%00")) {
            context.next();
            return;
        }
        FilterErrors.reject(context, json, 400,
                ErrorBody.of(ErrorCode.INVALID_REQUEST, "the request URI contains a NUL byte (%00)", null));
    }
}
