package io.cais.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.Commands;
import io.cais.testing.Http;
import io.cais.testing.OciLayouts;
import io.cais.testing.OciLayouts.Blob;
import io.cais.testing.OciLayouts.Image;
import io.cais.testing.OciLayouts.Index;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.cais.testing.Skopeo;
import io.restassured.RestAssured;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

/**
 * The packaged registry driven by a real client, {@code skopeo}: pushes and pulls of hand-built OCI image layouts
 * (single images, multi-platform indexes, conversion to Docker media types), registry-to-registry copies, deletes
 * and paged tag listing, and the import of layouts skopeo wrote, packed by {@code tar} (the air-gapped round trip).
 * The registry runs with a page size of 2 so that listing needs the {@code Link} header.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SkopeoEndToEndIT {

    private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    private static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    private Path work;
    private Skopeo skopeo;
    private RegistryProcess registry;
    private String host;

    @BeforeAll
    void startRegistry() throws Exception {
        work = Files.createTempDirectory("cais-skopeo");
        skopeo = Skopeo.in(work.resolve("skopeo"));
        registry = RegistryProcess.start(work.resolve("registry"), Map.of(
                "quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"),
                "quarkus.datasource.username", "postgres",
                "cais.storage.type", "filesystem",
                "cais.storage.filesystem.root", work.resolve("blobs").toString(),
                "cais.distribution.max-page-size", "2"));
        host = registry.url("").substring("http://".length());
        skopeo.login(host, io.cais.testing.Admin.USER, io.cais.testing.Admin.PASSWORD);
        RestAssured.baseURI = "http://127.0.0.1";
        RestAssured.port = registry.port();
    }

    @AfterAll
    void stopRegistry() throws Exception {
        RestAssured.reset();
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void multiLayerImagePushedByTagKeepsItsDigestAndPullsBackByteForByte() throws Exception {
        Image image = OciLayouts.image("amd64", 3);
        Path source = OciLayouts.write(dir("single-src"), "v1", image);
        String ref = docker(Blobs.repository("skopeo-single"), ":v1");

        skopeo.ok("copy", "--dest-tls-verify=false", "oci:" + source + ":v1", ref);

        JsonNode inspected = inspect(ref);
        assertThat(inspected.path("Digest").asText()).isEqualTo(image.manifest().digest());
        assertThat(inspected.path("Layers")).hasSize(3);
        assertThat(rawManifest(ref)).isEqualTo(image.manifest().bytes());

        Path pulled = dir("single-pulled");
        skopeo.ok("copy", "--src-tls-verify=false", ref, "oci:" + pulled + ":v1");
        JsonNode descriptor = OciLayouts.descriptor(pulled, "v1");
        assertThat(descriptor.path("digest").asText()).isEqualTo(image.manifest().digest());
        assertThat(descriptor.path("mediaType").asText()).isEqualTo(OciLayouts.OCI_MANIFEST);
        for (Blob blob : image.blobs()) {
            assertThat(OciLayouts.blob(pulled, blob.digest())).as("blob %s (%s)", blob.digest(), blob.mediaType())
                    .isEqualTo(blob.bytes());
        }
    }

    @Test
    void twoPlatformIndexCopiesWithAllAndOverrideArchPicksTheArm64Image() throws Exception {
        Index index = OciLayouts.index(OciLayouts.image("amd64", 2), OciLayouts.image("arm64", 2));
        Path source = OciLayouts.write(dir("index-src"), "multi", index);
        String ref = docker(Blobs.repository("skopeo-index"), ":multi");

        skopeo.ok("copy", "--all", "--dest-tls-verify=false", "oci:" + source + ":multi", ref);
        assertThat(rawManifest(ref)).isEqualTo(index.index().bytes());
        assertThat(inspect(ref).path("Digest").asText()).isEqualTo(index.index().digest());

        Path pulled = dir("index-pulled");
        skopeo.ok("copy", "--all", "--src-tls-verify=false", ref, "oci:" + pulled + ":multi");
        JsonNode descriptor = OciLayouts.descriptor(pulled, "multi");
        assertThat(descriptor.path("digest").asText()).isEqualTo(index.index().digest());
        assertThat(descriptor.path("mediaType").asText()).isEqualTo(OciLayouts.OCI_INDEX);
        for (Blob blob : index.blobs()) {
            assertThat(OciLayouts.blob(pulled, blob.digest())).as("blob %s (%s)", blob.digest(), blob.mediaType())
                    .isEqualTo(blob.bytes());
        }

        Image arm64 = index.image("arm64");
        Path arm = dir("index-arm64");
        skopeo.ok("--override-arch", "arm64", "copy", "--src-tls-verify=false", ref, "oci:" + arm + ":arm");
        JsonNode armDescriptor = OciLayouts.descriptor(arm, "arm");
        assertThat(armDescriptor.path("digest").asText()).isEqualTo(arm64.manifest().digest());
        assertThat(armDescriptor.path("mediaType").asText()).isEqualTo(OciLayouts.OCI_MANIFEST);
        JsonNode manifest = OciLayouts.readJson(OciLayouts.blob(arm, arm64.manifest().digest()));
        JsonNode config = OciLayouts.readJson(OciLayouts.blob(arm, manifest.path("config").path("digest").asText()));
        assertThat(config.path("architecture").asText()).isEqualTo("arm64");
        assertThat(OciLayouts.hasBlob(arm, index.image("amd64").manifest().digest())).isFalse();
    }

    @Test
    void imageConvertedToDockerMediaTypesIsServedAsDockerManifestAndListWithTheSameLayers() throws Exception {
        Image image = OciLayouts.image("amd64", 2);
        Path source = OciLayouts.write(dir("v2s2-src"), "v1", image);
        String ref = docker(Blobs.repository("skopeo-v2s2"), ":v1");

        skopeo.ok("copy", "--format", "v2s2", "--dest-tls-verify=false", "oci:" + source + ":v1", ref);
        JsonNode raw = OciLayouts.readJson(rawManifest(ref));
        assertThat(raw.path("mediaType").asText()).isEqualTo(DOCKER_MANIFEST);
        assertThat(raw.path("layers")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(raw.path("layers").get(i).path("mediaType").asText()).isEqualTo(DOCKER_LAYER_GZIP);
            assertThat(raw.path("layers").get(i).path("digest").asText()).isEqualTo(image.layers().get(i).digest());
        }

        Path pulled = dir("v2s2-pulled");
        skopeo.ok("copy", "--src-tls-verify=false", ref, "oci:" + pulled + ":v1");
        for (Blob layer : image.layers()) {
            assertThat(OciLayouts.blob(pulled, layer.digest())).as("layer %s", layer.digest()).isEqualTo(layer.bytes());
        }

        Index index = OciLayouts.index(OciLayouts.image("amd64", 1), OciLayouts.image("arm64", 1));
        Path indexSource = OciLayouts.write(dir("v2s2-index-src"), "multi", index);
        String listRef = docker(Blobs.repository("skopeo-v2s2-list"), ":multi");
        skopeo.ok("copy", "--all", "--format", "v2s2", "--dest-tls-verify=false", "oci:" + indexSource + ":multi", listRef);
        JsonNode list = OciLayouts.readJson(rawManifest(listRef));
        assertThat(list.path("mediaType").asText()).isEqualTo(DOCKER_LIST);
        assertThat(list.path("manifests")).hasSize(2);
        List<String> architectures = new ArrayList<>();
        for (JsonNode child : list.path("manifests")) {
            assertThat(child.path("mediaType").asText()).isEqualTo(DOCKER_MANIFEST);
            architectures.add(child.path("platform").path("architecture").asText());
            String childRef = listRef.substring(0, listRef.lastIndexOf(':')) + "@" + child.path("digest").asText();
            JsonNode childManifest = OciLayouts.readJson(rawManifest(childRef));
            assertThat(childManifest.path("mediaType").asText()).isEqualTo(DOCKER_MANIFEST);
            Image original = index.image(child.path("platform").path("architecture").asText());
            assertThat(childManifest.path("layers").get(0).path("digest").asText()).isEqualTo(original.layers().getFirst().digest());
        }
        assertThat(architectures).containsExactlyInAnyOrder("amd64", "arm64");
    }

    @Test
    void registryToRegistryCopyIntoAnotherRepositoryKeepsTheDigestAndMakesBlobsPullable() throws Exception {
        Image image = OciLayouts.image("amd64", 3);
        Path source = OciLayouts.write(dir("mount-src"), "v1", image);
        String id = UUID.randomUUID().toString().substring(0, 8);
        String sourceRepo = Blobs.NAMESPACE + "/skopeo-copy-" + id + "/src";
        String targetRepo = Blobs.NAMESPACE + "/skopeo-copy-" + id + "/dst";
        String sourceRef = docker(sourceRepo, ":v1");
        String targetRef = docker(targetRepo, ":v1");

        skopeo.ok("copy", "--dest-tls-verify=false", "oci:" + source + ":v1", sourceRef);
        // skopeo remembers where it pushed each blob (its blob info cache), so for the second copy it asks the
        // registry to mount the layers from the source repository instead of uploading them again.
        Skopeo.Result copied = skopeo.ok("--debug", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                sourceRef, targetRef);
        for (Blob layer : image.layers()) {
            assertThat(copied.stderr()).as("skopeo mounts layer %s from %s:%n%s", layer.digest(), sourceRepo, copied.describe())
                    .contains("Trying to mount /v2/" + targetRepo + "/blobs/uploads/?from="
                            + URLEncoder.encode(sourceRepo, StandardCharsets.UTF_8)
                            + "&mount=" + URLEncoder.encode(layer.digest(), StandardCharsets.UTF_8));
        }
        assertThat(copied.stderr().split("\\.\\.\\. mount OK", -1)).as("the registry answered 201 to every mount:%n%s",
                copied.describe()).hasSize(image.layers().size() + 1);

        assertThat(inspect(targetRef).path("Digest").asText())
                .isEqualTo(inspect(sourceRef).path("Digest").asText())
                .isEqualTo(image.manifest().digest());
        for (Blob blob : List.of(image.config(), image.layers().get(0), image.layers().get(1), image.layers().get(2))) {
            HttpResponse<byte[]> pulled = Http.send("GET", registry.url("/v2/" + targetRepo + "/blobs/" + blob.digest()), null);
            assertThat(pulled.statusCode()).as("GET /v2/%s/blobs/%s", targetRepo, blob.digest()).isEqualTo(200);
            assertThat(pulled.body()).isEqualTo(blob.bytes());
        }
    }

    @Test
    void manifestDeletedByDigestIsGoneForSkopeoAndHttp() throws Exception {
        Image image = OciLayouts.image("amd64", 1);
        Path source = OciLayouts.write(dir("delete-src"), "v1", image);
        String repo = Blobs.repository("skopeo-delete");
        skopeo.ok("copy", "--dest-tls-verify=false", "oci:" + source + ":v1", docker(repo, ":v1"));
        String digest = image.manifest().digest();
        String byDigest = docker(repo, "@" + digest);
        assertThat(inspect(byDigest).path("Digest").asText()).isEqualTo(digest);

        skopeo.ok("delete", "--tls-verify=false", byDigest);

        Skopeo.Result afterDelete = skopeo.run("inspect", "--tls-verify=false", byDigest);
        assertThat(afterDelete.exitCode()).as(afterDelete.describe()).isNotZero();
        HttpResponse<byte[]> response = Http.send("GET", registry.url("/v2/" + repo + "/manifests/" + digest), null,
                "Accept", OciLayouts.OCI_MANIFEST);
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(OciLayouts.readJson(response.body()).path("errors").get(0).path("code").asText())
                .isEqualTo("MANIFEST_UNKNOWN");
    }

    @Test
    void listTagsFollowsLinkHeadersAcrossPagesOfTwo() throws Exception {
        Image image = OciLayouts.image("amd64", 1);
        Path source = OciLayouts.write(dir("tags-src"), "v1", image);
        String repo = Blobs.repository("skopeo-tags");
        List<String> tags = List.of("t1", "t2", "t3", "t4", "t5");
        for (String tag : tags) {
            skopeo.ok("copy", "--dest-tls-verify=false", "oci:" + source + ":v1", docker(repo, ":" + tag));
        }

        JsonNode listed = OciLayouts.readJson(skopeo.ok("list-tags", "--tls-verify=false", docker(repo, "")).stdoutBytes());
        List<String> listedTags = new ArrayList<>();
        listed.path("Tags").forEach(tag -> listedTags.add(tag.asText()));
        assertThat(listedTags).containsExactlyInAnyOrderElementsOf(tags);

        HttpResponse<byte[]> firstPage = Http.send("GET", registry.url("/v2/" + repo + "/tags/list"), null);
        assertThat(firstPage.statusCode()).isEqualTo(200);
        assertThat(OciLayouts.readJson(firstPage.body()).path("tags")).hasSize(2);
        assertThat(firstPage.headers().firstValue("Link")).hasValueSatisfying(link ->
                assertThat(link).contains("/v2/" + repo + "/tags/list?").contains("rel=\"next\""));
    }

    @Test
    void suffixedNameOfATwoPlatformIndexInspectsAndCopiesAsItsArm64Image() throws Exception {
        String namespace = AdminApi.namespace("skopeo-legacy", "private");
        AdminApi.archAliases(namespace, true);
        Index index = OciLayouts.index(OciLayouts.image("amd64", 1), OciLayouts.image("arm64", 2));
        Path source = OciLayouts.write(dir("alias-src"), "3.9", index);
        skopeo.ok("copy", "--all", "--dest-tls-verify=false", "oci:" + source + ":3.9", docker(namespace + "/pause", ":3.9"));
        // Credentials for pause only: skopeo asks for a token scoped to the suffixed name, and gets one.
        Path pauseOnly = work.resolve("pause-only-" + UUID.randomUUID() + ".json");
        Files.writeString(pauseOnly, AdminApi.robot(namespace, "pause", List.of("pull"), List.of("pause"), null).dockerConfigJson());
        String alias = docker(namespace + "/pause-arm64", ":3.9");

        Image arm64 = index.image("arm64");
        JsonNode inspected = OciLayouts.readJson(skopeo.okWithAuthFile(pauseOnly, "inspect", "--tls-verify=false", alias).stdoutBytes());
        assertThat(inspected.path("Digest").asText()).isEqualTo(arm64.manifest().digest());
        assertThat(inspected.path("Architecture").asText()).isEqualTo("arm64");
        assertThat(inspected.path("Layers")).extracting(JsonNode::asText)
                .containsExactly(arm64.layers().get(0).digest(), arm64.layers().get(1).digest());
        assertThat(inspected.path("RepoTags")).extracting(JsonNode::asText).containsExactly("3.9");
        assertThat(skopeo.okWithAuthFile(pauseOnly, "inspect", "--tls-verify=false", "--raw", alias).stdoutBytes())
                .isEqualTo(arm64.manifest().bytes());

        Path pulled = dir("alias-pulled");
        skopeo.okWithAuthFile(pauseOnly, "copy", "--src-tls-verify=false", alias, "oci:" + pulled + ":3.9");
        assertThat(OciLayouts.descriptor(pulled, "3.9").path("digest").asText()).isEqualTo(arm64.manifest().digest());
        for (Blob blob : arm64.blobs()) {
            assertThat(OciLayouts.blob(pulled, blob.digest())).as("blob %s (%s)", blob.digest(), blob.mediaType())
                    .isEqualTo(blob.bytes());
        }

        Skopeo.Result missing = skopeo.run("inspect", "--tls-verify=false", docker(namespace + "/pause-s390x", ":3.9"));
        assertThat(missing.exitCode()).as(missing.describe()).isNotZero();
        assertThat(missing.stderr()).containsIgnoringCase("manifest unknown");
    }

    @Test
    void copyToABlockedOrImmutableTagFailsAndSkopeoShowsThePolicysMessage() throws Exception {
        String namespace = AdminApi.productionNamespace("skopeo-prod");
        String repo = namespace + "/app";
        Image image = OciLayouts.image("amd64", 1);
        Path source = OciLayouts.write(dir("policy-src"), "v1", image);

        Skopeo.Result blocked = skopeo.run("copy", "--dest-tls-verify=false", "oci:" + source + ":v1", docker(repo, ":latest"));
        assertThat(blocked.exitCode()).as(blocked.describe()).isNotZero();
        assertThat(blocked.stderr()).as(blocked.describe()).contains("denied: " + AdminApi.latestRefused(repo));
        assertThat(Http.send("HEAD", registry.url("/v2/" + repo + "/manifests/latest"), null).statusCode()).isEqualTo(404);

        skopeo.ok("copy", "--dest-tls-verify=false", "oci:" + source + ":v1", docker(repo, ":v1"));
        skopeo.ok("copy", "--dest-tls-verify=false", "oci:" + source + ":v1", docker(repo, ":v1"));
        Image other = OciLayouts.image("amd64", 1);
        Path otherSource = OciLayouts.write(dir("policy-other"), "v1", other);
        Skopeo.Result moved = skopeo.run("copy", "--dest-tls-verify=false", "oci:" + otherSource + ":v1", docker(repo, ":v1"));
        assertThat(moved.exitCode()).as(moved.describe()).isNotZero();
        assertThat(moved.stderr()).as(moved.describe()).contains(AdminApi.releaseMoveRefused(namespace));
        assertThat(inspect(docker(repo, ":v1")).path("Digest").asText()).isEqualTo(image.manifest().digest());
    }

    // ---- layout import: the air-gapped round trip ----------------------------------------------------------

    @Test
    void aLayoutSkopeoWroteImportsAndPullsBackWithTheSameDigests() throws Exception {
        String namespace = AdminApi.namespace("airgap", "private");
        Image image = OciLayouts.image("amd64", 3);
        Path exported = exportWithSkopeo(namespace + "/source", "v1", OciLayouts.write(dir("airgap-src"), "v1", image));

        AdminApi.importLayout(namespace + "/imported", tar(exported, false), Admin.basic()).statusCode(200)
                .body("blobsStored", equalTo(4)).body("manifests", contains(image.manifest().digest()))
                .body("tags", contains("v1"));

        Path pulled = dir("airgap-pulled");
        skopeo.ok("copy", "--src-tls-verify=false", docker(namespace + "/imported", ":v1"), "oci:" + pulled + ":v1");
        assertThat(OciLayouts.descriptor(pulled, "v1").path("digest").asText()).isEqualTo(image.manifest().digest());
        assertSameBlobs(pulled, image.blobs());
    }

    @Test
    void aMultiArchitectureLayoutPackedWithGzipImportsWithEveryPlatformAndAgainSkipsEveryBlob() throws Exception {
        String namespace = AdminApi.namespace("airgap", "private");
        Index index = OciLayouts.index(OciLayouts.image("amd64", 2), OciLayouts.image("arm64", 1));
        Path exported = exportWithSkopeo(namespace + "/source", "multi", OciLayouts.write(dir("airgap-src"), "multi", index));
        byte[] tar = tar(exported, true);

        AdminApi.importLayout(namespace + "/imported", tar, Admin.basic()).statusCode(200)
                .body("blobsStored", equalTo(5)).body("tags", contains("multi"));
        // Sent again, as after an interruption: every blob is already there.
        AdminApi.importLayout(namespace + "/imported", tar, Admin.basic()).statusCode(200)
                .body("blobsStored", equalTo(0)).body("blobsSkipped", equalTo(5));

        Path pulled = dir("airgap-pulled");
        skopeo.ok("copy", "--all", "--src-tls-verify=false", docker(namespace + "/imported", ":multi"), "oci:" + pulled + ":multi");
        assertThat(OciLayouts.descriptor(pulled, "multi").path("digest").asText()).isEqualTo(index.index().digest());
        assertSameBlobs(pulled, index.blobs());
    }

    /** Pushes the hand-built layout (every platform) to {@code repository}, then lets skopeo write it as a layout of its own. */
    private Path exportWithSkopeo(String repository, String tag, Path source) throws Exception {
        Path exported = dir("airgap-exported");
        skopeo.ok("copy", "--all", "--dest-tls-verify=false", "oci:" + source + ":" + tag, docker(repository, ":" + tag));
        skopeo.ok("copy", "--all", "--src-tls-verify=false", docker(repository, ":" + tag), "oci:" + exported + ":" + tag);
        return exported;
    }

    /** The layout directory packed by {@code tar}, as the documentation tells operators to. */
    private byte[] tar(Path layout, boolean gzip) throws Exception {
        Path archive = work.resolve("layout-" + UUID.randomUUID() + (gzip ? ".tar.gz" : ".tar"));
        Commands.ok(work, Duration.ofSeconds(60), "tar", "-C", layout.toString(), gzip ? "-czf" : "-cf", archive.toString(), ".");
        return Files.readAllBytes(archive);
    }

    private static void assertSameBlobs(Path pulled, List<Blob> blobs) {
        for (Blob blob : blobs) {
            assertThat(OciLayouts.blob(pulled, blob.digest())).as("blob %s (%s)", blob.digest(), blob.mediaType())
                    .isEqualTo(blob.bytes());
        }
    }

    private String docker(String repository, String suffix) {
        return "docker://" + host + "/" + repository + suffix;
    }

    private JsonNode inspect(String ref) throws Exception {
        return OciLayouts.readJson(skopeo.ok("inspect", "--tls-verify=false", ref).stdoutBytes());
    }

    private byte[] rawManifest(String ref) throws Exception {
        return skopeo.ok("inspect", "--tls-verify=false", "--raw", ref).stdoutBytes();
    }

    private Path dir(String name) {
        return work.resolve(name + "-" + UUID.randomUUID().toString().substring(0, 8));
    }
}
