package io.cais.distribution;

/**
 * Content addressed by digest never changes, so its digest is a strong entity tag: a client that already holds
 * a manifest or blob ({@code If-None-Match} with its tag, or {@code *}) is answered {@code 304} without a body.
 */
final class ConditionalRequests {

    /** Blobs and manifests by digest are immutable; shared caches still never store a response to an authorized request. */
    static final String IMMUTABLE = "max-age=31536000, immutable";

    private ConditionalRequests() {
    }

    static String etag(String digest) {
        return "\"" + digest + "\"";
    }

    /** Whether {@code If-None-Match} names this entity (weak tags compare by their value, as RFC 9110 allows here). */
    static boolean notModified(String ifNoneMatch, String digest) {
        if (ifNoneMatch == null) {
            return false;
        }
        String etag = etag(digest);
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.trim();
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals("*") || tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
