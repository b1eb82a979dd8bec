package io.cais.upload;

import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.S3SweepProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * The S3 store's limits answered as OCI errors, before anything breaks: the chunk that would need more parts than
 * a blob may have (here 2 of 5 MiB), and a PATCH while the replica already buffers its most parts (here 1).
 */
@QuarkusTest
@TestProfile(S3SweepProfile.class)
class S3UploadLimitsTest {

    private static final int PART = 5 * 1024 * 1024;

    private static String start(String repo) {
        return given().header("Authorization", Admin.basic()).post("/v2/" + repo + "/blobs/uploads/")
                .then().statusCode(202).extract().header("Location");
    }

    @Test
    void theChunkThatWouldNeedMorePartsThanABlobMayHaveIsRefusedWithTheOciError() {
        String location = start(Blobs.repository("limits"));

        given().header("Authorization", Admin.basic()).contentType("application/octet-stream")
                .header("Content-Range", "0-" + (2 * PART)).body(Blobs.random(2 * PART + 1))
                .patch(location)
                .then().statusCode(400)
                .body("errors[0].code", equalTo("BLOB_UPLOAD_INVALID"))
                .body("errors[0].message", containsString("largest size"))
                .body("errors[0].detail.maxBytes", equalTo(2 * PART));

        // Nothing of the refused chunk was recorded: the upload still stands at 0 and takes chunks that fit.
        given().header("Authorization", Admin.basic()).get(location).then().statusCode(204).header("Range", "0-0");
        given().header("Authorization", Admin.basic()).contentType("application/octet-stream")
                .header("Content-Range", "0-" + (PART - 1)).body(Blobs.random(PART))
                .patch(location).then().statusCode(202);
    }

    @Test
    void aPatchWhileTheReplicaBuffersItsMostPartsIsAnswered429WithRetryAfter() throws Exception {
        String repo = Blobs.repository("limits");
        PipedOutputStream feed = new PipedOutputStream();
        PipedInputStream body = new PipedInputStream(feed, 64 * 1024);
        // HTTP/1.1, as docker and containerd speak it to a registry without TLS.
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        CompletableFuture<HttpResponse<String>> slow = http.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + RestAssured.port + start(repo)))
                .header("Authorization", Admin.basic()).header("Content-Type", "application/octet-stream")
                .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(),
                HttpResponse.BodyHandlers.ofString());
        // More than Quarkus REST's input buffer (10 KiB), below which it holds a chunked body back from the handler.
        feed.write(Blobs.random(32 * 1024));
        feed.flush();

        Response refused = null;
        for (int attempt = 0; attempt < 50 && refused == null; attempt++) {
            Response response = given().header("Authorization", Admin.basic()).contentType("application/octet-stream")
                    .body(Blobs.random(10)).patch(start(repo));
            if (response.statusCode() == 429) {
                refused = response;
            } else {
                assertThat(response.statusCode()).isEqualTo(202); // the slow request had not reached the store yet
                Thread.sleep(100);
            }
        }

        assertThat(refused).as("a PATCH refused while another one streams").isNotNull();
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.jsonPath().getString("errors[0].code")).isEqualTo("TOOMANYREQUESTS");
        feed.close();
        assertThat(slow.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
        given().header("Authorization", Admin.basic()).contentType("application/octet-stream").body(Blobs.random(10))
                .patch(start(repo)).then().statusCode(202);
    }
}
