package io.cais.distribution;

import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.core.HttpHeaders;

import java.util.List;

/**
 * The request headers a manifest GET/HEAD reads. Declared one by one because injecting {@link HttpHeaders} copies
 * every request header into a sorted map per request, which showed up in the manifest HEAD profile.
 */
public class ManifestRequestHeaders {

    @HeaderParam(HttpHeaders.ACCEPT)
    List<String> accept;

    @HeaderParam(HttpHeaders.CACHE_CONTROL)
    String cacheControl;

    @HeaderParam(HttpHeaders.IF_NONE_MATCH)
    String ifNoneMatch;
}
