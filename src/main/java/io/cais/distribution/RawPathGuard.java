package io.cais.distribution;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.error.ErrorBody;
import io.cais.error.ErrorCode;
import io.cais.error.FilterErrors;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Locale;

/**
 * Rejects /v2 paths whose raw form hides a different repository name than the one routed: empty, dot and
 * dot-dot segments and encoded slashes or dots. The HTTP layer normalises such paths ({@code a//b} becomes
 * {@code a/b}) before any JAX-RS code runs, so this check sits in front of routing; other registries let path
 * traversal in this way.
 */
@ApplicationScoped
public class RawPathGuard {

    private static final int BEFORE_ROUTING = 10_000;

    void register(@Observes Filters filters, ObjectMapper json) {
        filters.register(context -> guard(context, json), BEFORE_ROUTING);
    }

    private static void guard(RoutingContext context, ObjectMapper json) {
        String uri = context.request().uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (!path.startsWith("/v2/") || path.equals("/v2/") || !isAmbiguous(path.toLowerCase(Locale.ROOT))) {
            context.next();
            return;
        }
        FilterErrors.reject(context, json, 400, ErrorBody.of(ErrorCode.NAME_INVALID, "invalid repository name", path),
                RegistryHeaders.API_VERSION, RegistryHeaders.API_VERSION_VALUE);
    }

    static boolean isAmbiguous(String path) {
        return path.contains("//") || path.contains("%2f") || path.contains("%2e") || path.contains("%5c")
                || path.contains("/./") || path.contains("/../") || path.endsWith("/.") || path.endsWith("/..");
    }
}
