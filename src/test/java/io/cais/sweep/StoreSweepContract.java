package io.cais.sweep;

import io.cais.metadata.SweepStore;
import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.PrometheusText;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store sweep against one store: what no row knows is removed, once older than the grace delay; everything a
 * row knows stays. Subclasses store objects behind the registry's back and age them past the grace delay.
 */
abstract class StoreSweepContract {

    @Inject
    SweepStore sweeps;

    /** Stores a blob object as a commit does, without its row (a crash between the two commits), older than the grace delay. */
    abstract void storeWithoutRow(String digest, byte[] content) throws Exception;

    /** Makes a stored blob older than the grace delay (a no-op where the delay is 0). */
    abstract void makeBlobOld(String digest) throws Exception;

    /** Makes an upload's stored segments older than the grace delay (a no-op where the delay is 0). */
    abstract void makeUploadOld(String uploadId) throws Exception;

    abstract boolean blobStored(String digest) throws Exception;

    abstract boolean uploadStored(String uploadId) throws Exception;

    static RequestSpecification request() {
        return given().header("Authorization", Admin.basic());
    }

    static JsonPath sweep(boolean dryRun) {
        return AdminApi.asAdmin().body(Map.of("dryRun", dryRun)).post("/api/v1/sweep").then().statusCode(200)
                .extract().jsonPath();
    }

    /** The registry's stored bytes, as its usage accounting says. */
    static long storedBytes() {
        return AdminApi.asAdmin().get("/api/v1/usage").then().statusCode(200).extract().jsonPath().getLong("bytes");
    }

    static String push(String repo, byte[] content) {
        String digest = Blobs.sha256(content);
        request().contentType("application/octet-stream").body(content)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest).then().statusCode(201);
        return digest;
    }

    /** Starts an upload and stores a first chunk; returns its location. */
    static String startUpload(String repo, byte[] chunk) {
        String location = request().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(202).extract().header("Location");
        request().contentType("application/octet-stream").header("Content-Range", "0-" + (chunk.length - 1)).body(chunk)
                .patch(location).then().statusCode(202);
        return location;
    }

    static String uploadId(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    @Test
    void aBlobStoredWithoutItsRowIsRemovedAndRecordedBlobsAreUntouched() throws Exception {
        String repo = Blobs.repository("sweep");
        byte[] recorded = Blobs.random(2000);
        String recordedDigest = push(repo, recorded);
        makeBlobOld(recordedDigest);
        long accounted = storedBytes();
        byte[] stray = Blobs.random(1000);
        String strayDigest = Blobs.sha256(stray);
        storeWithoutRow(strayDigest, stray);
        assertThat(storedBytes()).as("a stray object is in no usage account").isEqualTo(accounted);

        JsonPath dryRun = sweep(true);
        assertThat(dryRun.getList("strayBlobs.items", String.class)).contains(strayDigest).doesNotContain(recordedDigest);
        assertThat(dryRun.getLong("strayBlobs.removed")).isZero();
        assertThat(blobStored(strayDigest)).isTrue();

        JsonPath swept = sweep(false);
        assertThat(swept.getList("strayBlobs.items", String.class)).contains(strayDigest).doesNotContain(recordedDigest);
        assertThat(swept.getLong("strayBlobs.removed")).isGreaterThanOrEqualTo(1);
        assertThat(blobStored(strayDigest)).isFalse();
        assertThat(blobStored(recordedDigest)).isTrue();
        assertThat(storedBytes()).as("the sweep leaves the usage accounting as the rows say").isEqualTo(accounted);
        assertThat(request().get("/v2/" + repo + "/blobs/" + recordedDigest).then().statusCode(200).extract().asByteArray())
                .isEqualTo(recorded);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(PrometheusText.value(metrics, "cais_sweep_objects_deleted_total")).isGreaterThanOrEqualTo(1);
        assertThat(PrometheusText.value(metrics, "cais_sweep_deleted_bytes_total")).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void theSegmentsOfAnUploadWhoseRepositoryWasDeletedAreRemovedAndLiveUploadsContinue() throws Exception {
        String deletedRepo = Blobs.repository("sweep-gone");
        String orphan = uploadId(startUpload(deletedRepo, Blobs.random(100)));
        String liveRepo = Blobs.repository("sweep-live");
        byte[] first = Blobs.random(100);
        String live = startUpload(liveRepo, first);
        AdminApi.asAdmin().delete("/api/v1/namespaces/" + Blobs.NAMESPACE + "/repositories/"
                + deletedRepo.substring(Blobs.NAMESPACE.length() + 1)).then().statusCode(204);
        makeUploadOld(orphan);
        makeUploadOld(uploadId(live));
        assertThat(uploadStored(orphan)).isTrue();

        JsonPath swept = sweep(false);

        assertThat(swept.getList("orphanUploads.items", String.class)).contains(orphan).doesNotContain(uploadId(live));
        assertThat(uploadStored(orphan)).isFalse();
        assertThat(uploadStored(uploadId(live))).isTrue();
        byte[] last = Blobs.random(50);
        byte[] whole = new byte[150];
        System.arraycopy(first, 0, whole, 0, 100);
        System.arraycopy(last, 0, whole, 100, 50);
        request().contentType("application/octet-stream").header("Content-Range", "100-149").body(last)
                .put(live + "?digest=" + Blobs.sha256(whole)).then().statusCode(201);
        assertThat(request().get("/v2/" + liveRepo + "/blobs/" + Blobs.sha256(whole)).then().statusCode(200)
                .extract().asByteArray()).isEqualTo(whole);
    }

    @Test
    void aSweepWhileAnotherReplicaSweepsIsRefused() throws Exception {
        try (AutoCloseable held = sweeps.trySweepLock().orElseThrow()) {
            AdminApi.asAdmin().body(Map.of()).post("/api/v1/sweep").then().statusCode(409)
                    .body("errors[0].code", org.hamcrest.Matchers.equalTo("CONFLICT"));
        }
        sweep(true);
    }
}
