package io.cais.platform;

import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
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

    private static HttpResponse<byte[]> patch(RegistryProcess registry, String location, byte[] chunk, int start)
            throws Exception {
        return Http.send("PATCH", registry.url(location), chunk, "Content-Type", "application/octet-stream",
                "Content-Range", start + "-" + (start + chunk.length - 1));
    }
}
