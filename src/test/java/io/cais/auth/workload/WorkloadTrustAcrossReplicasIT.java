package io.cais.auth.workload;

import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.cais.testing.ServiceAccountSigner;
import io.restassured.RestAssured;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A trust change made through one replica holds on every replica at once: the other replica, which had verified
 * workload tokens with the old keys and rules and remembers them, refuses what the change took away and accepts
 * what it added, without a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkloadTrustAcrossReplicasIT {

    private RegistryProcess a;
    private RegistryProcess b;

    @BeforeAll
    void startTwoReplicas() throws Exception {
        Path work = Files.createTempDirectory("cais-workload-trust");
        Map<String, String> shared = Map.of(
                "quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"),
                "quarkus.datasource.username", "postgres",
                "cais.storage.filesystem.root", work.resolve("blobs").toString());
        a = RegistryProcess.start(work.resolve("a"), shared);
        b = RegistryProcess.start(work.resolve("b"), shared);
        // The admin API is driven through replica A.
        RestAssured.baseURI = "http://127.0.0.1";
        RestAssured.port = a.port();
    }

    @AfterAll
    void stop() throws Exception {
        RestAssured.reset();
        for (RegistryProcess replica : new RegistryProcess[] {a, b}) {
            if (replica != null) {
                replica.close();
            }
        }
    }

    @Test
    void replacedKeysAndDeletedRulesTakeEffectOnTheOtherReplicaAtOnce() throws Exception {
        ServiceAccountSigner cluster = ServiceAccountSigner.rsa();
        String namespace = AdminApi.namespace("replicated", "private");
        AdminApi.trustPullsFrom(namespace, cluster, "payments");
        String before = cluster.token("payments", "api");
        // 404: allowed, and no such repository yet.
        assertThat(tagsStatus(b, namespace, before)).as("B verifies and remembers the trust").isEqualTo(404);

        ServiceAccountSigner rotated = cluster.rotated();
        AdminApi.asAdmin().body(rotated.jwks()).put("/api/v1/namespaces/" + namespace + "/trusted-issuers/prod/jwks")
                .then().statusCode(200);
        String after = rotated.token("payments", "api");
        assertThat(eventually(() -> tagsStatus(b, namespace, before), 401)).as("B refuses the old key").isEqualTo(401);
        assertThat(tagsStatus(b, namespace, after)).as("B accepts the new key").isEqualTo(404);

        int rule = AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/trusted-issuers/prod/rules")
                .then().statusCode(200).extract().path("[0].id");
        AdminApi.asAdmin().delete("/api/v1/namespaces/" + namespace + "/trusted-issuers/prod/rules/" + rule)
                .then().statusCode(204);
        assertThat(eventually(() -> tagsStatus(b, namespace, after), 401)).as("B no longer maps the subject").isEqualTo(401);
    }

    /** Polls for at most 3 s: a notification crosses replicas in milliseconds, not at the next restart. */
    private static int eventually(IntSupplier probe, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        int seen = probe.getAsInt();
        while (seen != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            seen = probe.getAsInt();
        }
        return seen;
    }

    private static int tagsStatus(RegistryProcess replica, String namespace, String token) {
        try {
            return Http.sendAs(Admin.basic("workload", token), "GET", replica.url("/v2/" + namespace + "/app/tags/list"), null)
                    .statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
