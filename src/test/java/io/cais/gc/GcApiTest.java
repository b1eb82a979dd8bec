package io.cais.gc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agroal.api.AgroalDataSource;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.GcImages;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.PrometheusText;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /api/v1/gc} and {@code GET /api/v1/gc} on the filesystem store: what a run deletes, that a dry run
 * reports exactly that and deletes nothing, the namespace's untagged-manifest setting, and referrers of deleted
 * subjects. Runs with {@code ignoreDelay}: the review delay is 24 h here.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class GcApiTest {

    private static final Path STORE = Path.of("target/test-data/blobs");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String base() {
        return "http://localhost:" + RestAssured.port;
    }

    @Test
    void aDryRunReportsExactlyWhatTheRunThenFreesAndTheRunFreesOnlyWhatNoOtherImageShares() throws Exception {
        collect(false); // what earlier tests left behind, so that the reports below are about this test
        String repo = AdminApi.namespace("gc-dry", "private") + "/app";
        byte[] base = Blobs.random(4000);
        GcImages.Image a = GcImages.image(List.of(base, Blobs.random(3000)));
        GcImages.Image b = GcImages.image(List.of(base, Blobs.random(2000)));
        assertThat(a.push(base(), repo, "a")).isEqualTo(201);
        assertThat(b.push(base(), repo, "b")).isEqualTo(201);
        assertThat(status("DELETE", "/v2/" + repo + "/manifests/" + a.digest())).isEqualTo(202);
        Set<String> onlyA = new HashSet<>(a.blobDigests());
        onlyA.removeAll(b.blobDigests());

        JsonNode dry = collect(true);
        assertThat(dry.get("dryRun").asBoolean()).isTrue();
        assertThat(stored(onlyA)).as("a dry run deletes nothing").containsExactlyInAnyOrderElementsOf(onlyA);
        onlyA.forEach(digest -> assertThat(statusUnchecked("HEAD", "/v2/" + repo + "/blobs/" + digest)).isEqualTo(200));

        JsonNode run = collect(false);
        assertThat(run.get("dryRun").asBoolean()).isFalse();
        for (String field : List.of("manifests", "links", "blobs", "objects", "bytes")) {
            assertThat(run.get(field).asLong()).as(field).isEqualTo(dry.get(field).asLong());
        }
        long bytesOfA = a.blobs().stream().filter(blob -> onlyA.contains(Blobs.sha256(blob))).mapToLong(blob -> blob.length).sum();
        assertThat(run.get("blobs").asLong()).isEqualTo(onlyA.size());
        assertThat(run.get("objects").asLong()).isEqualTo(onlyA.size());
        assertThat(run.get("links").asLong()).isEqualTo(onlyA.size());
        assertThat(run.get("bytes").asLong()).isEqualTo(bytesOfA);
        assertThat(stored(onlyA)).isEmpty();
        assertThat(stored(b.blobDigests())).containsExactlyInAnyOrderElementsOf(b.blobDigests());
        assertPulls(repo, "b", b);
        assertThat(collect(false).get("objects").asLong()).as("nothing left to collect").isZero();
    }

    @Test
    void untaggedManifestsAreKeptByDefaultAndDeletedWhenTheNamespaceSaysSo() throws Exception {
        String keeping = AdminApi.namespace("gc-keep", "private") + "/app";
        String deleting = AdminApi.namespace("gc-delete", "private");
        AdminApi.asAdmin().body(Map.of("untaggedManifests", "delete")).patch("/api/v1/namespaces/" + deleting)
                .then().statusCode(200).body("untaggedManifests", org.hamcrest.Matchers.equalTo("delete"));
        deleting += "/app";
        for (String repo : List.of(keeping, deleting)) {
            GcImages.Image old = GcImages.image(List.of(Blobs.random(1000)));
            GcImages.Image current = GcImages.image(List.of(Blobs.random(1000)));
            assertThat(old.push(base(), repo, "latest")).isEqualTo(201);
            assertThat(current.push(base(), repo, "latest")).isEqualTo(201); // the tag moves: old is untagged

            collect(false);

            boolean kept = repo.equals(keeping);
            assertThat(status("GET", "/v2/" + repo + "/manifests/" + old.digest())).as(repo).isEqualTo(kept ? 200 : 404);
            assertThat(stored(old.blobDigests())).as(repo).hasSize(kept ? old.blobDigests().size() : 0);
            assertPulls(repo, "latest", current);
        }
        AdminApi.asAdmin().body(Map.of("untaggedManifests", "sometimes")).patch("/api/v1/namespaces/" + keeping.split("/")[0])
                .then().statusCode(400);
    }

    @Test
    void anIndexKeepsItsUntaggedChildrenUntilItIsDeleted() throws Exception {
        String namespace = AdminApi.namespace("gc-index", "private");
        AdminApi.asAdmin().body(Map.of("untaggedManifests", "delete")).patch("/api/v1/namespaces/" + namespace).then().statusCode(200);
        String repo = namespace + "/app";
        GcImages.Image child = GcImages.image(List.of(Blobs.random(1000)));
        GcImages.Image index = GcImages.index(child);
        assertThat(child.push(base(), repo, child.digest())).isEqualTo(201); // by digest: untagged
        assertThat(index.push(base(), repo, "v1")).isEqualTo(201);

        collect(false);
        assertThat(status("GET", "/v2/" + repo + "/manifests/" + child.digest())).as("kept by its index").isEqualTo(200);
        assertThat(stored(child.blobDigests())).hasSize(child.blobDigests().size());

        assertThat(status("DELETE", "/v2/" + repo + "/manifests/v1")).as("the tag; the index is then untagged").isEqualTo(202);
        collect(false);
        assertThat(status("GET", "/v2/" + repo + "/manifests/" + index.digest())).isEqualTo(404);
        assertThat(status("GET", "/v2/" + repo + "/manifests/" + child.digest())).isEqualTo(404);
        assertThat(stored(child.blobDigests())).isEmpty();
    }

    @Test
    void aReferrerIsKeptWithItsSubjectAndCollectedOnceTheSubjectIsDeleted() throws Exception {
        String repo = AdminApi.namespace("gc-referrer", "private") + "/app";
        GcImages.Image subject = GcImages.image(List.of(Blobs.random(1000)));
        GcImages.Image signature = GcImages.referrer(subject);
        assertThat(subject.push(base(), repo, "v1")).isEqualTo(201);
        assertThat(signature.push(base(), repo, signature.digest())).isEqualTo(201);

        collect(false);
        assertThat(status("GET", "/v2/" + repo + "/manifests/" + signature.digest())).as("kept by its subject").isEqualTo(200);

        assertThat(status("DELETE", "/v2/" + repo + "/manifests/" + subject.digest())).isEqualTo(202);
        collect(false);
        assertThat(status("GET", "/v2/" + repo + "/manifests/" + signature.digest())).isEqualTo(404);
        assertThat(stored(signature.blobDigests())).isEmpty();
        assertThat(stored(subject.blobDigests())).isEmpty();
    }

    @Test
    void theStatusShowsTheTotalsAndWhatIsPending() throws Exception {
        String repo = AdminApi.namespace("gc-status", "private") + "/app";
        byte[] lonely = Blobs.random(777);
        assertThat(GcImages.upload(base(), repo, lonely)).isEqualTo(201);
        String metricsBefore = metrics();
        JsonNode before = JSON.readTree(Http.send("GET", base() + "/api/v1/gc", null).body());
        assertThat(before.get("blobReviewsDue").asLong()).as("due only after the 24 h delay").isZero();
        assertThat(before.get("reviewsPending").asLong()).isPositive();
        assertThat(before.get("reviewDelay").asText()).isEqualTo("PT24H");

        JsonNode run = collect(false);
        assertThat(run.get("bytes").asLong()).isGreaterThanOrEqualTo(777);
        JsonNode after = JSON.readTree(Http.send("GET", base() + "/api/v1/gc", null).body());
        assertThat(after.get("totals").get("bytes").asLong() - before.get("totals").get("bytes").asLong())
                .isEqualTo(run.get("bytes").asLong());
        assertThat(after.get("lastRunAt").isNull()).isFalse();
        String metricsAfter = metrics();
        assertThat(PrometheusText.value(metricsAfter, "cais_gc_freed_bytes_total")
                - PrometheusText.value(metricsBefore, "cais_gc_freed_bytes_total")).isEqualTo(run.get("bytes").asDouble());
        assertThat(PrometheusText.value(metricsAfter, "cais_gc_objects_deleted_total")
                - PrometheusText.value(metricsBefore, "cais_gc_objects_deleted_total")).isEqualTo(run.get("objects").asDouble());
        assertThat(PrometheusText.value(metricsAfter, "cais_gc_blobs_deleted_total")
                - PrometheusText.value(metricsBefore, "cais_gc_blobs_deleted_total")).isEqualTo(run.get("blobs").asDouble());
        assertThat(PrometheusText.value(metricsAfter, "cais_gc_failures_total")).isZero();
        assertThat(metricsAfter).contains("cais_gc_reviews_due");
        assertThat(stored(Set.of(Blobs.sha256(lonely)))).isEmpty();
        assertThat(Http.sendAs(null, "GET", base() + "/api/v1/gc", null).statusCode()).isEqualTo(401);
    }

    @Test
    void anUploadOfADigestWhoseObjectIsBeingDeletedWaitsForTheDeletionThenStoresItsObject() throws Exception {
        String repo = AdminApi.namespace("gc-upload", "private") + "/app";
        byte[] blob = Blobs.random(1234);
        String digest = Blobs.sha256(blob);
        sql("INSERT INTO gc_blob_deletion (digest, size) VALUES (?, 1234)", digest); // a collector decided, not done yet

        var upload = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return GcImages.upload(base(), repo, blob);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(1500);
        assertThat(upload).as("waiting for the deletion").isNotDone();
        assertThat(stored(Set.of(digest))).as("not committed over an object being deleted").isEmpty();
        sql("DELETE FROM gc_blob_deletion WHERE digest = ?", digest); // the collector deleted the object, then this row

        assertThat(upload.get(20, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(201);
        assertThat(Http.send("GET", base() + "/v2/" + repo + "/blobs/" + digest, null).body()).isEqualTo(blob);
    }

    @Inject
    AgroalDataSource dataSource;

    private void sql(String statement, String digest) throws Exception {
        try (var connection = dataSource.getConnection(); var prepared = connection.prepareStatement(statement)) {
            prepared.setString(1, digest);
            prepared.executeUpdate();
        }
    }

    private static String metrics() throws Exception {
        return new String(Http.send("GET", base() + "/q/metrics", null).body(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static JsonNode collect(boolean dryRun) throws Exception {
        return JSON.readTree(GcImages.collect(base(), dryRun, true));
    }

    private static void assertPulls(String repo, String tag, GcImages.Image image) throws Exception {
        assertThat(Http.send("GET", base() + "/v2/" + repo + "/manifests/" + tag, null,
                "Accept", GcImages.OCI_MANIFEST).body()).isEqualTo(image.manifest());
        for (byte[] blob : image.blobs()) {
            assertThat(Http.send("GET", base() + "/v2/" + repo + "/blobs/" + Blobs.sha256(blob), null).body()).isEqualTo(blob);
        }
    }

    /** Which of the digests have an object in the store. */
    private static Set<String> stored(Set<String> digests) {
        Set<String> stored = new HashSet<>();
        for (String digest : digests) {
            if (Files.exists(object(digest))) {
                stored.add(digest);
            }
        }
        return stored;
    }

    private static Path object(String digest) {
        String hex = digest.substring("sha256:".length());
        return STORE.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex);
    }

    private static int status(String method, String path) throws Exception {
        return Http.send(method, base() + path, null, "Accept", GcImages.OCI_MANIFEST).statusCode();
    }

    private static int statusUnchecked(String method, String path) {
        try {
            return status(method, path);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
