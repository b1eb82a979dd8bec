package io.cais.distribution;

import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.S3RedirectProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static io.cais.distribution.BlobApiContract.push;
import static io.cais.distribution.BlobApiContract.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** With {@code cais.storage.s3.redirect=true}, blob downloads are 307 redirects to short-lived presigned URLs. */
@QuarkusTest
@TestProfile(S3RedirectProfile.class)
@QuarkusTestResource(PostgresTestResource.class)
class S3RedirectTest {

    @Test
    void blobGetRedirectsToAPresignedUrlThatServesTheBlob() throws Exception {
        String repo = Blobs.repository("redirect");
        byte[] blob = Blobs.random(3000);
        String digest = push(repo, blob);

        Response response = request().get("/v2/" + repo + "/blobs/" + digest);
        response.then().statusCode(307).header("Docker-Content-Digest", digest);
        String location = response.header("Location");
        assertThat(location).contains("X-Amz-Signature=").contains("X-Amz-Expires=120");

        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<byte[]> direct = client.send(HttpRequest.newBuilder(URI.create(location)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(direct.statusCode()).isEqualTo(200);
        assertThat(direct.body()).isEqualTo(blob);

        HttpResponse<byte[]> tampered = client.send(HttpRequest.newBuilder(URI.create(location.replace("X-Amz-Expires=120",
                "X-Amz-Expires=9999"))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(tampered.statusCode()).isEqualTo(403);
    }

    @Test
    void headIsAnsweredDirectlyAndUnknownBlobsAreNotRedirected() {
        String repo = Blobs.repository("redirect");
        byte[] blob = Blobs.random(10);
        String digest = push(repo, blob);
        request().head("/v2/" + repo + "/blobs/" + digest).then().statusCode(200).header("Content-Length", "10");
        request().get("/v2/" + repo + "/blobs/" + Blobs.sha256(Blobs.random(4))).then().statusCode(404)
                .body("errors[0].code", equalTo("BLOB_UNKNOWN"));
    }
}
