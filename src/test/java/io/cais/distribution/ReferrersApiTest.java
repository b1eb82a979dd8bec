package io.cais.distribution;

import io.cais.content.MediaTypes;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.cais.distribution.BlobApiContract.push;
import static io.cais.distribution.BlobApiContract.request;
import static io.cais.distribution.Manifests.descriptor;
import static io.cais.distribution.Manifests.put;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

/** The referrers API: manifests that name a subject, as an image index, filterable by artifact type. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class ReferrersApiTest {

    @Test
    void referrersAreListedAsAnIndexWithArtifactTypesAndAnnotations() {
        String repo = Blobs.repository("referrers");
        String subject = Manifests.pushImage(repo, "v1");
        String signature = pushReferrer(repo, subject, "application/vnd.example.signature", "{\"who\":\"ci\"}");
        String sbom = pushReferrer(repo, subject, "application/vnd.example.sbom", null);

        request().get("/v2/" + repo + "/referrers/" + subject).then().statusCode(200)
                .header("Content-Type", equalTo(MediaTypes.OCI_INDEX))
                .header("OCI-Filters-Applied", nullValue())
                .body("schemaVersion", equalTo(2))
                .body("mediaType", equalTo(MediaTypes.OCI_INDEX))
                .body("manifests.digest", containsInAnyOrder(signature, sbom))
                .body("manifests.find { it.digest == '" + signature + "' }.artifactType", equalTo("application/vnd.example.signature"))
                .body("manifests.find { it.digest == '" + signature + "' }.annotations.who", equalTo("ci"))
                .body("manifests.find { it.digest == '" + signature + "' }.mediaType", equalTo(MediaTypes.OCI_MANIFEST));
    }

    @Test
    void artifactTypeFilterIsAppliedAndSaidSo() {
        String repo = Blobs.repository("referrers");
        String subject = Manifests.pushImage(repo, "v1");
        String signature = pushReferrer(repo, subject, "application/vnd.example.signature", null);
        pushReferrer(repo, subject, "application/vnd.example.sbom", null);

        request().get("/v2/" + repo + "/referrers/" + subject + "?artifactType=application/vnd.example.signature")
                .then().statusCode(200)
                .header("Content-Type", equalTo(MediaTypes.OCI_INDEX))
                .header("OCI-Filters-Applied", "artifactType")
                .body("manifests.digest", containsInAnyOrder(signature));
    }

    @Test
    void imageManifestWithoutArtifactTypeReportsItsConfigMediaType() {
        String repo = Blobs.repository("referrers");
        String subject = Manifests.pushImage(repo, "v1");
        byte[] referrer = Manifests.image(repo, "\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, subject, 1));
        put(repo, Blobs.sha256(referrer), MediaTypes.OCI_MANIFEST, referrer).then().statusCode(201);

        request().get("/v2/" + repo + "/referrers/" + subject).then().statusCode(200)
                .body("manifests[0].artifactType", equalTo("application/vnd.oci.image.config.v1+json"));
    }

    @Test
    void referrerPushedBeforeItsSubjectIsListed() {
        String repo = Blobs.repository("referrers");
        String future = Blobs.sha256(Blobs.random(20));
        String referrer = pushReferrer(repo, future, "application/vnd.example.signature", null);
        request().get("/v2/" + repo + "/referrers/" + future).then().statusCode(200)
                .body("manifests.digest", containsInAnyOrder(referrer));
    }

    @Test
    void unknownSubjectHasAnEmptyIndex() {
        String repo = Blobs.repository("referrers");
        Manifests.pushImage(repo, "v1");
        request().get("/v2/" + repo + "/referrers/" + Blobs.sha256(Blobs.random(5))).then().statusCode(200)
                .header("Content-Type", equalTo(MediaTypes.OCI_INDEX))
                .body("manifests.size()", equalTo(0));
    }

    @Test
    void malformedSubjectDigestIsDigestInvalid() {
        request().get("/v2/tests/some-repo/referrers/sha256:xyz").then().statusCode(400)
                .body("errors[0].code", equalTo("DIGEST_INVALID"));
    }

    @Test
    void deletedReferrerIsNoLongerListed() {
        String repo = Blobs.repository("referrers");
        String subject = Manifests.pushImage(repo, "v1");
        String referrer = pushReferrer(repo, subject, "application/vnd.example.signature", null);
        request().delete("/v2/" + repo + "/manifests/" + referrer).then().statusCode(202);
        request().get("/v2/" + repo + "/referrers/" + subject).then().statusCode(200).body("manifests.size()", equalTo(0));
    }

    /** An OCI 1.1 artifact (empty config) whose subject is {@code subject}. */
    static String pushReferrer(String repo, String subject, String artifactType, String annotations) {
        String empty = push(repo, "{}".getBytes(StandardCharsets.UTF_8));
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"artifactType\":\"" + artifactType + "\","
                + "\"config\":" + descriptor(MediaTypes.OCI_EMPTY, empty, 2) + ",\"layers\":[" + descriptor(MediaTypes.OCI_EMPTY, empty, 2) + "],"
                + "\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, subject, 100)
                + (annotations == null ? "" : ",\"annotations\":" + annotations) + "}").getBytes(StandardCharsets.UTF_8);
        String digest = Blobs.sha256(manifest);
        put(repo, digest, MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201).header("OCI-Subject", subject);
        return digest;
    }
}
