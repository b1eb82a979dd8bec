package io.cais.distribution;

import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.RegistryProcess;
import io.cais.testing.S3ProxyProcess;
import io.cais.testing.Signals;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Blob pulls streamed from S3 to the client (a presigned GET whose body Vert.x writes to the response), against a
 * real S3Proxy in a process of its own, so that it can be frozen in the middle of a body.
 */
class S3PullStreamIT {

    private static final int MIB = 1024 * 1024;

    /**
     * S3 goes silent after the status line: the registry cannot take its 200 back, so it cuts the connection within
     * the read timeout (the client knows its copy is incomplete), reports the outage, and serves again once S3 is back.
     */
    @Test
    void storeFrozenInTheMiddleOfABodyCutsTheConnectionWithinTheReadTimeout() throws Exception {
        byte[] blob = Blobs.random(48 * MIB);
        withRegistry("freeze", Map.of("cais.storage.s3.read-timeout", "PT3S"), (s3, registry) -> {
            String path = push(registry, "freeze", blob);
            long received;
            long cutAfter;
            try (Socket socket = get(registry, path, null)) {
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[64 * 1024];
                received = in.readNBytes(buffer, 0, buffer.length);
                assertThat(new String(buffer, 0, 12, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
                Signals.freeze(s3.pid());
                long start = System.nanoTime();
                try {
                    received += drain(in, buffer);
                    cutAfter = Duration.ofNanos(System.nanoTime() - start).toMillis();
                } finally {
                    Signals.thaw(s3.pid());
                }
            }
            assertThat(received).as("bytes received before the cut").isLessThan(blob.length);
            assertThat(cutAfter).as("ms until the cut (read timeout 3 s)").isLessThan(10_000);
            assertThat(registry.log()).contains("blob store unavailable").doesNotContain("failed unexpectedly");

            HttpResponse<byte[]> again = Http.send("GET", registry.url(path), null);
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(again.body()).isEqualTo(blob);
        });
    }

    /**
     * Clients that hang up in the middle of a blob release the S3 connection their pull held: with two connections
     * to S3 at most, pulls after a dozen abandoned ones are still served, whole and by range.
     */
    @Test
    void abandonedPullsReleaseTheirS3Connections() throws Exception {
        byte[] blob = Blobs.random(32 * MIB);
        withRegistry("abandon", Map.of("cais.storage.s3.max-connections", "2"), (s3, registry) -> {
            String path = push(registry, "abandon", blob);
            for (int i = 0; i < 12; i++) {
                try (Socket socket = get(registry, path, i % 2 == 0 ? null : "bytes=1000-" + (blob.length - 1))) {
                    byte[] start = socket.getInputStream().readNBytes(64 * 1024);
                    assertThat(new String(start, 0, 9, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 ");
                }
            }

            HttpResponse<byte[]> whole = Http.send("GET", registry.url(path), null);
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.body()).isEqualTo(blob);
            int from = 20 * MIB + 7;
            HttpResponse<byte[]> range = Http.send("GET", registry.url(path), null, "Range",
                    "bytes=" + from + "-" + (blob.length - 2));
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.headers().firstValue("Content-Length")).hasValue(String.valueOf(blob.length - 1 - from));
            assertThat(range.body()).isEqualTo(Blobs.slice(blob, from, blob.length - 1));
            assertThat(registry.log()).doesNotContain("failed unexpectedly").doesNotContain("blob store unavailable");
        });
    }

    private interface Scenario {
        void run(S3ProxyProcess s3, RegistryProcess registry) throws Exception;
    }

    /** Runs {@code scenario} on a registry of its own on an S3Proxy of its own, with {@code settings} added. */
    private static void withRegistry(String bucket, Map<String, String> settings, Scenario scenario) throws Exception {
        Path work = Files.createTempDirectory("cais-s3-pull-" + bucket);
        try (S3ProxyProcess s3 = S3ProxyProcess.start(work.resolve("s3"))) {
            Map<String, String> config = s3.registryConfig(bucket);
            config.putAll(settings);
            try (RegistryProcess registry = RegistryProcess.startOnTestDatabase(work.resolve("cais"), config)) {
                scenario.run(s3, registry);
            }
        }
    }

    private static String push(RegistryProcess registry, String prefix, byte[] blob) throws Exception {
        String repository = Blobs.repository(prefix);
        String digest = Blobs.sha256(blob);
        HttpResponse<byte[]> pushed = Http.send("POST", registry.url("/v2/" + repository + "/blobs/uploads/?digest=" + digest),
                blob, "Content-Type", "application/octet-stream");
        assertThat(pushed.statusCode()).isEqualTo(201);
        return "/v2/" + repository + "/blobs/" + digest;
    }

    /** A GET sent on a socket of its own, whose response the caller reads as far as it likes. */
    private static Socket get(RegistryProcess registry, String path, String range) throws IOException {
        Socket socket = new Socket("127.0.0.1", registry.port());
        socket.setSoTimeout(30_000);
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: " + Admin.basic() + "\r\n"
                + (range == null ? "" : "Range: " + range + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** Reads until the server ends the response or cuts the connection; the count of bytes read. */
    private static long drain(InputStream in, byte[] buffer) {
        long total = 0;
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                total += n;
            }
        } catch (IOException cut) {
            // a reset connection: what a client of a cut stream sees
        }
        return total;
    }
}
