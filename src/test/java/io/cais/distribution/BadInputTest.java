package io.cais.distribution;

import io.cais.content.MediaTypes;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import static io.cais.distribution.BlobApiContract.request;
import static io.cais.distribution.Manifests.pushImage;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Inputs that reached PostgreSQL unchecked and came back as 500 (it cannot store a NUL character, nor more than a
 * column holds): each is refused as a 4xx with the error JSON before the database sees it.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class BadInputTest {

    @Test
    void nulInAnAdminApiNameIs400() {
        assertInvalid(request().get("/api/v1/namespaces/te%00sts"));
        assertInvalid(request().delete("/api/v1/users/al%00ice"));
        assertInvalid(request().contentType("application/json").body("{\"role\":\"reader\"}")
                .put("/api/v1/namespaces/tests/members/bo%00b"));
    }

    @Test
    void nulInTheCatalogCursorIs400() {
        assertInvalid(request().get("/v2/_catalog?n=10&last=tests%00"));
    }

    @Test
    void nulInTheTagListCursorIs400() {
        String repo = Blobs.repository("bad-input");
        pushImage(repo, "v1");
        assertInvalid(request().get("/v2/" + repo + "/tags/list?last=v%00"));
    }

    @Test
    void nulInAPathSegmentIs400() {
        assertInvalid(request().get("/v2/" + Blobs.repository("bad-input") + "/manifests/v%001"));
    }

    @Test
    void nulOrAnOverlongArtifactTypeInAManifestIs400() {
        String repo = Blobs.repository("bad-input");
        for (String artifactType : new String[] {"application/x\\u0000y", "application/" + "x".repeat(300)}) {
            byte[] manifest = Manifests.image(repo, "\"artifactType\":\"" + artifactType + "\"");
            Response response = Manifests.put(repo, "v1", MediaTypes.OCI_MANIFEST, manifest);
            assertThat(response.statusCode()).as(response.asString()).isEqualTo(400);
            assertThat(response.jsonPath().getString("errors[0].code")).isEqualTo("MANIFEST_INVALID");
        }
    }

    private static void assertInvalid(Response response) {
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(400);
        assertThat(response.contentType()).startsWith("application/json");
        assertThat(response.jsonPath().getString("errors[0].code")).isEqualTo("INVALID_REQUEST");
    }
}
