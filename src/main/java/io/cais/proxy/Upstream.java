package io.cais.proxy;

import java.net.URI;

/**
 * An upstream registry as the cache uses it: where it is, the credentials to send (clear text, only in memory) and
 * the namespace whose repositories cache it — {@code <namespace>/<path>} caches the upstream's {@code <path>} — and
 * its limits ({@code maxRequestsPerMinute} null: no request rate limit).
 */
public record Upstream(String name, URI url, String namespace, String username, String password, int maxConcurrency,
                       Integer maxRequestsPerMinute) {

    /** The upstream's repository for a repository of the cache namespace: {@code dockerhub/library/nginx} → {@code library/nginx}. */
    public String upstreamPath(String repository) {
        return repository.substring(namespace.length() + 1);
    }

    boolean hasCredentials() {
        return username != null && password != null;
    }

    @Override
    public String toString() {
        return "Upstream[" + name + " " + url + " cached by " + namespace + "]"; // never the password
    }
}
