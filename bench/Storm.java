import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node scale-up storm: N nodes start at once, and each does the first pull of one private multi-platform image
 * the way containerd does it, with credentials from a pull Secret and nothing cached:
 * <ol>
 *   <li>{@code HEAD /v2/<repo>/manifests/<tag>} without credentials, answered 401 with a challenge (class
 *       {@code challenge});</li>
 *   <li>for a Bearer challenge: {@code POST <realm>} with the OAuth2 password grant ({@code token}); for a Basic
 *       challenge (Distribution with htpasswd): nothing, Basic credentials go with every later request;</li>
 *   <li>{@code HEAD} of the tag with the credentials ({@code head}), then {@code GET} of the index by the digest it
 *       answered ({@code index}), of the linux/amd64 manifest the index names ({@code manifest}), of its config
 *       ({@code config}), and of its layers ({@code layer}), at most 3 at a time per node, as containerd's default
 *       {@code max_concurrent_downloads} allows.</li>
 * </ol>
 * Every body is read to the end and hashed against the digest it was fetched by. Each node has its own
 * connections (one keep-alive connection per concurrent request, as Go's transport opens them) and its own token.
 * An error is any answer but the expected status (only the first HEAD may be 401), a digest mismatch, or an I/O
 * failure; a node stops its pull at its first error.
 *
 * <p>Prints, tab-separated: a line {@code total} with nodes, nodes that finished, errors, wall seconds, MiB read,
 * MiB/s; then one line per request class: class, count, p50 ms, p99 ms, max ms ('-' for a class
 * with no requests). The first error messages go to
 * stderr. Blocking sockets on virtual threads ({@link Http1}), one shared 2-thread carrier pool at most (set by the caller with
 * {@code -Djdk.virtualThreadScheduler.parallelism}), and a bounded heap keep the generator's own footprint small on a
 * 2-core machine. Java 22+ (it uses Http1.java beside it), run as a source file:
 * {@code java bench/Storm.java BASE REPO TAG USER PASSWORD NODES}.
 */
public class Storm {

    enum Kind { challenge, token, head, index, manifest, config, layer }

    private static final int LAYER_DOWNLOADS = 3;
    private static final String INDEX_ACCEPT = "application/vnd.oci.image.index.v1+json, "
            + "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, "
            + "application/vnd.docker.distribution.manifest.v2+json, */*";
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final Pattern TOKEN = Pattern.compile("\"(?:access_token|token)\"\\s*:\\s*\"([^\"]+)\"");
    /** A descriptor in an index or manifest: its digest, and the platform's architecture and os if it has one. */
    private static final Pattern DESCRIPTOR = Pattern.compile("\\{[^{}]*\"digest\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\"[^{}]*"
            + "(?:\\{[^{}]*\\}[^{}]*)?\\}");
    private static final Pattern AMD64 = Pattern.compile("\"architecture\"\\s*:\\s*\"amd64\"");
    private static final Pattern LINUX = Pattern.compile("\"os\"\\s*:\\s*\"linux\"");
    private static final Pattern CONFIG = Pattern.compile("\"config\"\\s*:\\s*\\{[^{}]*\"digest\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\"");
    private static final Pattern LAYERS = Pattern.compile("\"layers\"\\s*:\\s*\\[(.*?)\\]", Pattern.DOTALL);
    private static final Pattern DIGEST = Pattern.compile("\"digest\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\"");

    private static final Map<Kind, ConcurrentLinkedQueue<Long>> LATENCIES = new EnumMap<>(Kind.class);
    private static final AtomicLong BYTES = new AtomicLong();
    private static final AtomicLong ERRORS = new AtomicLong();

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: Storm BASE REPO TAG USER PASSWORD NODES");
            System.exit(2);
        }
        URI base = URI.create(args[0]);
        String repo = args[1];
        String tag = args[2];
        String user = args[3];
        String password = args[4];
        int nodes = Integer.parseInt(args[5]);
        for (Kind kind : Kind.values()) {
            LATENCIES.put(kind, new ConcurrentLinkedQueue<>());
        }

        CountDownLatch go = new CountDownLatch(1);
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                Node node = new Node(base, repo, user, password);
                try {
                    go.await();
                    node.pull(tag);
                    done.incrementAndGet();
                } catch (Exception e) {
                    error("node failed: " + e);
                } finally {
                    node.close();
                }
            }));
        }
        long start = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double mib = BYTES.get() / 1048576.0;
        System.out.printf(Locale.ROOT, "total\t%d\t%d\t%d\t%.3f\t%.1f\t%.1f%n", nodes, done.get(), ERRORS.get(), seconds,
                mib, mib / seconds);
        for (Kind kind : Kind.values()) {
            long[] sorted = LATENCIES.get(kind).stream().mapToLong(Long::longValue).sorted().toArray();
            if (sorted.length == 0) {
                System.out.printf("%s\t0\t-\t-\t-%n", kind);
            } else {
                System.out.printf(Locale.ROOT, "%s\t%d\t%.2f\t%.2f\t%.2f%n", kind, sorted.length, ms(sorted, 0.50),
                        ms(sorted, 0.99), sorted[sorted.length - 1] / 1e6);
            }
        }
    }

    private static void error(String message) {
        if (ERRORS.incrementAndGet() <= 10) {
            System.err.println(message);
        }
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] / 1e6;
    }

    /** One node's pull: its own credentials, token and connections. */
    private static final class Node {
        final URI base;
        final String repo;
        final String user;
        final String password;
        /** Idle keep-alive connections; a request takes one or opens a new one. */
        final ArrayDeque<Http1> idle = new ArrayDeque<>();
        final List<Http1> all = new ArrayList<>();
        String authorization;

        Node(URI base, String repo, String user, String password) {
            this.base = base;
            this.repo = repo;
            this.user = user;
            this.password = password;
        }

        void pull(String tag) throws Exception {
            String manifestPath = "/v2/" + repo + "/manifests/";
            Http1.Response challenge = request(Kind.challenge, "HEAD", manifestPath + tag, INDEX_ACCEPT, null, 401);
            authorization = authorize(challenge.header("www-authenticate"));
            String indexDigest = request(Kind.head, "HEAD", manifestPath + tag, INDEX_ACCEPT, null, 200)
                    .header("docker-content-digest");
            if (indexDigest == null) {
                throw new IOException("HEAD " + tag + " answered no Docker-Content-Digest");
            }
            String index = fetch(Kind.index, manifestPath + indexDigest, INDEX_ACCEPT, indexDigest);
            String manifestDigest = amd64(index);
            String manifest = fetch(Kind.manifest, manifestPath + manifestDigest, INDEX_ACCEPT, manifestDigest);
            Matcher config = CONFIG.matcher(manifest);
            if (!config.find()) {
                throw new IOException("manifest without config: " + manifest);
            }
            fetch(Kind.config, "/v2/" + repo + "/blobs/" + config.group(1), "*/*", config.group(1));
            Matcher layers = LAYERS.matcher(manifest);
            if (!layers.find()) {
                throw new IOException("manifest without layers: " + manifest);
            }
            List<String> digests = new ArrayList<>();
            for (Matcher d = DIGEST.matcher(layers.group(1)); d.find(); ) {
                digests.add(d.group(1));
            }
            fetchLayers(digests);
        }

        /** containerd's fetcher: every layer at once, a semaphore of 3 letting them through. */
        private void fetchLayers(List<String> digests) throws Exception {
            Semaphore downloads = new Semaphore(LAYER_DOWNLOADS);
            List<Exception> failures = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (String digest : digests) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        downloads.acquire();
                        try {
                            fetch(Kind.layer, "/v2/" + repo + "/blobs/" + digest, "*/*", digest);
                        } finally {
                            downloads.release();
                        }
                    } catch (Exception e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            if (!failures.isEmpty()) {
                throw failures.getFirst();
            }
        }

        /** The Authorization header for the rest of the pull: a new token (Bearer) or the credentials (Basic). */
        private String authorize(String challenge) throws IOException {
            if (challenge == null) {
                throw new IOException("401 without WWW-Authenticate");
            }
            if (!challenge.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            }
            String realm = null, service = "", scope = "";
            for (Matcher p = PARAM.matcher(challenge); p.find(); ) {
                switch (p.group(1)) {
                    case "realm" -> realm = p.group(2);
                    case "service" -> service = p.group(2);
                    case "scope" -> scope = p.group(2);
                    default -> { }
                }
            }
            if (realm == null) {
                throw new IOException("challenge without realm: " + challenge);
            }
            String form = "grant_type=password&username=" + enc(user) + "&password=" + enc(password) + "&service="
                    + enc(service) + "&scope=" + enc(scope) + "&client_id=containerd-client";
            Http1.Response answer = request(Kind.token, "POST", URI.create(realm).getRawPath(), "application/json", form, 200);
            Matcher token = TOKEN.matcher(answer.text());
            if (!token.find()) {
                throw new IOException("no token in " + answer.text());
            }
            return "Bearer " + token.group(1);
        }

        private static String amd64(String index) throws IOException {
            for (Matcher d = DESCRIPTOR.matcher(index); d.find(); ) {
                if (AMD64.matcher(d.group()).find() && LINUX.matcher(d.group()).find()) {
                    return d.group(1);
                }
            }
            throw new IOException("no linux/amd64 manifest in " + index);
        }

        /** GET PATH, expecting 200 and a body whose SHA-256 is DIGEST; returns the body as text (small bodies). */
        private String fetch(Kind kind, String path, String accept, String digest) throws Exception {
            Http1.Response answer = request(kind, "GET", path, accept, null, 200);
            if (!answer.digest().equals(digest)) {
                throw new IOException("GET " + path + ": content digest " + answer.digest() + ", expected " + digest);
            }
            return kind == Kind.layer ? "" : answer.text();
        }

        private Http1.Response request(Kind kind, String method, String path, String accept, String form, int expected)
                throws IOException {
            Http1 connection;
            synchronized (idle) {
                connection = idle.poll();
            }
            long began = System.nanoTime();
            if (connection == null) {
                connection = new Http1(base);
                synchronized (idle) {
                    all.add(connection);
                }
            }
            String headers = "User-Agent: containerd/storm\r\nAccept: " + accept + "\r\n"
                    + (kind == Kind.challenge ? "" : "Authorization: " + authorization + "\r\n");
            Http1.Response answer = connection.exchange(method, path, headers, form, true, kind != Kind.layer, BYTES);
            LATENCIES.get(kind).add(System.nanoTime() - began);
            if (answer.status() != expected) {
                throw new IOException(method + " " + path + " answered " + answer.status() + ", expected " + expected
                        + ": " + answer.text());
            }
            if (answer.keepAlive()) {
                synchronized (idle) {
                    idle.push(connection);
                }
            } else {
                connection.close();
            }
            return answer;
        }

        void close() {
            synchronized (idle) {
                all.forEach(Http1::close);
            }
        }

        private static String enc(String value) {
            return URLEncoder.encode(value, StandardCharsets.UTF_8);
        }
    }
}
