package io.cais.distribution;

import io.agroal.api.AgroalDataSource;
import io.cais.content.MediaTypes;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import static io.cais.distribution.BlobApiContract.push;
import static io.cais.distribution.BlobApiContract.request;
import static io.cais.distribution.Manifests.descriptor;
import static io.cais.distribution.Manifests.image;
import static io.cais.distribution.Manifests.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** Pushing, pulling and deleting manifests: the push, pull and content-management workflows of the spec. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class ManifestApiTest {

    @Inject
    AgroalDataSource dataSource;

    // ---- push and pull ------------------------------------------------------------------------------------

    @Test
    void manifestPushedByTagIsServedByTagAndDigestByteForByte() {
        String repo = Blobs.repository("manifest");
        // Unusual whitespace: the registry must store and serve the exact bytes it was sent.
        byte[] manifest = new String(image(repo, null), StandardCharsets.UTF_8).replace(",", ",\n  ").getBytes(StandardCharsets.UTF_8);
        String digest = Blobs.sha256(manifest);

        put(repo, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201)
                .header("Location", "/v2/" + repo + "/manifests/" + digest)
                .header("Docker-Content-Digest", digest);

        for (String reference : List.of("v1", digest)) {
            Response get = request().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/" + reference);
            get.then().statusCode(200)
                    .header("Content-Type", MediaTypes.OCI_MANIFEST)
                    .header("Docker-Content-Digest", digest)
                    .header("Content-Length", String.valueOf(manifest.length));
            assertThat(get.asByteArray()).isEqualTo(manifest);
        }
    }

    @Test
    void headByTagAnswersDigestAndLengthWithoutBody() {
        String repo = Blobs.repository("manifest");
        byte[] manifest = image(repo, null);
        put(repo, "latest", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);

        Response head = request().head("/v2/" + repo + "/manifests/latest");
        head.then().statusCode(200)
                .header("Docker-Content-Digest", Blobs.sha256(manifest))
                .header("Content-Length", String.valueOf(manifest.length))
                .header("Content-Type", MediaTypes.OCI_MANIFEST);
        assertThat(head.asByteArray()).isEmpty();
    }

    @Test
    void manifestPushedByDigestIsStoredWithoutTag() {
        String repo = Blobs.repository("manifest");
        byte[] manifest = image(repo, null);
        String digest = Blobs.sha256(manifest);
        put(repo, digest, MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201).header("Docker-Content-Digest", digest);
        request().get("/v2/" + repo + "/manifests/" + digest).then().statusCode(200);
        request().get("/v2/" + repo + "/tags/list").then().statusCode(200).body("tags.size()", equalTo(0));
    }

    @Test
    void putByDigestThatDoesNotMatchTheBodyIsDigestInvalidAndStoresNothing() {
        String repo = Blobs.repository("manifest");
        byte[] manifest = image(repo, null);
        String wrong = Blobs.sha256(Blobs.random(4));
        put(repo, wrong, MediaTypes.OCI_MANIFEST, manifest).then().statusCode(400)
                .body("errors[0].code", equalTo("DIGEST_INVALID"));
        request().head("/v2/" + repo + "/manifests/" + wrong).then().statusCode(404);
        request().head("/v2/" + repo + "/manifests/" + Blobs.sha256(manifest)).then().statusCode(404);
    }

    @Test
    void dockerSchema2ManifestAndManifestListAreAccepted() {
        String repo = Blobs.repository("docker");
        byte[] config = "{\"architecture\":\"arm64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = Blobs.random(100);
        String configDigest = push(repo, config);
        String layerDigest = push(repo, layer);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":"
                + descriptor("application/vnd.docker.container.image.v1+json", configDigest, config.length)
                + ",\"layers\":[" + descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", layerDigest, layer.length)
                + "]}").getBytes(StandardCharsets.UTF_8);
        put(repo, "arm64", MediaTypes.DOCKER_MANIFEST, manifest).then().statusCode(201);

        byte[] list = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST_LIST + "\",\"manifests\":[{"
                + "\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"digest\":\"" + Blobs.sha256(manifest) + "\",\"size\":"
                + manifest.length + ",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}").getBytes(StandardCharsets.UTF_8);
        put(repo, "multi", MediaTypes.DOCKER_MANIFEST_LIST, list).then().statusCode(201);
        request().get("/v2/" + repo + "/manifests/multi").then().statusCode(200)
                .header("Content-Type", MediaTypes.DOCKER_MANIFEST_LIST)
                .header("Docker-Content-Digest", Blobs.sha256(list));
    }

    @Test
    void ociIndexOfPushedManifestsIsAccepted() {
        String repo = Blobs.repository("index");
        byte[] amd64 = image(repo, null);
        byte[] arm64 = image(repo, "\"annotations\":{\"arch\":\"arm64\"}");
        put(repo, Blobs.sha256(amd64), MediaTypes.OCI_MANIFEST, amd64).then().statusCode(201);
        put(repo, Blobs.sha256(arm64), MediaTypes.OCI_MANIFEST, arm64).then().statusCode(201);
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + descriptor(MediaTypes.OCI_MANIFEST, Blobs.sha256(amd64), amd64.length) + ","
                + descriptor(MediaTypes.OCI_MANIFEST, Blobs.sha256(arm64), arm64.length) + "]}").getBytes(StandardCharsets.UTF_8);

        put(repo, "multi", MediaTypes.OCI_INDEX, index).then().statusCode(201);

        assertThat(request().get("/v2/" + repo + "/manifests/multi").asByteArray()).isEqualTo(index);
        assertThat(references("SELECT child_digest FROM manifest_child c JOIN manifest m ON m.id = c.manifest_id WHERE m.digest = ?",
                Blobs.sha256(index))).containsExactlyInAnyOrder(Blobs.sha256(amd64), Blobs.sha256(arm64));
    }

    @Test
    void artifactWithEmptyConfigAndArtifactTypeIsAccepted() {
        String repo = Blobs.repository("artifact");
        String empty = push(repo, "{}".getBytes(StandardCharsets.UTF_8));
        byte[] payload = Blobs.random(50);
        String layer = push(repo, payload);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"artifactType\":\"application/vnd.example.sbom\","
                + "\"config\":" + descriptor(MediaTypes.OCI_EMPTY, empty, 2) + ","
                + "\"layers\":[" + descriptor("application/vnd.example.sbom.layer", layer, payload.length) + "]}")
                .getBytes(StandardCharsets.UTF_8);
        put(repo, "sbom", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
    }

    @Test
    void everyReferenceOfAManifestIsRecordedAsARow() {
        String repo = Blobs.repository("refs");
        byte[] manifest = image(repo, null);
        put(repo, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        assertThat(references("SELECT b.digest FROM manifest_blob b JOIN manifest m ON m.id = b.manifest_id WHERE m.digest = ?",
                Blobs.sha256(manifest))).hasSize(2);
        assertThat(references("SELECT t.name FROM tag t JOIN manifest m ON m.id = t.manifest_id WHERE m.digest = ?",
                Blobs.sha256(manifest))).containsExactly("v1");
    }

    // ---- validation ---------------------------------------------------------------------------------------

    @Test
    void unsupportedMediaTypesAreManifestInvalid() {
        String repo = Blobs.repository("invalid");
        byte[] manifest = image(repo, null);
        put(repo, "v1", "application/vnd.docker.distribution.manifest.v1+prettyjws",
                "{\"schemaVersion\":1,\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8))
                .then().statusCode(400).body("errors[0].code", equalTo("MANIFEST_INVALID"));
        put(repo, "v1", "text/plain", manifest).then().statusCode(400).body("errors[0].code", equalTo("MANIFEST_INVALID"));
    }

    @Test
    void malformedManifestsAreManifestInvalid() {
        String repo = Blobs.repository("invalid");
        for (String body : List.of("not json", "[]", "{\"schemaVersion\":2}", "{\"schemaVersion\":1,\"config\":{}}",
                "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":{}}")) {
            put(repo, "v1", MediaTypes.OCI_MANIFEST, body.getBytes(StandardCharsets.UTF_8))
                    .then().statusCode(400).body("errors[0].code", equalTo("MANIFEST_INVALID"));
        }
        request().head("/v2/" + repo + "/manifests/v1").then().statusCode(404);
    }

    @Test
    void mediaTypeContradictingContentTypeIsManifestInvalid() {
        String repo = Blobs.repository("invalid");
        byte[] manifest = image(repo, null);
        put(repo, "v1", MediaTypes.DOCKER_MANIFEST, manifest)
                .then().statusCode(400).body("errors[0].code", equalTo("MANIFEST_INVALID"));
    }

    @Test
    void manifestReferencingBlobsNotInTheRepositoryIsManifestBlobUnknown() {
        String repo = Blobs.repository("blobs");
        String other = Blobs.repository("blobs-other");
        byte[] manifest = image(other, null);
        put(repo, "v1", MediaTypes.OCI_MANIFEST, manifest)
                .then().statusCode(400).body("errors[0].code", equalTo("MANIFEST_BLOB_UNKNOWN"));
        request().head("/v2/" + repo + "/manifests/v1").then().statusCode(404);
        request().head("/v2/" + repo + "/manifests/" + Blobs.sha256(manifest)).then().statusCode(404);
    }

    @Test
    void indexReferencingAnUnknownManifestIsManifestBlobUnknown() {
        String repo = Blobs.repository("index");
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + descriptor(MediaTypes.OCI_MANIFEST, Blobs.sha256(Blobs.random(9)), 9) + "]}").getBytes(StandardCharsets.UTF_8);
        put(repo, "multi", MediaTypes.OCI_INDEX, index)
                .then().statusCode(400).body("errors[0].code", equalTo("MANIFEST_BLOB_UNKNOWN"));
        request().head("/v2/" + repo + "/manifests/multi").then().statusCode(404);
    }

    @Test
    void manifestOverTheSizeLimitIs413() {
        String repo = Blobs.repository("large");
        byte[] manifest = new byte[4 * 1024 * 1024 + 1];
        java.util.Arrays.fill(manifest, (byte) ' ');
        put(repo, "v1", MediaTypes.OCI_MANIFEST, manifest)
                .then().statusCode(413).body("errors[0].code", equalTo("SIZE_INVALID"));
    }

    @Test
    void invalidTagsAreTagInvalid() {
        String repo = Blobs.repository("tags");
        byte[] manifest = image(repo, null);
        for (String tag : List.of("-lead", ".dot", "t".repeat(129), "a+b")) {
            put(repo, tag, MediaTypes.OCI_MANIFEST, manifest).then().statusCode(400)
                    .body("errors[0].code", equalTo("TAG_INVALID"));
        }
        put(repo, "_Under.score-" + "x".repeat(115), MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
    }

    // ---- subject --------------------------------------------------------------------------------------------

    @Test
    void subjectIsAnsweredAndNeedNotExistYet() {
        String repo = Blobs.repository("subject");
        String subject = Blobs.sha256(Blobs.random(10));
        byte[] signature = image(repo, "\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, subject, 10));
        put(repo, Blobs.sha256(signature), MediaTypes.OCI_MANIFEST, signature)
                .then().statusCode(201).header("OCI-Subject", subject);
    }

    // ---- tags move, deletes -----------------------------------------------------------------------------

    @Test
    void pushingAnExistingTagMovesIt() {
        String repo = Blobs.repository("move");
        String first = Manifests.pushImage(repo, "stable");
        String second = Manifests.pushImage(repo, "stable");
        request().head("/v2/" + repo + "/manifests/stable").then().statusCode(200).header("Docker-Content-Digest", second);
        request().head("/v2/" + repo + "/manifests/" + first).then().statusCode(200);
    }

    @Test
    void deleteByTagRemovesOnlyTheTag() {
        String repo = Blobs.repository("delete");
        String digest = Manifests.pushImage(repo, "v1");
        request().delete("/v2/" + repo + "/manifests/v1").then().statusCode(202);
        request().get("/v2/" + repo + "/manifests/v1").then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().get("/v2/" + repo + "/manifests/" + digest).then().statusCode(200);
    }

    @Test
    void deleteByDigestRemovesTheManifestAndItsTags() {
        String repo = Blobs.repository("delete");
        String digest = Manifests.pushImage(repo, "v1");
        request().delete("/v2/" + repo + "/manifests/" + digest).then().statusCode(202);
        request().get("/v2/" + repo + "/manifests/" + digest).then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().get("/v2/" + repo + "/manifests/v1").then().statusCode(404);
        request().get("/v2/" + repo + "/tags/list").then().statusCode(200).body("tags.size()", equalTo(0));
    }

    @Test
    void aManifestAnIndexReferencesCannotBeDeletedBeforeTheIndex() {
        String repo = Blobs.repository("delete");
        byte[] child = image(repo, null);
        String childDigest = Blobs.sha256(child);
        put(repo, childDigest, MediaTypes.OCI_MANIFEST, child).then().statusCode(201);
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + descriptor(MediaTypes.OCI_MANIFEST, childDigest, child.length) + "]}").getBytes(StandardCharsets.UTF_8);
        put(repo, "multi", MediaTypes.OCI_INDEX, index).then().statusCode(201);

        request().delete("/v2/" + repo + "/manifests/" + childDigest).then().statusCode(409)
                .body("errors[0].code", equalTo("MANIFEST_REFERENCED"));
        request().get("/v2/" + repo + "/manifests/" + childDigest).then().statusCode(200);

        request().delete("/v2/" + repo + "/manifests/" + Blobs.sha256(index)).then().statusCode(202);
        request().delete("/v2/" + repo + "/manifests/" + childDigest).then().statusCode(202);
    }

    @Test
    void aBlobAManifestReferencesCannotBeUnlinkedBeforeTheManifest() {
        String repo = Blobs.repository("delete");
        byte[] layer = Blobs.random(100);
        String layerDigest = push(repo, layer);
        String config = push(repo, "{}".getBytes(StandardCharsets.UTF_8));
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", config, 2) + ","
                + "\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layerDigest, layer.length) + "]}")
                .getBytes(StandardCharsets.UTF_8);
        put(repo, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);

        request().delete("/v2/" + repo + "/blobs/" + layerDigest).then().statusCode(409)
                .body("errors[0].code", equalTo("BLOB_REFERENCED"));
        request().head("/v2/" + repo + "/blobs/" + layerDigest).then().statusCode(200);

        request().delete("/v2/" + repo + "/manifests/" + Blobs.sha256(manifest)).then().statusCode(202);
        request().delete("/v2/" + repo + "/blobs/" + layerDigest).then().statusCode(202);
    }

    @Test
    void deletingOrFetchingAnUnknownManifestIsManifestUnknown() {
        String repo = Blobs.repository("delete");
        Manifests.pushImage(repo, "v1");
        request().delete("/v2/" + repo + "/manifests/nope").then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().delete("/v2/" + repo + "/manifests/" + Blobs.sha256(Blobs.random(3))).then().statusCode(404);
        request().get("/v2/" + repo + "/manifests/nope").then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().get("/v2/tests/unknown-repo/manifests/v1").then().statusCode(404);
    }

    @Test
    void readingOrDeletingANameThatCannotBeATagIsManifestUnknown() {
        String repo = Blobs.repository("delete");
        Manifests.pushImage(repo, "v1");
        String path = "/v2/" + repo + "/manifests/.INVALID_MANIFEST_NAME";
        request().head(path).then().statusCode(404);
        request().get(path).then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().delete(path).then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
    }

    private List<String> references(String sql, String digest) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, digest);
            List<String> out = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    out.add(rows.getString(1));
                }
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
