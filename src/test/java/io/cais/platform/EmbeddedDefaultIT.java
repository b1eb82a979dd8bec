package io.cais.platform;

import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.RegistryProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With no configuration the packaged registry runs on its embedded defaults — PostgreSQL from the jar and the
 * filesystem store under ./data — generates and logs the administrator's password once, and keeps what it
 * stored across a restart.
 */
class EmbeddedDefaultIT {

    private static final Pattern GENERATED = Pattern.compile("with the generated password: (\\S+)");

    @Test
    void startsWithNothingConfiguredAndKeepsDataAcrossRestarts() throws Exception {
        Path work = Files.createTempDirectory("cais-embedded");
        // Only the ports are chosen, so that the test never collides with anything else on the machine.
        Map<String, String> ports = Map.of("cais.embedded-database.port", String.valueOf(RegistryProcess.freePort()));
        byte[] blob = Blobs.random(100_000);
        String digest = Blobs.sha256(blob);
        String repo = "embedded-app";
        String admin;

        try (RegistryProcess registry = RegistryProcess.startUnconfigured(work, ports)) {
            Matcher generated = GENERATED.matcher(registry.log());
            assertThat(generated.find()).as("generated admin password in the log").isTrue();
            admin = Admin.basic("admin", generated.group(1));

            HttpResponse<byte[]> anonymous = Http.sendAs(null, "GET", registry.url("/v2/"), null);
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer realm="));
            HttpResponse<byte[]> base = Http.sendAs(admin, "GET", registry.url("/v2/"), null);
            assertThat(base.statusCode()).isEqualTo(200);
            assertThat(base.headers().firstValue("Docker-Distribution-API-Version")).contains("registry/2.0");
            HttpResponse<byte[]> pushed = Http.sendAs(admin, "POST", registry.url("/v2/" + repo + "/blobs/uploads/?digest=" + digest),
                    blob, "Content-Type", "application/octet-stream");
            assertThat(pushed.statusCode()).isEqualTo(201);
        }
        assertThat(work.resolve("data/postgres/postgresql.conf")).exists();
        assertThat(work.resolve("data/blobs/blobs/sha256/" + digest.substring(7, 9) + "/" + digest.substring(7))).exists();

        try (RegistryProcess restarted = RegistryProcess.startUnconfigured(work, ports)) {
            assertThat(GENERATED.matcher(restarted.log()).find()).as("the password is generated only once").isFalse();
            HttpResponse<byte[]> pulled = Http.sendAs(admin, "GET", restarted.url("/v2/" + repo + "/blobs/" + digest), null);
            assertThat(pulled.statusCode()).isEqualTo(200);
            assertThat(pulled.body()).isEqualTo(blob);
        }
    }
}
