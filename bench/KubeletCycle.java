import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pull cycle a kubelet starts for every {@code imagePullPolicy: Always} container with a pull Secret, as
 * containerd sends it: it keeps no token between pulls, so each cycle is
 * <ol>
 *   <li>{@code HEAD /v2/<repo>/manifests/<tag>} without credentials, answered 401 with a challenge;</li>
 *   <li>for a Bearer challenge: {@code POST <realm>} with the OAuth2 password grant (the pull Secret's user and
 *       password, the challenge's service and scope), answered with a new token, then {@code HEAD} with it;
 *       for a Basic challenge (Distribution with htpasswd): {@code HEAD} with Basic credentials.</li>
 * </ol>
 * N clients run cycles back to back for a fixed time, each over its own keep-alive connection (Go's transport
 * keeps one per host, {@link Http1}). It prints one tab-separated line: cycles, cycles/s (of the cycles that ended
 * within the window), requests, cycle p50, p90, p99 and max in ms, errors. Blocking sockets on virtual threads and a minimal HTTP/1.1 reader keep the load generator's own
 * CPU small next to the registry's on a shared machine. Java 22+ (it uses Http1.java beside it), run as a source file:
 * {@code java bench/KubeletCycle.java BASE REPO TAG USER PASSWORD CLIENTS SECONDS}.
 */
public class KubeletCycle {

    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final Pattern TOKEN = Pattern.compile("\"(?:access_token|token)\"\\s*:\\s*\"([^\"]+)\"");
    private static final String ACCEPT = "application/vnd.oci.image.index.v1+json, "
            + "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, "
            + "application/vnd.docker.distribution.manifest.v2+json, */*";

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: KubeletCycle BASE REPO TAG USER PASSWORD CLIENTS SECONDS");
            System.exit(2);
        }
        URI base = URI.create(args[0]);
        String manifest = "/v2/" + args[1] + "/manifests/" + args[2];
        String user = args[3];
        String password = args[4];
        int clients = Integer.parseInt(args[5]);
        long seconds = Long.parseLong(args[6]);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong requests = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        // Cycles that ended inside the measured window: the rate. A cycle still running at its end (one stuck for
        // seconds on a loaded machine) adds its latency to the percentiles, not its wait to the window.
        AtomicLong inWindow = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            long[] mine = new long[1 << 20];
            latencies.add(mine);
            threads.add(Thread.ofVirtual().start(() -> {
                int n = 0;
                Client client = null;
                while (running.get()) {
                    long began = System.nanoTime();
                    try {
                        if (client == null) {
                            client = new Client(base);
                        }
                        client.cycle(manifest, user, password, requests);
                        if (running.get()) {
                            inWindow.incrementAndGet();
                        }
                        if (n < mine.length - 1) {
                            mine[++n] = System.nanoTime() - began;
                        }
                    } catch (IOException | RuntimeException e) {
                        errors.incrementAndGet();
                        if (errors.get() <= 5) {
                            System.err.println("cycle failed: " + e);
                        }
                        client = closeQuietly(client);
                    }
                }
                mine[0] = n;
                closeQuietly(client);
            }));
        }
        Thread.sleep(seconds * 1000);
        running.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        for (Thread thread : threads) {
            thread.join();
        }
        int total = latencies.stream().mapToInt(l -> (int) l[0]).sum();
        long[] all = new long[total];
        int at = 0;
        for (long[] l : latencies) {
            System.arraycopy(l, 1, all, at, (int) l[0]);
            at += (int) l[0];
        }
        Arrays.sort(all);
        System.out.printf(Locale.ROOT, "%d\t%.1f\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%d%n", total, inWindow.get() / elapsed,
                requests.get(), ms(all, 0.50), ms(all, 0.90), ms(all, 0.99), total == 0 ? 0 : all[total - 1] / 1e6,
                errors.get());
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] / 1e6;
    }

    private static Client closeQuietly(Client client) {
        if (client != null) {
            client.connection.close();
        }
        return null;
    }

    /** One client: its keep-alive connection ({@link Http1}) and the cycle over it. */
    private static final class Client {
        final Http1 connection;
        int status;
        String challenge;
        byte[] body;

        Client(URI base) throws IOException {
            connection = new Http1(base);
        }

        void cycle(String manifest, String user, String password, AtomicLong requests) throws IOException {
            send("HEAD", manifest, "Accept: " + ACCEPT + "\r\n", null);
            requests.incrementAndGet();
            expect(401);
            String authorization;
            if (challenge.regionMatches(true, 0, "Bearer ", 0, 7)) {
                Matcher params = PARAM.matcher(challenge);
                String realm = null, service = "", scope = "";
                while (params.find()) {
                    switch (params.group(1)) {
                        case "realm" -> realm = params.group(2);
                        case "service" -> service = params.group(2);
                        case "scope" -> scope = params.group(2);
                        default -> { }
                    }
                }
                String form = "grant_type=password&username=" + enc(user) + "&password=" + enc(password)
                        + "&service=" + enc(service) + "&scope=" + enc(scope) + "&client_id=containerd-client";
                send("POST", URI.create(realm).getRawPath(), "", form);
                requests.incrementAndGet();
                expect(200);
                Matcher token = TOKEN.matcher(new String(body, StandardCharsets.UTF_8));
                if (!token.find()) {
                    throw new IOException("no token in " + new String(body, StandardCharsets.UTF_8));
                }
                authorization = "Bearer " + token.group(1);
            } else {
                authorization = "Basic " + Base64.getEncoder().encodeToString(
                        (user + ":" + password).getBytes(StandardCharsets.UTF_8));
            }
            send("HEAD", manifest, "Accept: " + ACCEPT + "\r\nAuthorization: " + authorization + "\r\n", null);
            requests.incrementAndGet();
            expect(200);
        }

        private void expect(int wanted) throws IOException {
            if (status != wanted) {
                throw new IOException("expected " + wanted + ", got " + status + " "
                        + new String(body, StandardCharsets.UTF_8));
            }
        }

        private void send(String method, String path, String headers, String form) throws IOException {
            Http1.Response answer = connection.exchange(method, path, headers, form, false, true, null);
            status = answer.status();
            challenge = answer.headers().getOrDefault("www-authenticate", "");
            body = answer.body();
        }

        private static String enc(String value) {
            return URLEncoder.encode(value, StandardCharsets.UTF_8);
        }
    }
}
