package io.cais.distribution;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Page;
import jakarta.ws.rs.core.Response;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The {@code n}/{@code last} pagination shared by the tag list, the catalog and the referrers API. */
final class Paging {

    private Paging() {
    }

    /** The page size to serve: what the client asked for, capped by the configured maximum. */
    static int limit(String n, int max) {
        if (n == null || n.isEmpty()) {
            return max;
        }
        try {
            int requested = Integer.parseInt(n);
            if (requested < 0) {
                throw new NumberFormatException();
            }
            return Math.min(requested, max);
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "n must be a non-negative integer", n);
        }
    }

    /** Adds {@code Link: <path?n=…&last=…>; rel="next"} when another page follows. */
    static Response.ResponseBuilder link(Response.ResponseBuilder response, Page<?> page, String path, int limit,
                                         String last, String extraQuery) {
        if (page.more() && limit > 0) {
            String next = path + "?n=" + limit + "&last=" + URLEncoder.encode(last, StandardCharsets.UTF_8)
                    + (extraQuery == null ? "" : "&" + extraQuery);
            response.header("Link", "<" + next + ">; rel=\"next\"");
        }
        return response;
    }
}
