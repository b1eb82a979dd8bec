package io.cais.platform;

import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.RegistryProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With no configuration the packaged registry runs on its embedded defaults — PostgreSQL from the jar and the
 * filesystem store under ./data — and what it stored survives a restart.
 */
class EmbeddedDefaultIT {

    @Test
    void startsWithNothingConfiguredAndKeepsDataAcrossRestarts() throws Exception {
        Path work = Files.createTempDirectory("cais-embedded");
        // Only the ports are chosen, so that the test never collides with anything else on the machine.
        Map<String, String> ports = Map.of("cais.embedded-database.port", String.valueOf(RegistryProcess.freePort()));
        byte[] blob = Blobs.random(100_000);
        String digest = Blobs.sha256(blob);
        String repo = "embedded/app";

        try (RegistryProcess registry = RegistryProcess.start(work, ports)) {
            HttpResponse<byte[]> base = Http.send("GET", registry.url("/v2/"), null);
            assertThat(base.statusCode()).isEqualTo(200);
            assertThat(base.headers().firstValue("Docker-Distribution-API-Version")).contains("registry/2.0");
            HttpResponse<byte[]> pushed = Http.send("POST", registry.url("/v2/" + repo + "/blobs/uploads/?digest=" + digest),
                    blob, "Content-Type", "application/octet-stream");
            assertThat(pushed.statusCode()).isEqualTo(201);
        }
        assertThat(work.resolve("data/postgres/postgresql.conf")).exists();
        assertThat(work.resolve("data/blobs/blobs/sha256/" + digest.substring(7, 9) + "/" + digest.substring(7))).exists();

        try (RegistryProcess restarted = RegistryProcess.start(work, ports)) {
            HttpResponse<byte[]> pulled = Http.send("GET", restarted.url("/v2/" + repo + "/blobs/" + digest), null);
            assertThat(pulled.statusCode()).isEqualTo(200);
            assertThat(pulled.body()).isEqualTo(blob);
        }
    }
}
