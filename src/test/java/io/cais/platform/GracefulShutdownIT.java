package io.cais.platform;

import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.cais.testing.S3ProxyProcess;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM during a push: the replica reports not ready, lets the chunk that is streaming finish, then exits; the
 * upload goes on from another replica, because its whole state is in PostgreSQL.
 */
class GracefulShutdownIT {

    private static final int MIB = 1024 * 1024;

    @Test
    void chunkStreamingDuringShutdownFinishesAndTheUploadResumesOnAnotherReplica() throws Exception {
        Path work = Files.createTempDirectory("cais-shutdown");
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"));
        config.put("quarkus.datasource.username", "postgres");
        config.put("cais.storage.filesystem.root", work.resolve("blobs").toString());
        String repo = Blobs.repository("shutdown");
        byte[] blob = Blobs.random(4 * MIB);
        byte[] first = Blobs.slice(blob, 0, MIB);
        byte[] second = Blobs.slice(blob, MIB, 3 * MIB);
        byte[] third = Blobs.slice(blob, 3 * MIB, blob.length);

        String location;
        try (RegistryProcess stopping = RegistryProcess.start(work.resolve("a"), config)) {
            HttpResponse<byte[]> started = Http.send("POST", stopping.url("/v2/" + repo + "/blobs/uploads/"), null);
            location = started.headers().firstValue("Location").orElseThrow();
            assertThat(patch(stopping, location, first, 0).statusCode()).isEqualTo(202);

            try (Socket socket = new Socket("127.0.0.1", stopping.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Authorization: " + io.cais.testing.Admin.basic() + "\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Length: " + second.length + "\r\n"
                        + "Content-Range: " + MIB + "-" + (3 * MIB - 1) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(second, 0, MIB);
                out.flush();
                Thread.sleep(500);

                stopping.terminate();
                Thread.sleep(1500);
                assertThat(stopping.awaitExit(Duration.ZERO)).as("exited while a request was streaming").isFalse();
                assertThat(Http.send("GET", stopping.url("/q/health/ready"), null).statusCode())
                        .as("readiness while shutting down").isEqualTo(503);

                out.write(second, MIB, second.length - MIB);
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                assertThat(in.readLine()).startsWith("HTTP/1.1 202");
                Map<String, String> headers = new HashMap<>();
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    int colon = line.indexOf(':');
                    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
                }
                assertThat(headers).containsEntry("range", "0-" + (3 * MIB - 1));
            }
            assertThat(stopping.awaitExit(Duration.ofSeconds(30))).as("exits once the request is done").isTrue();
            assertThat(stopping.log()).contains("Waiting for HTTP requests to complete");
        }

        try (RegistryProcess other = RegistryProcess.start(work.resolve("b"), config)) {
            HttpResponse<byte[]> status = Http.send("GET", other.url(location), null);
            assertThat(status.statusCode()).isEqualTo(204);
            assertThat(status.headers().firstValue("Range")).contains("0-" + (3 * MIB - 1));
            assertThat(patch(other, location, third, 3 * MIB).statusCode()).isEqualTo(202);
            String digest = Blobs.sha256(blob);
            assertThat(Http.send("PUT", other.url(location + "?digest=" + digest), null).statusCode()).isEqualTo(201);
            assertThat(Http.send("GET", other.url("/v2/" + repo + "/blobs/" + digest), null).body()).isEqualTo(blob);
        }
    }

    /**
     * The S3 store dies while a blob is being served: the client sees a cut connection, and the request must not
     * stay counted in flight — a later SIGTERM is answered at once, not after the whole shutdown timeout.
     */
    @Test
    void sigtermAfterTheStoreCutABlobStreamExitsPromptly() throws Exception {
        Path work = Files.createTempDirectory("cais-shutdown-cut");
        try (S3ProxyProcess s3 = S3ProxyProcess.start(work.resolve("s3"))) {
            Map<String, String> config = s3.registryConfig("cut");
            config.put("quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"));
            config.put("quarkus.datasource.username", "postgres");
            String repo = Blobs.repository("cut");
            byte[] blob = Blobs.random(24 * MIB);
            String digest = Blobs.sha256(blob);
            try (RegistryProcess registry = RegistryProcess.start(work.resolve("cais"), config)) {
                assertThat(Http.send("POST", registry.url("/v2/" + repo + "/blobs/uploads/?digest=" + digest), blob,
                        "Content-Type", "application/octet-stream").statusCode()).isEqualTo(201);

                long received;
                try (Socket socket = new Socket("127.0.0.1", registry.port())) {
                    socket.setSoTimeout(30_000);
                    socket.getOutputStream().write(("GET /v2/" + repo + "/blobs/" + digest + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            + "Authorization: " + io.cais.testing.Admin.basic() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    InputStream in = socket.getInputStream();
                    byte[] buffer = new byte[64 * 1024];
                    received = in.readNBytes(buffer, 0, buffer.length);
                    assertThat(new String(buffer, 0, 12, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");

                    s3.kill();
                    received += drain(in, buffer);
                }
                assertThat(received).as("bytes received before the cut").isLessThan(blob.length);

                long start = System.nanoTime();
                registry.terminate();
                boolean exited = registry.awaitExit(Duration.ofSeconds(5));
                String stuck = exited ? "" : "\n--- threads of the registry still running ---\n" + registry.threadDump();
                assertThat(exited).as("exits within 5 s of SIGTERM (shutdown timeout 30 s):\n" + registry.log() + stuck)
                        .isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                assertThat(registry.log()).contains("blob store unavailable").doesNotContain("failed unexpectedly");
            }
        }
    }

    /** Reads until the server ends the response or cuts the connection; the count of bytes read. */
    private static long drain(InputStream in, byte[] buffer) {
        long total = 0;
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                total += n;
            }
        } catch (java.io.IOException cut) {
            // a reset connection: what a client of a cut stream sees
        }
        return total;
    }

    private static HttpResponse<byte[]> patch(RegistryProcess registry, String location, byte[] chunk, int start)
            throws Exception {
        return Http.send("PATCH", registry.url(location), chunk, "Content-Type", "application/octet-stream",
                "Content-Range", start + "-" + (start + chunk.length - 1));
    }
}
