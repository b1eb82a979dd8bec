package io.cais.quota;

import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.cais.quota.Pushes.registry;
import static io.cais.testing.AdminApi.asAdmin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Namespace quotas on stored bytes, run against each blob store by the subclasses: who may set and read them, pushes
 * within and over the limit (monolithic, chunked, streamed, mounted), what a refusal leaves (nothing: no link, no
 * object, no upload session, the usage unchanged), and concurrent pushes that only some of which fit.
 */
@QuarkusTestResource(PostgresTestResource.class)
abstract class QuotaContract {

    /** Whether the blob store holds an object for the digest. */
    abstract boolean stored(String digest);

    @Test
    void serverAdminsSetTheQuotaAndNamespaceAdminsReadItWithTheUsage() {
        String team = AdminApi.namespace("quota-rights", "private");
        String user = AdminApi.user("quota-admin", "pw-quota-admin");
        AdminApi.member(team, user, "admin");

        AdminApi.as(user, "pw-quota-admin").body(Map.of("bytes", 1)).put("/api/v1/namespaces/" + team + "/quota")
                .then().statusCode(403).body("errors[0].code", equalTo("DENIED"));
        setQuota(team, 10_000L);
        AdminApi.as(user, "pw-quota-admin").get("/api/v1/namespaces/" + team + "/usage").then().statusCode(200)
                .body("quotaBytes", equalTo(10_000)).body("bytes", equalTo(0));
        asAdmin().body(Map.of("bytes", -1)).put("/api/v1/namespaces/" + team + "/quota").then().statusCode(400)
                .body("errors[0].code", equalTo("INVALID_REQUEST"));
        asAdmin().body("{\"bytes\":null}").put("/api/v1/namespaces/" + team + "/quota").then().statusCode(200);
        assertThat(usage(team).getString("quotaBytes")).isNull();
        asAdmin().body(Map.of("bytes", 1)).put("/api/v1/namespaces/no-such-namespace/quota").then().statusCode(404);
    }

    @Test
    void aBlobOverTheQuotaIsRefusedNamingItAndLeavesNothing() {
        String team = AdminApi.namespace("quota-blob", "private");
        setQuota(team, 10_000L);
        byte[] first = Blobs.random(6_000);
        Pushes.blob(team + "/app", first).then().statusCode(201);
        assertThat(stored(Blobs.sha256(first))).as("object of the accepted blob in the store").isTrue();

        byte[] over = Blobs.random(6_000);
        Pushes.blob(team + "/app", over).then().statusCode(403)
                .body("errors[0].code", equalTo("DENIED"))
                .body("errors[0].message", containsString("quota"))
                .body("errors[0].message", containsString("'" + team + "'"))
                .body("errors[0].detail.limit", equalTo(10_000))
                .body("errors[0].detail.usage", equalTo(6_000))
                .body("errors[0].detail.requested", equalTo(6_000));
        assertNothingOf(team + "/app", over);
        assertThat(usage(team).getLong("bytes")).isEqualTo(6_000);

        byte[] fits = Blobs.random(4_000);
        Pushes.blob(team + "/app", fits).then().statusCode(201);
        assertThat(usage(team).getLong("bytes")).isEqualTo(10_000);
        // A blob the namespace already stores adds nothing: linking it into another repository is within the quota.
        Pushes.blob(team + "/other", first).then().statusCode(201);
        assertThat(usage(team).getLong("bytes")).isEqualTo(10_000);
    }

    @Test
    void anUploadOverTheQuotaIsRefusedAtTheChunkOrAtCompletionAndItsSessionIsGone() {
        String team = AdminApi.namespace("quota-chunk", "private");
        setQuota(team, 10_000L);
        String repository = team + "/app";

        // A chunk that alone exceeds what is left is refused before it is written.
        byte[] big = Blobs.random(12_000);
        String location = start(repository);
        registry().contentType("application/octet-stream").header("Content-Range", "0-11999").body(big).patch(location)
                .then().statusCode(403).body("errors[0].code", equalTo("DENIED"));
        registry().get(location).then().statusCode(404).body("errors[0].code", equalTo("BLOB_UPLOAD_UNKNOWN"));

        // A streamed chunk (no Content-Range) is refused once the upload exceeds what is left.
        location = start(repository);
        registry().contentType("application/octet-stream").body(big).patch(location).then().statusCode(403);
        registry().get(location).then().statusCode(404);

        // Chunks within the limit, then a last one that takes the blob over it.
        byte[] blob = Blobs.random(11_000);
        location = start(repository);
        String next = registry().contentType("application/octet-stream").header("Content-Range", "0-4999")
                .body(Blobs.slice(blob, 0, 5_000)).patch(location).then().statusCode(202).extract().header("Location");
        registry().contentType("application/octet-stream").header("Content-Range", "5000-10999")
                .body(Blobs.slice(blob, 5_000, 11_000)).put(next + (next.contains("?") ? "&" : "?") + "digest=" + Blobs.sha256(blob))
                .then().statusCode(403).body("errors[0].code", equalTo("DENIED"));
        registry().get(next).then().statusCode(404);
        assertNothingOf(repository, blob);
        assertThat(usage(team).getLong("bytes")).isZero();
    }

    @Test
    void aMountOverTheQuotaIsRefusedAndOneWithinItLinks() {
        String source = Blobs.repository("quota-source");
        byte[] blob = Blobs.random(5_000);
        Pushes.blob(source, blob).then().statusCode(201);
        String team = AdminApi.namespace("quota-mount", "private");
        setQuota(team, 3_000L);

        String mount = "/v2/" + team + "/app/blobs/uploads/?mount=" + Blobs.sha256(blob) + "&from=" + source;
        registry().post(mount).then().statusCode(403).body("errors[0].code", equalTo("DENIED"))
                .body("errors[0].detail.limit", equalTo(3_000)).body("errors[0].detail.requested", equalTo(5_000));
        registry().head("/v2/" + team + "/app/blobs/" + Blobs.sha256(blob)).then().statusCode(404);
        assertThat(usage(team).getLong("bytes")).isZero();

        setQuota(team, 5_000L);
        registry().post(mount).then().statusCode(201);
        assertThat(usage(team).getLong("bytes")).isEqualTo(5_000);
    }

    /**
     * The quota is enforced where the link is made, under the lock of the namespace's usage row: of concurrent pushes
     * that each fit alone, exactly as many succeed as fit together, and the usage never exceeds the quota.
     */
    @Test
    void concurrentPushesNeverTakeTheNamespaceOverItsQuota() throws Exception {
        String team = AdminApi.namespace("quota-race", "private");
        setQuota(team, 10_000L);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> pushes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] blob = Blobs.random(4_000);
                String repository = team + "/app" + i;
                pushes.add(pool.submit(() -> Pushes.blob(repository, blob).statusCode()));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> push : pushes) {
                statuses.add(push.get());
            }
            assertThat(statuses).containsOnly(201, 403);
            assertThat(statuses.stream().filter(s -> s == 201).count()).isEqualTo(2);
        } finally {
            pool.shutdownNow();
        }
        assertThat(usage(team).getLong("bytes")).isEqualTo(8_000);
    }

    private void assertNothingOf(String repository, byte[] blob) {
        registry().head("/v2/" + repository + "/blobs/" + Blobs.sha256(blob)).then().statusCode(404);
        registry().get("/v2/" + repository + "/blobs/" + Blobs.sha256(blob)).then().statusCode(404);
        assertThat(stored(Blobs.sha256(blob))).as("object of the refused blob in the store").isFalse();
    }

    private static String start(String repository) {
        Response started = registry().post("/v2/" + repository + "/blobs/uploads/");
        started.then().statusCode(202);
        return started.header("Location");
    }

    private static void setQuota(String namespace, Long bytes) {
        asAdmin().body(Map.of("bytes", bytes)).put("/api/v1/namespaces/" + namespace + "/quota").then().statusCode(200)
                .body("bytes", equalTo(bytes.intValue()));
    }

    private static JsonPath usage(String namespace) {
        return asAdmin().get("/api/v1/namespaces/" + namespace + "/usage").then().statusCode(200).extract().jsonPath();
    }
}
