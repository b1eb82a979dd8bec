package io.cais.platform;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.error.ErrorBody;
import io.cais.error.ErrorCode;
import io.cais.error.FilterErrors;
import io.quarkus.vertx.http.runtime.VertxHttpRecorder;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Map;

/**
 * Caps request bodies outside the blob routes and layout imports. The HTTP limit must let multi-GiB layers through, but the admin
 * API and the token endpoint read small JSON or form bodies into memory: a declared length over the cap is
 * answered 413 before anything is read (or parsed, or authenticated); a body without a declared length is cut
 * off by the same cap as it streams in (Quarkus REST honours the per-request limit set here).
 */
@ApplicationScoped
public class ApiBodyLimit {

    /** After Quarkus' own body-size handler, which would otherwise set its 1024G limit over ours. */
    private static final int AFTER_QUARKUS_LIMITS = 100;

    /** Layout imports stream a tar of any size, blob by blob, as blob uploads do (admin.LayoutImportResource). */
    private static final String LAYOUT_IMPORTS = "/api/v1/imports/";

    /** The OAuth2 form of every kubelet pull cycle (auth.TokenResource), read here whole: see {@link #readAhead}. */
    private static final String TOKEN_FORM = "/auth/token";

    void register(@Observes Filters filters, LimitsConfig config, ObjectMapper json) {
        long max = config.maxApiBodySize();
        ErrorBody tooLarge = ErrorBody.of(ErrorCode.SIZE_INVALID, "request body is larger than the limit", Map.of("maxBytes", max));
        filters.register(context -> limit(context, max, json, tooLarge), AFTER_QUARKUS_LIMITS);
    }

    private static void limit(RoutingContext context, long max, ObjectMapper json, ErrorBody tooLarge) {
        String path = context.request().path();
        if (path == null || !(path.startsWith("/api/") || path.startsWith("/auth/")) || path.startsWith(LAYOUT_IMPORTS)) {
            context.next();
            return;
        }
        String length = context.request().getHeader("Content-Length");
        if (length != null && declared(length) > max) {
            FilterErrors.reject(context, json, 413, tooLarge, "Connection", "close");
            return;
        }
        context.put(VertxHttpRecorder.MAX_REQUEST_SIZE_KEY, max);
        if (context.request().method() == HttpMethod.POST && TOKEN_FORM.equals(path)) {
            readAhead(context, max, json, tooLarge);
            return;
        }
        context.next();
    }

    /**
     * Reads a small body on the event loop before the resource method runs. Quarkus REST then hands the method the
     * bytes read here; otherwise its virtual thread reads the body itself, waiting on the event loop for every chunk
     * and for the end: 11 % of the CPU of a kubelet pull cycle was that hand-over. Still capped at {@code max}.
     */
    private static void readAhead(RoutingContext context, long max, ObjectMapper json, ErrorBody tooLarge) {
        HttpServerRequest request = context.request();
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (context.response().ended()) {
                return;
            }
            if (body.length() + chunk.length() > max) {
                FilterErrors.reject(context, json, 413, tooLarge, "Connection", "close");
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(context::fail);
        request.endHandler(ended -> {
            if (context.response().ended()) {
                return;
            }
            context.setBody(body);
            context.next();
        });
        request.resume();
    }

    private static long declared(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
