package io.cais.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a client asked the registry, read from the registry process's request log ({@code io.cais.request}: one
 * line per request, see {@code RequestLog}): the requests logged between {@link #from} and {@link #seen}. This is
 * how the tests know what a real engine did on the wire — which blobs it uploaded, which manifests it fetched.
 */
public final class LoggedRequests {

    /** One request log line: {@code GET /v2/{name}/blobs/{digest} 200 in=0 out=109 8.4ms account=x path=/v2/…}. */
    public record Request(String method, String route, int status, String account, String path) {

        public boolean is(String method, String route) {
            return this.method.equals(method) && this.route.equals(route);
        }

        @Override
        public String toString() {
            return method + " " + path + " " + status + " (" + account + ")";
        }
    }

    public static final String MANIFEST = "/v2/{name}/manifests/{reference}";
    public static final String BLOB = "/v2/{name}/blobs/{digest}";
    public static final String UPLOADS = "/v2/{name}/blobs/uploads/";
    public static final String UPLOAD = "/v2/{name}/blobs/uploads/{uuid}";
    public static final String TOKEN = "/auth/token";

    private static final Pattern LINE = Pattern.compile(
            " ([A-Z]+) (\\S+) (\\d{3}) in=\\d+ out=\\d+ [\\d.]+ms account=(\\S+) path=(\\S+)");
    private static final String MARKER = "/v2/request-log-marker/";

    private final RegistryProcess registry;
    private final int start;

    private LoggedRequests(RegistryProcess registry, int start) {
        this.registry = registry;
        this.start = start;
    }

    /** Starts watching: {@link #seen} returns the requests logged after this call. */
    public static LoggedRequests from(RegistryProcess registry) throws IOException {
        return new LoggedRequests(registry, all(registry).size());
    }

    /**
     * The requests logged since {@link #from}, in log order. A line is written when its response has ended, which
     * can be a moment after the client saw it: a marker request sent now, once the client is done, and waited
     * for, comes after all of them.
     */
    public List<Request> seen() throws IOException, InterruptedException {
        String marker = MARKER + UUID.randomUUID() + "/tags/list";
        Http.sendAs(null, "GET", registry.url(marker), null);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<Request> requests = all(registry);
            List<Request> since = requests.subList(Math.min(start, requests.size()), requests.size());
            if (since.stream().anyMatch(request -> request.path().equals(marker))) {
                return since.stream().filter(request -> !request.path().startsWith(MARKER)).toList();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the registry logged no line for " + marker + " within 10 s:\n" + registry.log());
            }
            Thread.sleep(20);
        }
    }

    /** Those of {@link #seen} that match. */
    public List<Request> seen(Predicate<Request> filter) throws IOException, InterruptedException {
        return seen().stream().filter(filter).toList();
    }

    private static List<Request> all(RegistryProcess registry) throws IOException {
        return registry.log().lines().map(LINE::matcher).filter(Matcher::find)
                .map(m -> new Request(m.group(1), m.group(2), Integer.parseInt(m.group(3)), m.group(4), m.group(5)))
                .toList();
    }
}
