package io.cais.distribution;

import io.cais.content.MediaTypes;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static io.cais.distribution.BlobApiContract.push;
import static io.cais.distribution.BlobApiContract.request;
import static io.cais.distribution.Manifests.descriptor;
import static io.cais.distribution.Manifests.put;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Legacy {@code -$(ARCH)} names (issue 20): in a namespace with {@code archAliases} on, {@code <ns>/pause-arm64} is
 * served from the index {@code <ns>/pause}: its arm64 image by tag and by digest, with that image's blobs and the
 * tags whose index lists arm64; a real repository of the suffixed name wins; the alias follows the index; pulling
 * it takes pull on {@code pause}; the catalog does not list it.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class ArchAliasTest {

    /** An image manifest pushed by digest over its own config and layer, with the bytes of all three. */
    record Image(byte[] manifest, byte[] config, byte[] layer) {

        String digest() {
            return Blobs.sha256(manifest);
        }

        /** An index entry for this image on {@code linux/<platform>} ({@code arm64}, {@code arm/v7}, …). */
        String entry(String platform) {
            String[] parts = platform.split("/");
            String variant = parts.length > 1 ? ",\"variant\":\"" + parts[1] + "\"" : "";
            String plain = descriptor(MediaTypes.OCI_MANIFEST, digest(), manifest.length);
            return plain.substring(0, plain.length() - 1)
                    + ",\"platform\":{\"architecture\":\"" + parts[0] + "\",\"os\":\"linux\"" + variant + "}}";
        }
    }

    private String namespace;
    private String pause;
    private Image amd64;
    private Image arm64;
    private byte[] index;

    @BeforeEach
    void pauseIsATwoPlatformIndexInANamespaceServingAliases() {
        namespace = AdminApi.namespace("aliases", "private");
        AdminApi.archAliases(namespace, true);
        pause = namespace + "/pause";
        amd64 = pushPlatformImage(pause, "amd64");
        arm64 = pushPlatformImage(pause, "arm64");
        index = index(amd64.entry("amd64"), arm64.entry("arm64"));
        put(pause, "3.9", MediaTypes.OCI_INDEX, index).then().statusCode(201);
    }

    @Test
    void theSuffixedNameServesTheIndexEntryOfItsArchitectureByTagAndByDigest() {
        for (String reference : List.of("3.9", arm64.digest())) {
            Response get = request().get("/v2/" + pause + "-arm64/manifests/" + reference);
            get.then().statusCode(200)
                    .header("Docker-Content-Digest", arm64.digest())
                    .header("Content-Type", MediaTypes.OCI_MANIFEST)
                    .header("Content-Length", String.valueOf(arm64.manifest().length));
            assertThat(get.asByteArray()).isEqualTo(arm64.manifest());
            Response head = request().head("/v2/" + pause + "-arm64/manifests/" + reference);
            head.then().statusCode(200)
                    .header("Docker-Content-Digest", arm64.digest())
                    .header("Content-Type", MediaTypes.OCI_MANIFEST)
                    .header("Content-Length", String.valueOf(arm64.manifest().length));
            assertThat(head.asByteArray()).isEmpty();
        }
        request().get("/v2/" + pause + "-amd64/manifests/3.9").then().statusCode(200)
                .header("Docker-Content-Digest", amd64.digest());

        for (byte[] blob : List.of(arm64.config(), arm64.layer())) {
            String digest = Blobs.sha256(blob);
            request().head("/v2/" + pause + "-arm64/blobs/" + digest).then().statusCode(200)
                    .header("Content-Length", String.valueOf(blob.length)).header("Docker-Content-Digest", digest);
            assertThat(request().get("/v2/" + pause + "-arm64/blobs/" + digest).then().statusCode(200)
                    .extract().asByteArray()).isEqualTo(blob);
        }
    }

    @Test
    void anArchitectureTheIndexLacksIsManifestUnknown() {
        request().get("/v2/" + pause + "-s390x/manifests/3.9").then().statusCode(404)
                .contentType(ContentType.JSON)
                .body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().head("/v2/" + pause + "-s390x/manifests/3.9").then().statusCode(404);
        // By digest, only the manifest the index lists for that very platform.
        request().get("/v2/" + pause + "-arm64/manifests/" + amd64.digest()).then().statusCode(404)
                .body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().get("/v2/" + pause + "-arm64/manifests/" + Blobs.sha256(index)).then().statusCode(404);
        // A tag that is a single image, not an index, has no alias; neither has a tag that does not exist.
        Manifests.pushImage(pause, "single");
        request().get("/v2/" + pause + "-amd64/manifests/single").then().statusCode(404);
        request().get("/v2/" + pause + "-arm64/manifests/3.10").then().statusCode(404);
        // A name without a base repository is no alias, and an unknown suffix is no alias.
        request().get("/v2/" + namespace + "/nothing-arm64/manifests/3.9").then().statusCode(404);
        request().get("/v2/" + pause + "-x86/manifests/3.9").then().statusCode(404);
    }

    @Test
    void aliasesAreOffUntilANamespaceAdminSwitchesThemOn() {
        String off = AdminApi.namespace("no-aliases", "private");
        AdminApi.asAdmin().get("/api/v1/namespaces/" + off).then().statusCode(200).body("archAliases", equalTo(false));
        Image image = pushPlatformImage(off + "/pause", "arm64");
        put(off + "/pause", "3.9", MediaTypes.OCI_INDEX, index(image.entry("arm64"))).then().statusCode(201);
        request().get("/v2/" + off + "/pause-arm64/manifests/3.9").then().statusCode(404)
                .body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().head("/v2/" + off + "/pause-arm64/blobs/" + Blobs.sha256(image.layer())).then().statusCode(404);

        String writer = AdminApi.user("writer", "writer-password");
        String owner = AdminApi.user("owner", "owner-password");
        AdminApi.member(off, writer, "writer");
        AdminApi.member(off, owner, "admin");
        AdminApi.as(writer, "writer-password").body(Map.of("archAliases", true)).patch("/api/v1/namespaces/" + off)
                .then().statusCode(403);
        AdminApi.as(owner, "owner-password").body(Map.of("archAliases", true)).patch("/api/v1/namespaces/" + off)
                .then().statusCode(200).body("archAliases", equalTo(true)).body("visibility", equalTo("private"));
        request().get("/v2/" + off + "/pause-arm64/manifests/3.9").then().statusCode(200)
                .header("Docker-Content-Digest", image.digest());

        AdminApi.archAliases(off, false);
        request().get("/v2/" + off + "/pause-arm64/manifests/3.9").then().statusCode(404);
    }

    @Test
    void movingTheIndexTagMovesTheAliasAndDeletingTheTagRemovesIt() {
        request().get("/v2/" + pause + "-arm64/manifests/3.9").then().statusCode(200)
                .header("Docker-Content-Digest", arm64.digest());

        Image rebuilt = pushPlatformImage(pause, "arm64");
        put(pause, "3.9", MediaTypes.OCI_INDEX, index(amd64.entry("amd64"), rebuilt.entry("arm64"))).then().statusCode(201);
        request().get("/v2/" + pause + "-arm64/manifests/3.9").then().statusCode(200)
                .header("Docker-Content-Digest", rebuilt.digest());
        request().head("/v2/" + pause + "-arm64/manifests/3.9").then().statusCode(200)
                .header("Docker-Content-Digest", rebuilt.digest());

        request().delete("/v2/" + pause + "/manifests/3.9").then().statusCode(202);
        request().get("/v2/" + pause + "-arm64/manifests/3.9").then().statusCode(404)
                .body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
    }

    @Test
    void aRealRepositoryOfTheSuffixedNameShadowsTheAlias() {
        request().get("/v2/" + pause + "-amd64/manifests/3.9").then().statusCode(200)
                .header("Docker-Content-Digest", amd64.digest());

        // A push to the alias name creates that repository, which from then on is served as any other.
        String real = Manifests.pushImage(pause + "-amd64", "1.0");
        request().get("/v2/" + pause + "-amd64/manifests/1.0").then().statusCode(200).header("Docker-Content-Digest", real);
        request().get("/v2/" + pause + "-amd64/manifests/3.9").then().statusCode(404)
                .body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        request().head("/v2/" + pause + "-amd64/blobs/" + Blobs.sha256(amd64.layer())).then().statusCode(404);
        request().get("/v2/" + pause + "-amd64/tags/list").then().statusCode(200).body("tags", contains("1.0"));
        request().get("/v2/" + pause + "-arm64/manifests/3.9").then().statusCode(200)
                .header("Docker-Content-Digest", arm64.digest());
    }

    @Test
    void theTagsOfAnAliasAreTheTagsWhoseIndexListsItsPlatform() {
        put(pause, "3.8", MediaTypes.OCI_INDEX, index(amd64.entry("amd64"))).then().statusCode(201);
        Manifests.pushImage(pause, "latest");

        request().get("/v2/" + pause + "-arm64/tags/list").then().statusCode(200)
                .body("name", equalTo(pause + "-arm64")).body("tags", contains("3.9"));
        request().get("/v2/" + pause + "-amd64/tags/list").then().statusCode(200).body("tags", contains("3.8", "3.9"));
        request().get("/v2/" + pause + "-s390x/tags/list").then().statusCode(200).body("tags.size()", equalTo(0));

        Response first = request().get("/v2/" + pause + "-amd64/tags/list?n=1");
        first.then().statusCode(200).body("tags", contains("3.8"));
        assertThat(first.header("Link")).isEqualTo("</v2/" + pause + "-amd64/tags/list?n=1&last=3.8>; rel=\"next\"");
        request().get("/v2/" + pause + "-amd64/tags/list?n=1&last=3.8").then().statusCode(200).body("tags", contains("3.9"));

        request().get("/v2/" + namespace + "/nothing-amd64/tags/list").then().statusCode(404)
                .body("errors[0].code", equalTo("NAME_UNKNOWN"));
    }

    @Test
    void variantsCompareAsContainerdNormalizesThem() {
        Image armV7 = pushPlatformImage(pause, "arm");
        Image armV6 = pushPlatformImage(pause, "arm");
        Image arm64V8 = pushPlatformImage(pause, "arm64");
        byte[] list = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST_LIST + "\",\"manifests\":["
                + armV6.entry("arm/v6") + "," + armV7.entry("arm/v7") + "," + arm64V8.entry("arm64/v8") + "]}")
                .getBytes(StandardCharsets.UTF_8);
        put(pause, "multi", MediaTypes.DOCKER_MANIFEST_LIST, list).then().statusCode(201);

        Map<String, Image> expected = Map.of("arm-v7", armV7, "arm", armV7, "arm-v6", armV6, "arm64", arm64V8, "arm64-v8", arm64V8);
        expected.forEach((suffix, image) -> request().get("/v2/" + pause + "-" + suffix + "/manifests/multi")
                .then().statusCode(200).header("Docker-Content-Digest", image.digest()));
        request().get("/v2/" + pause + "-arm-v5/manifests/multi").then().statusCode(404);
        request().get("/v2/" + pause + "-arm64-v9/manifests/multi").then().statusCode(404);
    }

    @Test
    void pullingAnAliasTakesPullOnTheNameItIsAnAliasOf() {
        AdminApi.Robot pauseReader = AdminApi.robot(namespace, "pause-reader", List.of("pull"), List.of("pause"), null);
        AdminApi.Robot aliasOnly = AdminApi.robot(namespace, "alias-only", List.of("pull"), List.of("pause-arm64"), null);
        AdminApi.Robot other = AdminApi.robot(namespace, "other", List.of("pull"), List.of("other"), null);
        String manifest = "/v2/" + pause + "-arm64/manifests/3.9";
        String layer = "/v2/" + pause + "-arm64/blobs/" + Blobs.sha256(arm64.layer());

        for (String path : List.of(manifest, layer, "/v2/" + pause + "-arm64/tags/list")) {
            given().header("Authorization", pauseReader.basic()).get(path).then().statusCode(200);
            given().header("Authorization", aliasOnly.basic()).get(path).then().statusCode(403)
                    .body("errors[0].code", equalTo("DENIED"));
            given().header("Authorization", other.basic()).get(path).then().statusCode(403);
        }

        // What clients do: follow the challenge's scope, the alias's own name, to the token endpoint.
        String scope = "repository:" + pause + "-arm64:pull";
        given().get(manifest).then().statusCode(401).header("WWW-Authenticate", containsString("scope=\"" + scope + "\""));
        String granted = token(pauseReader, scope);
        given().header("Authorization", "Bearer " + granted).get(manifest).then().statusCode(200)
                .header("Docker-Content-Digest", arm64.digest());
        given().header("Authorization", "Bearer " + granted).get(layer).then().statusCode(200);
        given().header("Authorization", "Bearer " + granted).get("/v2/" + pause + "/manifests/3.9").then().statusCode(401);
        for (AdminApi.Robot refused : List.of(aliasOnly, other)) {
            given().header("Authorization", "Bearer " + token(refused, scope)).get(manifest).then().statusCode(403);
        }
    }

    @Test
    void theCatalogListsRepositoriesNotAliases() {
        AdminApi.Robot reader = AdminApi.robot(namespace, "catalog", List.of("pull"), List.of("*"), null);
        request().get("/v2/" + pause + "-arm64/manifests/3.9").then().statusCode(200);
        List<String> listed = given().header("Authorization", reader.basic()).get("/v2/_catalog?n=1000").then()
                .statusCode(200).extract().jsonPath().getList("repositories", String.class);
        assertThat(listed).filteredOn(name -> name.startsWith(namespace + "/")).containsExactly(pause);
    }

    private static String token(AdminApi.Robot robot, String scope) {
        return given().header("Authorization", robot.basic()).queryParam("service", "cais").queryParam("scope", scope)
                .get("/auth/token").then().statusCode(200).extract().jsonPath().getString("token");
    }

    /** A linux image for the architecture, its manifest pushed by digest (an index refers to it). */
    private static Image pushPlatformImage(String repo, String architecture) {
        byte[] config = ("{\"architecture\":\"" + architecture + "\",\"os\":\"linux\",\"id\":\"" + Blobs.sha256(Blobs.random(8))
                + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = Blobs.random(300);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", push(repo, config), config.length) + ",\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", push(repo, layer), layer.length) + "]}")
                .getBytes(StandardCharsets.UTF_8);
        put(repo, Blobs.sha256(manifest), MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        return new Image(manifest, config, layer);
    }

    private static byte[] index(String... entries) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + String.join(",", entries) + "]}").getBytes(StandardCharsets.UTF_8);
    }
}
