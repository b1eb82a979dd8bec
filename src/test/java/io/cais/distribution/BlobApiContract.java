package io.cais.distribution;

import io.cais.content.Digest;
import io.cais.storage.BlobContent;
import io.cais.storage.BlobStore;
import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;

/**
 * The blob half of the OCI Distribution Specification (pull blobs, push blobs, delete blobs), run against
 * each blob store by the subclasses.
 */
@QuarkusTestResource(PostgresTestResource.class)
abstract class BlobApiContract {

    private static final int MIB = 1024 * 1024;

    @Inject
    BlobStore store;

    @TestHTTPResource("/")
    URL base;

    static RequestSpecification request() {
        return given().urlEncodingEnabled(false).redirects().follow(false).header("Authorization", Admin.basic());
    }

    // ---- monolithic --------------------------------------------------------------------------------------

    @Test
    void monolithicPostWithDigestStoresTheBlob() {
        String repo = Blobs.repository("mono");
        byte[] blob = Blobs.random(4096);
        String digest = Blobs.sha256(blob);

        request().contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest)
                .then().statusCode(201)
                .header("Location", "/v2/" + repo + "/blobs/" + digest)
                .header("Docker-Content-Digest", digest);

        assertBlob(repo, digest, blob);
    }

    @Test
    void monolithicPostAcceptsSha512() {
        String repo = Blobs.repository("mono");
        byte[] blob = Blobs.random(1000);
        String digest = Blobs.sha512(blob);

        request().contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest)
                .then().statusCode(201).header("Docker-Content-Digest", digest);

        assertBlob(repo, digest, blob);
    }

    @Test
    void emptyBlobCanBePushedAndPulled() {
        String repo = Blobs.repository("mono");
        byte[] blob = new byte[0];
        String digest = Blobs.sha256(blob);

        request().contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest)
                .then().statusCode(201);

        assertBlob(repo, digest, blob);
    }

    @Test
    void digestMismatchIsRejectedAndNothingIsStored() throws Exception {
        String repo = Blobs.repository("mismatch");
        byte[] blob = Blobs.random(2048);
        String claimed = Blobs.sha256(Blobs.random(16));

        request().contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + claimed)
                .then().statusCode(400).body("errors[0].code", equalTo("DIGEST_INVALID"));

        request().head("/v2/" + repo + "/blobs/" + claimed).then().statusCode(404);
        request().head("/v2/" + repo + "/blobs/" + Blobs.sha256(blob)).then().statusCode(404);
        assertThat(stored(claimed)).isFalse();
        assertThat(stored(Blobs.sha256(blob))).isFalse();
    }

    @Test
    void digestMismatchOnPutDeletesTheUpload() throws Exception {
        String repo = Blobs.repository("mismatch");
        byte[] blob = Blobs.random(3000);
        String location = startUpload(repo);
        patch(location, blob, null).then().statusCode(202);

        String wrong = Blobs.sha256(Blobs.random(8));
        request().put(location + "?digest=" + wrong)
                .then().statusCode(400).body("errors[0].code", equalTo("DIGEST_INVALID"));

        request().get(location).then().statusCode(404).body("errors[0].code", equalTo("BLOB_UPLOAD_UNKNOWN"));
        assertThat(stored(Blobs.sha256(blob))).isFalse();
    }

    @Test
    void malformedDigestIsDigestInvalid() {
        String repo = Blobs.repository("bad");
        for (String digest : List.of("sha256:abc", "md5:" + "a".repeat(32), "sha256:" + "A".repeat(64), "nocolon")) {
            request().body(new byte[] {1}).post("/v2/" + repo + "/blobs/uploads/?digest=" + digest)
                    .then().statusCode(400).body("errors[0].code", equalTo("DIGEST_INVALID"));
            request().head("/v2/" + repo + "/blobs/" + digest).then().statusCode(400);
        }
    }

    // ---- sessions, streamed and chunked -------------------------------------------------------------------

    @Test
    void postStartsASessionWithLocationAndUuid() {
        String repo = Blobs.repository("session");
        Response response = request().post("/v2/" + repo + "/blobs/uploads/");
        response.then().statusCode(202)
                .header("Location", matchesPattern("/v2/" + repo + "/blobs/uploads/[0-9a-f-]{36}"))
                .header("Docker-Upload-UUID", notNullValue())
                .header("Range", "0-0")
                .header("OCI-Chunk-Min-Length", notNullValue());
        assertThat(response.header("Location")).endsWith(response.header("Docker-Upload-UUID"));
    }

    @Test
    void streamedPatchThenPutStoresTheBlob() throws Exception {
        String repo = Blobs.repository("stream");
        byte[] blob = Blobs.random(3 * MIB + 123);
        String location = startUpload(repo);

        // A streamed PATCH: chunked transfer encoding, no Content-Length and no Content-Range.
        HttpResponse<String> patched = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + location.substring(1)))
                .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(blob)))
                .header("Authorization", Admin.basic())
                .header("Content-Type", "application/octet-stream").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(patched.statusCode()).isEqualTo(202);
        assertThat(patched.headers().firstValue("Range")).contains("0-" + (blob.length - 1));
        assertThat(patched.headers().firstValue("Location")).contains(location);

        String digest = Blobs.sha256(blob);
        request().put(location + "?digest=" + digest).then().statusCode(201)
                .header("Location", "/v2/" + repo + "/blobs/" + digest)
                .header("Docker-Content-Digest", digest);
        assertBlob(repo, digest, blob);
    }

    @Test
    void chunksOfOneByteOneMibSevenMibAndAShortLastChunk() {
        String repo = Blobs.repository("chunks");
        int[] sizes = {1, MIB, 7 * MIB, 1, 5000};
        byte[] blob = Blobs.random(java.util.Arrays.stream(sizes).sum());
        String location = startUpload(repo);

        int offset = 0;
        for (int size : sizes) {
            patch(location, Blobs.slice(blob, offset, offset + size), offset + "-" + (offset + size - 1))
                    .then().statusCode(202)
                    .header("Range", "0-" + (offset + size - 1))
                    .header("Location", location)
                    .header("Docker-Upload-UUID", notNullValue());
            offset += size;
        }
        String digest = Blobs.sha256(blob);
        request().put(location + "?digest=" + digest).then().statusCode(201);
        assertBlob(repo, digest, blob);
    }

    @Test
    void putMayCarryTheLastChunk() {
        String repo = Blobs.repository("chunks");
        byte[] blob = Blobs.random(2 * MIB + 77);
        String location = startUpload(repo);
        patch(location, Blobs.slice(blob, 0, MIB), "0-" + (MIB - 1)).then().statusCode(202);

        String digest = Blobs.sha256(blob);
        request().contentType("application/octet-stream")
                .header("Content-Range", MIB + "-" + (blob.length - 1))
                .body(Blobs.slice(blob, MIB, blob.length))
                .put(location + "?digest=" + digest)
                .then().statusCode(201).header("Docker-Content-Digest", digest);
        assertBlob(repo, digest, blob);
    }

    @Test
    void uploadResumesAfterStatusRequest() {
        String repo = Blobs.repository("resume");
        byte[] blob = Blobs.random(MIB + 999);
        String location = startUpload(repo);
        patch(location, Blobs.slice(blob, 0, 700_000), "0-699999").then().statusCode(202);

        Response status = request().get(location);
        status.then().statusCode(204).header("Range", "0-699999").header("Location", location)
                .header("Docker-Upload-UUID", notNullValue());
        long next = Long.parseLong(status.header("Range").split("-")[1]) + 1;

        patch(location, Blobs.slice(blob, (int) next, blob.length), next + "-" + (blob.length - 1))
                .then().statusCode(202);
        String digest = Blobs.sha256(blob);
        request().put(location + "?digest=" + digest).then().statusCode(201);
        assertBlob(repo, digest, blob);
    }

    @Test
    void outOfOrderChunkIs416AndTheUploadStaysUsable() {
        String repo = Blobs.repository("order");
        byte[] blob = Blobs.random(20_000);
        String location = startUpload(repo);
        patch(location, Blobs.slice(blob, 0, 10_000), "0-9999").then().statusCode(202);

        patch(location, Blobs.slice(blob, 15_000, 20_000), "15000-19999")
                .then().statusCode(416)
                .header("Range", "0-9999")
                .header("Location", location)
                .body("errors[0].code", equalTo("RANGE_INVALID"));
        patch(location, Blobs.slice(blob, 0, 10_000), "0-9999").then().statusCode(416);

        patch(location, Blobs.slice(blob, 10_000, 20_000), "10000-19999").then().statusCode(202);
        String digest = Blobs.sha256(blob);
        request().put(location + "?digest=" + digest).then().statusCode(201);
        assertBlob(repo, digest, blob);
    }

    @Test
    void chunkShorterThanItsContentRangeIsRejected() {
        String repo = Blobs.repository("order");
        String location = startUpload(repo);
        patch(location, Blobs.random(100), "0-199").then().statusCode(400)
                .body("errors[0].code", equalTo("BLOB_UPLOAD_INVALID"));
        request().get(location).then().statusCode(204).header("Range", "0-0");
    }

    @Test
    void putWithADifferentDigestAlgorithmRehashesTheUpload() {
        String repo = Blobs.repository("algo");
        byte[] blob = Blobs.random(MIB + 5);
        String location = startUpload(repo);
        patch(location, blob, "0-" + (blob.length - 1)).then().statusCode(202);

        String digest = Blobs.sha512(blob);
        request().put(location + "?digest=" + digest).then().statusCode(201).header("Docker-Content-Digest", digest);
        assertBlob(repo, digest, blob);
    }

    @Test
    void putWithoutDigestIsDigestInvalid() {
        String repo = Blobs.repository("algo");
        String location = startUpload(repo);
        request().put(location).then().statusCode(400).body("errors[0].code", equalTo("DIGEST_INVALID"));
    }

    @Test
    void cancelledUploadIsGone() {
        String repo = Blobs.repository("cancel");
        byte[] blob = Blobs.random(5000);
        String location = startUpload(repo);
        patch(location, blob, "0-4999").then().statusCode(202);

        request().delete(location).then().statusCode(204);

        request().get(location).then().statusCode(404).body("errors[0].code", equalTo("BLOB_UPLOAD_UNKNOWN"));
        patch(location, blob, "0-4999").then().statusCode(404);
        request().put(location + "?digest=" + Blobs.sha256(blob)).then().statusCode(404);
        request().delete(location).then().statusCode(404);
    }

    @Test
    void unknownUploadIsBlobUploadUnknown() {
        String repo = Blobs.repository("unknown");
        request().get("/v2/" + repo + "/blobs/uploads/" + java.util.UUID.randomUUID())
                .then().statusCode(404).body("errors[0].code", equalTo("BLOB_UPLOAD_UNKNOWN"));
        request().get("/v2/" + repo + "/blobs/uploads/not-a-uuid")
                .then().statusCode(404).body("errors[0].code", equalTo("BLOB_UPLOAD_UNKNOWN"));
    }

    @Test
    void uploadBelongsToItsRepository() {
        String location = startUpload(Blobs.repository("owner"));
        String elsewhere = location.replaceFirst("/v2/tests/owner-[^/]+/", "/v2/tests/other/");
        request().get(elsewhere).then().statusCode(404).body("errors[0].code", equalTo("BLOB_UPLOAD_UNKNOWN"));
    }

    // ---- mount ----------------------------------------------------------------------------------------------

    @Test
    void mountFromARepositoryThatHasTheBlobLinksIt() {
        String source = Blobs.repository("mount-src");
        String target = Blobs.repository("mount-dst");
        byte[] blob = Blobs.random(1234);
        String digest = push(source, blob);

        request().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source)
                .then().statusCode(201)
                .header("Location", "/v2/" + target + "/blobs/" + digest)
                .header("Docker-Content-Digest", digest);
        assertBlob(target, digest, blob);
    }

    @Test
    void mountFromARepositoryWithoutTheBlobFallsBackToAnUploadSession() {
        String source = Blobs.repository("mount-src");
        String other = Blobs.repository("mount-other");
        String target = Blobs.repository("mount-dst");
        String digest = push(other, Blobs.random(99));

        request().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source)
                .then().statusCode(202)
                .header("Location", matchesPattern("/v2/" + target + "/blobs/uploads/[0-9a-f-]{36}"))
                .header("Docker-Upload-UUID", notNullValue());
        request().head("/v2/" + target + "/blobs/" + digest).then().statusCode(404);
    }

    // ---- pull -----------------------------------------------------------------------------------------------

    @Test
    void headAnswersSizeAndDigestWithoutBody() {
        String repo = Blobs.repository("pull");
        byte[] blob = Blobs.random(777);
        String digest = push(repo, blob);

        Response head = request().head("/v2/" + repo + "/blobs/" + digest);
        head.then().statusCode(200)
                .header("Content-Length", "777")
                .header("Docker-Content-Digest", digest);
        assertThat(head.asByteArray()).isEmpty();
    }

    @Test
    void rangeRequestsAreServedPartially() {
        String repo = Blobs.repository("range");
        byte[] blob = Blobs.random(10_000);
        String digest = push(repo, blob);
        String path = "/v2/" + repo + "/blobs/" + digest;

        Response middle = request().header("Range", "bytes=100-199").get(path);
        middle.then().statusCode(206).header("Content-Range", "bytes 100-199/10000").header("Content-Length", "100");
        assertThat(middle.asByteArray()).isEqualTo(Blobs.slice(blob, 100, 200));

        Response open = request().header("Range", "bytes=9990-").get(path);
        open.then().statusCode(206).header("Content-Range", "bytes 9990-9999/10000");
        assertThat(open.asByteArray()).isEqualTo(Blobs.slice(blob, 9990, 10_000));

        Response suffix = request().header("Range", "bytes=-10").get(path);
        suffix.then().statusCode(206).header("Content-Range", "bytes 9990-9999/10000");
        assertThat(suffix.asByteArray()).isEqualTo(Blobs.slice(blob, 9990, 10_000));

        Response beyond = request().header("Range", "bytes=9000-20000").get(path);
        beyond.then().statusCode(206).header("Content-Range", "bytes 9000-9999/10000");
        assertThat(beyond.asByteArray()).isEqualTo(Blobs.slice(blob, 9000, 10_000));
    }

    @Test
    void unsatisfiableRangeIs416() {
        String repo = Blobs.repository("range");
        String digest = push(repo, Blobs.random(100));
        request().header("Range", "bytes=100-").get("/v2/" + repo + "/blobs/" + digest)
                .then().statusCode(416)
                .header("Content-Range", "bytes */100")
                .body("errors[0].code", equalTo("RANGE_INVALID"));
    }

    @Test
    void blobOfAnotherRepositoryIsUnknownHere() {
        String owner = Blobs.repository("tenant-a");
        String stranger = Blobs.repository("tenant-b");
        String digest = push(owner, Blobs.random(512));

        request().head("/v2/" + stranger + "/blobs/" + digest).then().statusCode(404);
        request().get("/v2/" + stranger + "/blobs/" + digest)
                .then().statusCode(404).body("errors[0].code", equalTo("BLOB_UNKNOWN"));
    }

    @Test
    void unknownBlobIs404BlobUnknown() {
        String repo = Blobs.repository("pull");
        request().get("/v2/" + repo + "/blobs/" + Blobs.sha256(Blobs.random(3)))
                .then().statusCode(404).body("errors[0].code", equalTo("BLOB_UNKNOWN"))
                .body("errors", hasSize(1));
    }

    // ---- delete ---------------------------------------------------------------------------------------------

    @Test
    void deleteRemovesTheRepositorysLinkOnly() {
        String repo = Blobs.repository("delete");
        String other = Blobs.repository("delete-other");
        byte[] blob = Blobs.random(64);
        String digest = push(repo, blob);
        push(other, blob);

        request().delete("/v2/" + repo + "/blobs/" + digest).then().statusCode(202);

        request().head("/v2/" + repo + "/blobs/" + digest).then().statusCode(404);
        assertBlob(other, digest, blob);
        request().delete("/v2/" + repo + "/blobs/" + digest)
                .then().statusCode(404).body("errors[0].code", equalTo("BLOB_UNKNOWN"));
    }

    // ---- names ----------------------------------------------------------------------------------------------

    @Test
    void invalidRepositoryNamesAreNameInvalid() throws Exception {
        for (String name : List.of("Upper", "a..b", "-lead", "a__-b", "a_.b", "x".repeat(256),
                // paths the HTTP layer would normalise into another name
                "a/b/", "a//b", "a/./b", "a/../b", "%2e%2e", "a/%2e%2e/b", "a%2Fb", "a%2f%2fb")) {
            HttpResponse<String> response = rawPost("/v2/" + name + "/blobs/uploads/");
            assertThat(response.statusCode()).as(name).isEqualTo(400);
            assertThat(response.body()).as(name).contains("\"code\":\"NAME_INVALID\"");
        }
    }

    @Test
    void longestValidNameIsAccepted() {
        String name = "tests/" + "a".repeat(120) + "/" + "b".repeat(128);
        request().post("/v2/" + name + "/blobs/uploads/").then().statusCode(202);
    }

    /** Sends the path exactly as written: REST Assured would normalise {@code //} and dot segments away. */
    HttpResponse<String> rawPost(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path.substring(1)))
                .header("Authorization", Admin.basic())
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    static String startUpload(String repo) {
        return request().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(202).extract().header("Location");
    }

    static Response patch(String location, byte[] chunk, String contentRange) {
        RequestSpecification spec = request().contentType("application/octet-stream").body(chunk);
        if (contentRange != null) {
            spec.header("Content-Range", contentRange);
        }
        return spec.patch(location);
    }

    /** Whether the store holds the (non-empty) blob, looked up past the API, whose 404 proves nothing about storage. */
    private boolean stored(String digest) {
        try {
            return switch (store.read(Digest.parse(digest), 0, 1)) {
                case BlobContent.FileRegion file -> Files.exists(file.path());
                case BlobContent.Stream stream -> {
                    stream.stream().close();
                    yield true;
                }
            };
        } catch (IOException e) {
            return false;
        }
    }

    static String push(String repo, byte[] blob) {
        String digest = Blobs.sha256(blob);
        request().contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest).then().statusCode(201);
        return digest;
    }

    static void assertBlob(String repo, String digest, byte[] expected) {
        request().head("/v2/" + repo + "/blobs/" + digest).then().statusCode(200)
                .header("Content-Length", String.valueOf(expected.length))
                .header("Docker-Content-Digest", digest);
        Response get = request().get("/v2/" + repo + "/blobs/" + digest);
        get.then().statusCode(200).header("Docker-Content-Digest", digest)
                .header("Content-Length", String.valueOf(expected.length));
        assertThat(get.asByteArray()).isEqualTo(expected);
    }

    static {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }
}
