// StalenessProbe — how long another replica serves a manifest answer that a change has made stale.
//
// Run by bench/staleness.sh as a single-file Java program:
//   java StalenessProbe.java WRITER_URL READER_URL USER PASSWORD ROUNDS
// Pushes a config blob and manifests to the writer replica, then, ROUNDS times each:
//   tag move: the reader has tag `moving` cached (two GETs); the writer moves it (PUT, answered 201);
//             the reader is polled back to back until it answers the new digest;
//   delete:   the reader has a fresh manifest cached by tag; the writer deletes it by digest (202);
//             the reader is polled until it answers 404.
// The staleness of one change is the time from the writer's answer to the moment the first read that
// saw the change was sent: every read sent later saw it too. (Its own latency is left out: under load a
// read takes tens of ms to be answered whatever it reads.) The stale reads are counted.
// Prints p50, p99 and max per scenario, in milliseconds, as TSV.

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

public class StalenessProbe {

    static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String REPO = "bench/staleness";
    static HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static String auth;

    public static void main(String[] args) throws Exception {
        String writer = args[0], reader = args[1];
        auth = "Basic " + Base64.getEncoder().encodeToString((args[2] + ":" + args[3]).getBytes(StandardCharsets.UTF_8));
        int rounds = Integer.parseInt(args[4]);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        String configDigest = sha256(config);
        expect(send("POST", writer + "/v2/" + REPO + "/blobs/uploads/?digest=" + configDigest, config), 201);

        expect(put(writer, "moving", manifest(configDigest, "initial")), 201);
        List<Double> moves = new ArrayList<>();
        long staleMoves = 0;
        for (int i = 0; i < rounds; i++) {
            byte[] manifest = manifest(configDigest, "move-" + i);
            String digest = sha256(manifest);
            warm(reader, "moving");
            expect(put(writer, "moving", manifest), 201);
            long answered = System.nanoTime();
            long stale = 0;
            long sent = System.nanoTime();
            while (!digest.equals(get(reader, "moving").headers().firstValue("Docker-Content-Digest").orElse(""))) {
                stale++;
                sent = System.nanoTime();
            }
            moves.add((sent - answered) / 1e6);
            staleMoves += stale;
        }

        List<Double> deletes = new ArrayList<>();
        long staleDeletes = 0;
        for (int i = 0; i < rounds; i++) {
            byte[] manifest = manifest(configDigest, "delete-" + i);
            String digest = sha256(manifest);
            String tag = "doomed-" + i;
            expect(put(writer, tag, manifest), 201);
            warm(reader, tag);
            expect(send("DELETE", writer + "/v2/" + REPO + "/manifests/" + digest, null), 202);
            long answered = System.nanoTime();
            long stale = 0;
            long sent = System.nanoTime();
            while (get(reader, tag).statusCode() != 404) {
                stale++;
                sent = System.nanoTime();
            }
            deletes.add((sent - answered) / 1e6);
            staleDeletes += stale;
        }
        System.out.println("scenario\tchanges\tstale_reads\tp50_ms\tp99_ms\tmax_ms");
        report("tag-move", moves, staleMoves);
        report("delete", deletes, staleDeletes);
    }

    /** Two GETs: the second is answered from the reader's cache (the first may have filled it). */
    static void warm(String reader, String tag) throws Exception {
        for (int i = 0; i < 2; i++) {
            expect(get(reader, tag), 200);
        }
    }

    static void report(String scenario, List<Double> millis, long stale) {
        List<Double> sorted = new ArrayList<>(millis);
        sorted.sort(null);
        System.out.printf("%s\t%d\t%d\t%.2f\t%.2f\t%.2f%n", scenario, sorted.size(), stale, percentile(sorted, 50),
                percentile(sorted, 99), sorted.getLast());
    }

    static double percentile(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    static byte[] manifest(String configDigest, String marker) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":37},"
                + "\"layers\":[],\"annotations\":{\"marker\":\"" + marker + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    static HttpResponse<byte[]> put(String base, String tag, byte[] manifest) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v2/" + REPO + "/manifests/" + tag))
                .header("Authorization", auth).header("Content-Type", MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> get(String base, String tag) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v2/" + REPO + "/manifests/" + tag))
                .header("Authorization", auth).header("Accept", MANIFEST).GET().build();
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> send(String method, String url, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", auth)
                .header("Content-Type", "application/octet-stream")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    static void expect(HttpResponse<byte[]> response, int status) {
        if (response.statusCode() != status) {
            throw new IllegalStateException(response.request().method() + " " + response.uri() + " answered "
                    + response.statusCode() + " (expected " + status + "): " + new String(response.body(), StandardCharsets.UTF_8));
        }
    }

    static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
