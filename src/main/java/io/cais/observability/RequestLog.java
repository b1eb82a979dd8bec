package io.cais.observability;

import io.cais.auth.AccessControl;
import io.cais.auth.Authenticator;
import io.cais.auth.Caller;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

import java.util.Map;

/**
 * One log line per request: method, route template, status, bytes received and sent, duration, the account
 * (a user or robot name, "anonymous", the name a failed login tried followed by "(rejected)" — never its secret —
 * or "-" when the request never reached authentication) and the path.
 * The route is the template ({@code /v2/{name}/blobs/{digest}}) that metrics use too, so lines group by
 * endpoint. Neither headers nor the query string are logged: credentials and tokens travel there. With JSON
 * logging on, the same values are also fields of the record's MDC ({@code http.method}, {@code http.route}…).
 */
@ApplicationScoped
public class RequestLog {

    static final String CATEGORY = "io.cais.request";
    private static final Logger LOG = Logger.getLogger(CATEGORY);
    /** Ahead of every other filter (RawPathGuard answers some requests itself), so every request is seen. */
    private static final int FIRST = 20_000;
    /** Set by Quarkus REST to the matched resource method's path template. */
    private static final String ROUTE_TEMPLATE = "UrlPathTemplate";
    private static final String NO_ROUTE = "-";

    void register(@Observes Filters filters, RequestLogConfig config) {
        if (config.enabled()) {
            filters.register(RequestLog::observe, FIRST);
        }
    }

    private static void observe(RoutingContext context) {
        String path = context.request().path();
        if (path == null || path.startsWith("/q/")) {
            context.next();
            return;
        }
        long start = System.nanoTime();
        context.addEndHandler(result -> log(context, path, System.nanoTime() - start, result.failed()));
        context.next();
    }

    private static void log(RoutingContext context, String path, long nanos, boolean aborted) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        HttpServerRequest request = context.request();
        String method = request.method().name();
        String route = route(request);
        int status = context.response().getStatusCode();
        long in = request.bytesRead();
        long out = context.response().bytesWritten();
        long tenths = (nanos + 50_000) / 100_000; // String.format costs more than the rest of the line
        String millis = tenths / 10 + "." + tenths % 10;
        Object caller = context.get(AccessControl.CALLER);
        Object attempted = context.get(Authenticator.ATTEMPTED);
        String account = caller instanceof Caller who ? who.name() : attempted != null ? attempted + "(rejected)" : "-";
        Map<String, Object> fields = Map.of(
                "http.method", method, "http.route", route, "http.status", status, "http.bytes_in", in,
                "http.bytes_out", out, "http.duration_ms", millis, "http.path", path, "account", account);
        fields.forEach(MDC::put);
        try {
            // Appended, not formatted: java.util.Formatter parses its pattern on every call.
            StringBuilder line = new StringBuilder(96 + path.length()).append(method).append(' ').append(route)
                    .append(' ').append(status).append(" in=").append(in).append(" out=").append(out).append(' ')
                    .append(millis).append("ms account=").append(account).append(" path=").append(path);
            LOG.info((aborted ? line.append(" aborted") : line).toString());
        } finally {
            fields.keySet().forEach(MDC::remove);
        }
    }

    private static String route(HttpServerRequest request) {
        if (request instanceof HttpServerRequestInternal internal) {
            Object template = internal.context().getLocal(ROUTE_TEMPLATE);
            if (template != null) {
                return RouteTemplates.normalize(template.toString());
            }
        }
        return NO_ROUTE;
    }
}
