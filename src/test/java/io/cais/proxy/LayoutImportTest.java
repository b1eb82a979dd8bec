package io.cais.proxy;

import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.OciLayouts;
import io.cais.testing.OciLayouts.Blob;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

/**
 * {@code POST /api/v1/imports/{repository}}: an OCI image layout as a tar stream, in whatever order its files come,
 * stored blob by blob with digests checked, manifests pushed children first and tagged by their ref names.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class LayoutImportTest {

    @Test
    void anImageLayoutWithIndexJsonFirstIsImportedTaggedAndPullable() {
        String repository = AdminApi.namespace("import", "private") + "/app";
        OciLayouts.Image image = OciLayouts.image("amd64", 2);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("./oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        files.put("./index.json", indexJson(image.manifest(), "1.0"));
        image.blobs().forEach(blob -> files.put(path(blob), blob.bytes()));

        AdminApi.importLayout(repository, OciLayouts.tar(files), Admin.basic()).statusCode(200)
                .body("blobsStored", equalTo(3)).body("blobsSkipped", equalTo(0))
                .body("manifests", contains(image.manifest().digest())).body("tags", contains("1.0"));

        given().header("Authorization", Admin.basic()).accept(OciLayouts.OCI_MANIFEST)
                .get("/v2/" + repository + "/manifests/1.0").then().statusCode(200)
                .header("Docker-Content-Digest", image.manifest().digest());
        for (Blob layer : image.layers()) {
            byte[] served = given().header("Authorization", Admin.basic())
                    .get("/v2/" + repository + "/blobs/" + layer.digest()).then().statusCode(200)
                    .extract().asByteArray();
            assertThat(served).isEqualTo(layer.bytes());
        }
    }

    @Test
    void aMultiArchitectureIndexIsPushedAfterItsChildrenWithIndexJsonLast() {
        String repository = AdminApi.namespace("import", "private") + "/multi";
        OciLayouts.Index index = OciLayouts.index(OciLayouts.image("amd64", 1), OciLayouts.image("arm64", 2));
        Map<String, byte[]> files = new LinkedHashMap<>();
        // The index's own file before its children: pushing in tar order would fail.
        files.put(path(index.index()), index.index().bytes());
        index.images().forEach(image -> image.blobs().forEach(blob -> files.put(path(blob), blob.bytes())));
        files.put("index.json", indexJson(index.index(), "2.0"));

        AdminApi.importLayout(repository, OciLayouts.tar(files), Admin.basic()).statusCode(200)
                .body("blobsStored", equalTo(5))
                .body("manifests", contains(index.image("amd64").manifest().digest(),
                        index.image("arm64").manifest().digest(), index.index().digest()))
                .body("tags", contains("2.0"));

        given().header("Authorization", Admin.basic()).accept(OciLayouts.OCI_INDEX)
                .get("/v2/" + repository + "/manifests/2.0").then().statusCode(200)
                .header("Docker-Content-Digest", index.index().digest());
        given().header("Authorization", Admin.basic()).accept(OciLayouts.OCI_MANIFEST)
                .head("/v2/" + repository + "/manifests/" + index.image("arm64").manifest().digest()).then().statusCode(200);
    }

    @Test
    void aBlobThatDoesNotMatchItsDigestFailsTheImportNamingTheFileAndLeavesNothingOfIt() {
        String repository = AdminApi.namespace("import", "private") + "/tampered";
        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        Blob layer = image.layers().getFirst();
        byte[] tampered = layer.bytes().clone();
        tampered[tampered.length / 2] ^= 0x01;
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.json", indexJson(image.manifest(), "bad"));
        files.put(path(image.config()), image.config().bytes());
        files.put(path(layer), tampered);
        files.put(path(image.manifest()), image.manifest().bytes());

        AdminApi.importLayout(repository, OciLayouts.tar(files), Admin.basic()).statusCode(400)
                .body("errors[0].code", equalTo("DIGEST_INVALID"))
                .body("errors[0].detail.file", equalTo("blobs/sha256/" + layer.digest().substring(7)));

        given().header("Authorization", Admin.basic()).head("/v2/" + repository + "/blobs/" + layer.digest())
                .then().statusCode(404);
        given().header("Authorization", Admin.basic()).accept(OciLayouts.OCI_MANIFEST)
                .head("/v2/" + repository + "/manifests/bad").then().statusCode(404);
    }

    @Test
    void anInterruptedImportSentAgainSkipsTheBlobsAlreadyStored() {
        String repository = AdminApi.namespace("import", "private") + "/resumed";
        OciLayouts.Image image = OciLayouts.image("amd64", 3);
        Map<String, byte[]> files = new LinkedHashMap<>();
        image.blobs().forEach(blob -> files.put(path(blob), blob.bytes()));
        files.put("index.json", indexJson(image.manifest(), "1.0"));
        Map<String, byte[]> firstPart = new LinkedHashMap<>();
        files.entrySet().stream().limit(2).forEach(file -> firstPart.put(file.getKey(), file.getValue()));

        // Cut off before index.json: what arrived is stored, the import fails.
        AdminApi.importLayout(repository, OciLayouts.tar(firstPart), Admin.basic()).statusCode(400)
                .body("errors[0].code", equalTo("MANIFEST_INVALID"));
        AdminApi.importLayout(repository, OciLayouts.tar(files), Admin.basic()).statusCode(200)
                .body("blobsStored", equalTo(2)).body("blobsSkipped", equalTo(2))
                .body("manifests", contains(image.manifest().digest())).body("tags", contains("1.0"));
        AdminApi.importLayout(repository, OciLayouts.tar(files), Admin.basic()).statusCode(200)
                .body("blobsStored", equalTo(0)).body("blobsSkipped", equalTo(4));

        given().header("Authorization", Admin.basic()).accept(OciLayouts.OCI_MANIFEST)
                .head("/v2/" + repository + "/manifests/1.0").then().statusCode(200)
                .header("Docker-Content-Digest", image.manifest().digest());
    }

    @Test
    void aGzipCompressedTarIsAccepted() {
        String repository = AdminApi.namespace("import", "private") + "/gzipped";
        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.json", indexJson(image.manifest(), "gz"));
        image.blobs().forEach(blob -> files.put(path(blob), blob.bytes()));

        AdminApi.importLayout(repository, OciLayouts.gzip(OciLayouts.tar(files)), Admin.basic()).statusCode(200)
                .body("blobsStored", equalTo(2)).body("tags", contains("gz"));
    }

    @Test
    void aFullReferenceAsRefNameTagsByItsTagAndAnUntaggedEntryIsPushedByDigest() {
        String repository = AdminApi.namespace("import", "private") + "/refs";
        OciLayouts.Image tagged = OciLayouts.image("amd64", 1);
        OciLayouts.Image untagged = OciLayouts.image("arm64", 1);
        Map<String, byte[]> files = new LinkedHashMap<>();
        tagged.blobs().forEach(blob -> files.put(path(blob), blob.bytes()));
        untagged.blobs().forEach(blob -> files.put(path(blob), blob.bytes()));
        String index = "{\"schemaVersion\":2,\"manifests\":["
                + descriptor(tagged.manifest(), "docker.io/library/nginx:1.27") + "," + descriptor(untagged.manifest(), null) + "]}";
        files.put("index.json", index.getBytes(StandardCharsets.UTF_8));

        AdminApi.importLayout(repository, OciLayouts.tar(files), Admin.basic()).statusCode(200)
                .body("manifests", contains(tagged.manifest().digest(), untagged.manifest().digest()))
                .body("tags", contains("1.27"));
    }

    @Test
    void tagPoliciesApplyToTheTagsOfAnImport() {
        String namespace = AdminApi.productionNamespace("import");
        String repository = namespace + "/app";
        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.json", indexJson(image.manifest(), "latest"));
        image.blobs().forEach(blob -> files.put(path(blob), blob.bytes()));

        AdminApi.importLayout(repository, OciLayouts.tar(files), Admin.basic()).statusCode(403)
                .body("errors[0].code", equalTo("DENIED")).body("errors[0].message", equalTo(AdminApi.latestRefused(repository)));
        given().header("Authorization", Admin.basic()).accept(OciLayouts.OCI_MANIFEST)
                .head("/v2/" + repository + "/manifests/latest").then().statusCode(404);
    }

    @Test
    void onlyAUserWhoMayPushToTheRepositoryMayImportIntoIt() {
        String namespace = AdminApi.namespace("import", "private");
        String outsider = AdminApi.user("outsider", "outsider-password");
        String reader = AdminApi.newMember(namespace, "reader");
        String writer = AdminApi.newMember(namespace, "writer");
        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.json", indexJson(image.manifest(), "1.0"));
        image.blobs().forEach(blob -> files.put(path(blob), blob.bytes()));
        byte[] tar = OciLayouts.tar(files);

        AdminApi.importLayout(namespace + "/app", tar, Admin.basic(outsider, "outsider-password")).statusCode(403)
                .body("errors[0].code", equalTo("DENIED"));
        AdminApi.importLayout(namespace + "/app", tar, Admin.basic(reader, "reader-password")).statusCode(403);
        given().contentType("application/x-tar").body(tar).post("/api/v1/imports/" + namespace + "/app").then().statusCode(401);
        AdminApi.Robot robot = AdminApi.robot(namespace, "ci", List.of("pull", "push"), List.of("*"), null);
        AdminApi.importLayout(namespace + "/app", tar, robot.basic()).statusCode(401)
                .header("WWW-Authenticate", equalTo("Basic realm=\"cais\""));
        given().header("Authorization", Admin.basic()).head("/v2/" + namespace + "/app/blobs/" + image.config().digest())
                .then().statusCode(404);

        AdminApi.importLayout(namespace + "/app", tar, Admin.basic(writer, "writer-password")).statusCode(200)
                .body("tags", contains("1.0"));
        given().header("Authorization", Admin.basic()).get("/api/v1/namespaces/" + namespace + "/repositories/app/tags")
                .then().statusCode(200).body("tags[0].pushedBy", equalTo(writer));
    }

    @Test
    void aTarWithoutIndexJsonOrNotATarOrWithoutTheManifestIndexJsonNamesIsRefused() {
        String repository = AdminApi.namespace("import", "private") + "/broken";
        AdminApi.importLayout(repository, OciLayouts.tar(Map.of("oci-layout", "{}".getBytes(StandardCharsets.UTF_8))), Admin.basic())
                .statusCode(400).body("errors[0].code", equalTo("MANIFEST_INVALID"));
        AdminApi.importLayout(repository, "no tar at all".getBytes(StandardCharsets.UTF_8), Admin.basic())
                .statusCode(400).body("errors[0].code", equalTo("MANIFEST_INVALID"));
        given().header("Authorization", Admin.basic()).get("/v2/" + repository + "/tags/list")
                .then().statusCode(404).body("errors[0].code", equalTo("NAME_UNKNOWN"));

        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.json", indexJson(image.manifest(), null));
        files.put(path(image.config()), image.config().bytes());
        AdminApi.importLayout(repository, OciLayouts.tar(files), Admin.basic()).statusCode(400)
                .body("errors[0].code", equalTo("MANIFEST_BLOB_UNKNOWN"))
                .body("errors[0].detail", equalTo(image.manifest().digest()));
    }

    private static String path(Blob blob) {
        return "./blobs/sha256/" + blob.digest().substring("sha256:".length());
    }

    private static byte[] indexJson(Blob root, String tag) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + OciLayouts.OCI_INDEX + "\",\"manifests\":["
                + descriptor(root, tag) + "]}").getBytes(StandardCharsets.UTF_8);
    }

    private static String descriptor(Blob blob, String refName) {
        String annotations = refName == null ? "" : ",\"annotations\":{\"" + OciLayouts.REF_NAME + "\":\"" + refName + "\"}";
        return "{\"mediaType\":\"" + blob.mediaType() + "\",\"digest\":\"" + blob.digest() + "\",\"size\":" + blob.size()
                + annotations + "}";
    }
}
