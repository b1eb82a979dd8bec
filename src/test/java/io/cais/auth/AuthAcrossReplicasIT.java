package io.cais.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What replicas remember of authentication follows a change made through any one of them. Hole 4: the documented
 * leak procedure (rotate, then delete the leaked key) holds on every replica at once: the other stops signing with
 * the leaked key and stops accepting tokens it signed, although it had used and verified that key before; the key
 * set it publishes changes with it. And a replica that remembers an account and a namespace (every login reads
 * them) hears a rotated secret, a deleted robot and a namespace made private as soon as the other replica commits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthAcrossReplicasIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private RegistryProcess a;
    private RegistryProcess b;

    @BeforeAll
    void startTwoReplicas() throws Exception {
        Path work = Files.createTempDirectory("cais-signing-keys");
        Map<String, String> shared = Map.of(
                "quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"),
                "quarkus.datasource.username", "postgres",
                "cais.storage.type", "filesystem",
                "cais.storage.filesystem.root", work.resolve("blobs").toString());
        a = RegistryProcess.start(work.resolve("a"), shared);
        b = RegistryProcess.start(work.resolve("b"), shared);
    }

    @AfterAll
    void stop() throws Exception {
        for (RegistryProcess replica : new RegistryProcess[] {a, b}) {
            if (replica != null) {
                replica.close();
            }
        }
    }

    @Test
    void rotatingAndDeletingALeakedKeyOnOneReplicaTakesEffectOnTheOther() throws Exception {
        String repo = Blobs.repository("leak");
        String leaked = token(b, repo);
        String leakedKid = kid(leaked);
        assertThat(tagsStatus(b, leaked)).as("B verifies and remembers the token").isEqualTo(404);

        HttpResponse<byte[]> rotated = Http.send("POST", a.url("/api/v1/signing-keys"), null);
        assertThat(rotated.statusCode()).isEqualTo(201);
        String freshKid = JSON.readTree(rotated.body()).get("kid").asText();
        assertThat(eventually(() -> kid(token(b, repo)), freshKid)).as("B signs with the new key").isEqualTo(freshKid);
        assertThat(tagsStatus(b, leaked)).as("rotation alone keeps earlier tokens valid").isEqualTo(404);

        assertThat(Http.send("DELETE", a.url("/api/v1/signing-keys/" + leakedKid), null).statusCode()).isEqualTo(204);
        assertThat(eventually(() -> tagsStatus(b, leaked), 401)).as("B refuses the leaked key's token").isEqualTo(401);
        assertThat(tagsStatus(a, leaked)).isEqualTo(401);
        assertThat(publishedKids(b)).contains(freshKid).doesNotContain(leakedKid);
    }

    @Test
    void credentialsAndNamespacesChangedOnOneReplicaTakeEffectOnTheOther() throws Exception {
        String ns = "replicated-" + Long.toHexString(System.nanoTime());
        assertThat(Http.send("POST", a.url("/api/v1/namespaces"),
                ("{\"name\":\"" + ns + "\",\"visibility\":\"public\"}").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json").statusCode()).isEqualTo(201);
        HttpResponse<byte[]> created = Http.send("POST", a.url("/api/v1/namespaces/" + ns + "/robots"),
                "{\"name\":\"puller\",\"actions\":[\"pull\"],\"repositories\":[\"*\"]}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json");
        assertThat(created.statusCode()).isEqualTo(201);
        String robot = JSON.readTree(created.body()).get("username").asText();
        String secret = JSON.readTree(created.body()).get("secret").asText();
        String repo = ns + "/app";
        assertThat(robotTags(b, repo, robot, secret)).as("B reads and remembers the robot").isEqualTo(404);
        assertThat(anonymousTags(b, repo)).as("B remembers the namespace as public").isEqualTo(404);

        HttpResponse<byte[]> rotated = Http.send("POST", a.url("/api/v1/namespaces/" + ns + "/robots/puller/secret"), null);
        assertThat(rotated.statusCode()).isEqualTo(200);
        String newSecret = JSON.readTree(rotated.body()).get("secret").asText();
        assertThat(eventually(() -> robotTags(b, repo, robot, secret), 401)).as("B refuses the old secret").isEqualTo(401);
        assertThat(robotTags(b, repo, robot, newSecret)).as("B accepts the new secret").isEqualTo(404);

        assertThat(Http.send("PATCH", a.url("/api/v1/namespaces/" + ns),
                "{\"visibility\":\"private\"}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json")
                .statusCode()).isEqualTo(200);
        assertThat(eventually(() -> anonymousTags(b, repo), 401)).as("B hears the namespace went private").isEqualTo(401);

        assertThat(Http.send("DELETE", a.url("/api/v1/namespaces/" + ns + "/robots/puller"), null).statusCode()).isEqualTo(204);
        assertThat(eventually(() -> robotTags(b, repo, robot, newSecret), 401)).as("B refuses the deleted robot").isEqualTo(401);
    }

    private static int robotTags(RegistryProcess replica, String repo, String robot, String secret) {
        try {
            String basic = "Basic " + Base64.getEncoder().encodeToString((robot + ":" + secret).getBytes(StandardCharsets.UTF_8));
            return Http.sendAs(basic, "GET", replica.url("/v2/" + repo + "/tags/list"), null).statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int anonymousTags(RegistryProcess replica, String repo) {
        try {
            return Http.sendAs(null, "GET", replica.url("/v2/" + repo + "/tags/list"), null).statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls for at most 3 s: a notification crosses replicas in milliseconds, not at the next restart. */
    private static <T> T eventually(Supplier<T> probe, T expected) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        T seen = probe.get();
        while (!seen.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            seen = probe.get();
        }
        return seen;
    }

    private static String token(RegistryProcess replica, String repo) {
        try {
            HttpResponse<byte[]> answer = Http.send("GET", replica.url("/auth/token?scope=repository:" + repo + ":pull"), null);
            assertThat(answer.statusCode()).isEqualTo(200);
            return JSON.readTree(answer.body()).get("token").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int tagsStatus(RegistryProcess replica, String token) {
        try {
            String repo = TokenAuthTest.access(token).getFirst().get("name").toString();
            return Http.sendAs("Bearer " + token, "GET", replica.url("/v2/" + repo + "/tags/list"), null).statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> publishedKids(RegistryProcess replica) throws Exception {
        JsonNode keys = JSON.readTree(Http.sendAs(null, "GET", replica.url("/auth/jwks"), null).body()).get("keys");
        List<String> kids = new ArrayList<>();
        keys.forEach(key -> kids.add(key.get("kid").asText()));
        return kids;
    }

    private static String kid(String token) {
        try {
            return JSON.readTree(new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8))
                    .get("kid").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
