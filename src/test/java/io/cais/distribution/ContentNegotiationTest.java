package io.cais.distribution;

import io.cais.content.MediaTypes;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.cais.distribution.BlobApiContract.push;
import static io.cais.distribution.BlobApiContract.request;
import static io.cais.distribution.Manifests.descriptor;
import static io.cais.distribution.Manifests.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * What a manifest GET/HEAD answers for the client's {@code Accept} (as Distribution does it), conditional requests
 * on manifests and blobs, and the headers of immutable content and of failed HEADs.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class ContentNegotiationTest {

    private static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    private static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /** A pushed multi-platform image: the index (or list) digest and its amd64 child's digest. */
    private record MultiArch(String repo, String index, String amd64) {
    }

    private static MultiArch pushMultiArch(boolean docker) {
        String repo = Blobs.repository(docker ? "docker-list" : "oci-index");
        String childType = docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST;
        StringBuilder children = new StringBuilder();
        String amd64 = null;
        for (String arch : new String[] {"arm64", "amd64"}) {
            byte[] config = ("{\"architecture\":\"" + arch + "\",\"os\":\"linux\"}").getBytes(StandardCharsets.UTF_8);
            byte[] layer = Blobs.random(300);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + childType + "\",\"config\":"
                    + descriptor(docker ? DOCKER_CONFIG : "application/vnd.oci.image.config.v1+json", push(repo, config), config.length)
                    + ",\"layers\":[" + descriptor(docker ? DOCKER_LAYER : "application/vnd.oci.image.layer.v1.tar+gzip",
                    push(repo, layer), layer.length) + "]}").getBytes(StandardCharsets.UTF_8);
            String digest = Blobs.sha256(manifest);
            put(repo, digest, childType, manifest).then().statusCode(201);
            if (arch.equals("amd64")) {
                amd64 = digest;
            }
            children.append(children.isEmpty() ? "" : ",").append("{\"mediaType\":\"").append(childType)
                    .append("\",\"digest\":\"").append(digest).append("\",\"size\":").append(manifest.length)
                    .append(",\"platform\":{\"architecture\":\"").append(arch).append("\",\"os\":\"linux\"}}");
        }
        String indexType = docker ? MediaTypes.DOCKER_MANIFEST_LIST : MediaTypes.OCI_INDEX;
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + indexType + "\",\"manifests\":[" + children + "]}")
                .getBytes(StandardCharsets.UTF_8);
        put(repo, "multi", indexType, index).then().statusCode(201);
        return new MultiArch(repo, Blobs.sha256(index), amd64);
    }

    private static RequestSpecification accepting(String... types) {
        return request().accept(String.join(", ", types));
    }

    private static void answers(Response response, String digest, String mediaType) {
        response.then().statusCode(200).header("Docker-Content-Digest", digest).header("Content-Type", mediaType);
    }

    @Test
    void ociIndexIsServedToClientsThatAcceptItOrAcceptAnything() {
        MultiArch image = pushMultiArch(false);
        String path = "/v2/" + image.repo() + "/manifests/multi";
        answers(accepting(MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST).get(path), image.index(), MediaTypes.OCI_INDEX);
        answers(accepting("*/*").get(path), image.index(), MediaTypes.OCI_INDEX);
    }

    @Test
    void requestsWithoutAcceptGetWhatWasStored() throws Exception {
        for (MultiArch image : new MultiArch[] {pushMultiArch(false), pushMultiArch(true)}) {
            var response = io.cais.testing.Http.send("GET", "http://localhost:" + io.restassured.RestAssured.port + "/v2/"
                    + image.repo() + "/manifests/multi", null);
            assertThat(response.request().headers().firstValue("Accept")).isEmpty();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Docker-Content-Digest")).hasValue(image.index());
        }
    }

    @Test
    void clientsAcceptingOnlyImageManifestsGetTheAmd64ChildOfAnIndex() {
        MultiArch image = pushMultiArch(false);
        String path = "/v2/" + image.repo() + "/manifests/multi";
        Response get = accepting(MediaTypes.OCI_MANIFEST).get(path);
        answers(get, image.amd64(), MediaTypes.OCI_MANIFEST);
        assertThat(Blobs.sha256(get.asByteArray())).isEqualTo(image.amd64());
        answers(accepting(MediaTypes.OCI_MANIFEST).head(path), image.amd64(), MediaTypes.OCI_MANIFEST);
    }

    @Test
    void dockerListIsServedToDockerClientsAndItsAmd64ChildToOldOnes() {
        MultiArch image = pushMultiArch(true);
        String path = "/v2/" + image.repo() + "/manifests/multi";
        answers(accepting(MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST).get(path), image.index(),
                MediaTypes.DOCKER_MANIFEST_LIST);
        answers(accepting(MediaTypes.DOCKER_MANIFEST).get(path), image.amd64(), MediaTypes.DOCKER_MANIFEST);
    }

    @Test
    void nothingAcceptableIsManifestUnknown() {
        MultiArch oci = pushMultiArch(false);
        accepting(MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST).get("/v2/" + oci.repo() + "/manifests/multi")
                .then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        MultiArch docker = pushMultiArch(true);
        accepting(MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST).get("/v2/" + docker.repo() + "/manifests/multi")
                .then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        accepting(MediaTypes.DOCKER_MANIFEST).get("/v2/" + oci.repo() + "/manifests/" + oci.amd64())
                .then().statusCode(404).body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
    }

    @Test
    void manifestTheClientHasIsNotModified() {
        MultiArch image = pushMultiArch(false);
        String path = "/v2/" + image.repo() + "/manifests/multi";
        for (String etag : new String[] {"\"" + image.index() + "\"", "W/\"" + image.index() + "\"", "*"}) {
            Response get = request().header("If-None-Match", etag).get(path);
            get.then().statusCode(304).header("ETag", "\"" + image.index() + "\"").header("Docker-Content-Digest", image.index());
            assertThat(get.asByteArray()).isEmpty();
        }
        request().header("If-None-Match", "\"" + image.amd64() + "\"").get(path).then().statusCode(200);
        request().header("If-None-Match", "\"" + image.index() + "\"").head(path).then().statusCode(304);
    }

    @Test
    void blobTheClientHasIsNotModifiedAndBlobsAreCacheableForever() {
        String repo = Blobs.repository("conditional");
        byte[] blob = Blobs.random(1000);
        String digest = push(repo, blob);
        String path = "/v2/" + repo + "/blobs/" + digest;
        request().get(path).then().statusCode(200).header("ETag", "\"" + digest + "\"")
                .header("Cache-Control", "max-age=31536000, immutable");
        Response get = request().header("If-None-Match", "\"" + digest + "\"").get(path);
        get.then().statusCode(304).header("Docker-Content-Digest", digest);
        assertThat(get.asByteArray()).isEmpty();
        request().header("If-None-Match", "\"" + digest + "\"").head(path).then().statusCode(304);
        request().header("If-None-Match", "\"sha256:" + "0".repeat(64) + "\"").get(path).then().statusCode(200);
    }

    @Test
    void manifestsByDigestAreCacheableForeverButTagsAreNot() {
        MultiArch image = pushMultiArch(false);
        request().get("/v2/" + image.repo() + "/manifests/" + image.index()).then().statusCode(200)
                .header("Cache-Control", "max-age=31536000, immutable");
        assertThat(request().get("/v2/" + image.repo() + "/manifests/multi").header("Cache-Control")).isNull();
    }

    @Test
    void failedHeadsAnnounceNoBody() {
        String repo = Blobs.repository("head-errors");
        for (String path : new String[] {"/v2/" + repo + "/manifests/missing", "/v2/" + repo + "/blobs/sha256:" + "0".repeat(64)}) {
            request().head(path).then().statusCode(404).header("Content-Length", "0");
        }
        io.restassured.RestAssured.given().head("/v2/" + repo + "/manifests/missing").then().statusCode(401).header("Content-Length", "0");
    }

    @Test
    void onlyNonDistributableLayersMayBeMissing() {
        String repo = Blobs.repository("foreign");
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        String configDigest = push(repo, config);
        String absent = "sha256:" + "1".repeat(64);
        String foreign = "{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" + absent
                + "\",\"size\":10,\"urls\":[\"https://example.com/layer\"]}";
        String ordinaryWithUrls = "{\"mediaType\":\"" + DOCKER_LAYER + "\",\"digest\":\"" + absent
                + "\",\"size\":10,\"urls\":[\"https://example.com/layer\"]}";
        for (String layer : new String[] {foreign, ordinaryWithUrls}) {
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":"
                    + descriptor(DOCKER_CONFIG, configDigest, config.length) + ",\"layers\":[" + layer + "]}")
                    .getBytes(StandardCharsets.UTF_8);
            Response answer = put(repo, Blobs.sha256(manifest), MediaTypes.DOCKER_MANIFEST, manifest);
            if (layer.equals(foreign)) {
                answer.then().statusCode(201);
            } else {
                answer.then().statusCode(400).body("errors[0].code", equalTo("MANIFEST_BLOB_UNKNOWN"));
            }
        }
    }
}
