package io.cais.upload;

import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.PrometheusText;
import io.cais.testing.RegistryProcess;
import io.cais.testing.S3TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nodes are stateless: two registry processes share one database and one blob store. An upload started on one
 * continues and finishes on the other, chunk by chunk, on both storage backends; a tag moved through one is served
 * by the other although the other had cached what the tag resolved to.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoInstancesIT {

    private static final int MIB = 1024 * 1024;
    private final Map<String, RegistryProcess[]> clusters = new HashMap<>();

    @BeforeAll
    void startClusters() throws Exception {
        Path work = Files.createTempDirectory("cais-two-instances");
        String database = PostgresTestResource.server().getJdbcUrl("postgres", "postgres");
        Map<String, String> common = Map.of("quarkus.datasource.jdbc.url", database, "quarkus.datasource.username", "postgres");

        Map<String, String> filesystem = new HashMap<>(common);
        filesystem.put("cais.storage.type", "filesystem");
        filesystem.put("cais.storage.filesystem.root", work.resolve("shared-blobs").toString());
        clusters.put("filesystem", new RegistryProcess[] {
                RegistryProcess.start(work.resolve("fs-a"), filesystem), RegistryProcess.start(work.resolve("fs-b"), filesystem)});

        Map<String, String> s3 = new HashMap<>(common);
        s3.put("cais.storage.type", "s3");
        s3.put("cais.storage.s3.endpoint", S3TestServer.endpoint());
        s3.put("cais.storage.s3.access-key", S3TestServer.ACCESS_KEY);
        s3.put("cais.storage.s3.secret-key", S3TestServer.SECRET_KEY);
        s3.put("cais.storage.s3.bucket", "two-instances");
        s3.put("cais.storage.s3.create-bucket", "true");
        clusters.put("s3", new RegistryProcess[] {
                RegistryProcess.start(work.resolve("s3-a"), s3), RegistryProcess.start(work.resolve("s3-b"), s3)});
    }

    @AfterAll
    void stopClusters() throws Exception {
        for (RegistryProcess[] nodes : clusters.values()) {
            for (RegistryProcess node : nodes) {
                node.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "s3"})
    void chunksAlternatingBetweenNodesMakeOneBlob(String backend) throws Exception {
        RegistryProcess a = clusters.get(backend)[0];
        RegistryProcess b = clusters.get(backend)[1];
        String repo = Blobs.repository("cluster");
        int[] sizes = {1, MIB, 7 * MIB, 3, 2 * MIB};
        byte[] blob = Blobs.random(java.util.Arrays.stream(sizes).sum());

        HttpResponse<byte[]> started = Http.send("POST", a.url("/v2/" + repo + "/blobs/uploads/"), null);
        assertThat(started.statusCode()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();

        int offset = 0;
        RegistryProcess[] nodes = {a, b};
        for (int i = 0; i < sizes.length; i++) {
            RegistryProcess node = nodes[(i + 1) % 2];
            HttpResponse<byte[]> patched = Http.send("PATCH", node.url(location), Blobs.slice(blob, offset, offset + sizes[i]),
                    "Content-Type", "application/octet-stream", "Content-Range", offset + "-" + (offset + sizes[i] - 1));
            assertThat(patched.statusCode()).as("chunk %d on node %d", i, (i + 1) % 2).isEqualTo(202);
            offset += sizes[i];
            HttpResponse<byte[]> status = Http.send("GET", nodes[i % 2].url(location), null);
            assertThat(status.statusCode()).isEqualTo(204);
            assertThat(status.headers().firstValue("Range")).contains("0-" + (offset - 1));
        }

        String digest = Blobs.sha256(blob);
        assertThat(Http.send("PUT", a.url(location + "?digest=" + digest), null).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> pulled = Http.send("GET", b.url("/v2/" + repo + "/blobs/" + digest), null);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(blob);
    }

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "s3"})
    void streamedPatchOnOneNodeIsCompletedOnTheOther(String backend) throws Exception {
        RegistryProcess a = clusters.get(backend)[0];
        RegistryProcess b = clusters.get(backend)[1];
        String repo = Blobs.repository("cluster");
        byte[] blob = Blobs.random(9 * MIB + 11);

        String location = Http.send("POST", b.url("/v2/" + repo + "/blobs/uploads/"), null)
                .headers().firstValue("Location").orElseThrow();
        assertThat(Http.send("PATCH", a.url(location), blob, "Content-Type", "application/octet-stream").statusCode())
                .isEqualTo(202);
        String digest = Blobs.sha256(blob);
        assertThat(Http.send("PUT", b.url(location + "?digest=" + digest), null).statusCode()).isEqualTo(201);
        assertThat(Http.send("GET", a.url("/v2/" + repo + "/blobs/" + digest), null).body()).isEqualTo(blob);
    }

    @Test
    void tagMovedThroughOneNodeIsServedByTheOtherDespiteItsCache() throws Exception {
        RegistryProcess a = clusters.get("filesystem")[0];
        RegistryProcess b = clusters.get("filesystem")[1];
        String repo = Blobs.repository("cluster");
        String first = pushImage(a, repo, "live");
        double hitsBefore = metric(b, "cais_manifest_cache_hits_total");
        for (int i = 0; i < 3; i++) {
            assertThat(servedDigest(b, repo, "live")).isEqualTo(first);
        }
        assertThat(metric(b, "cais_manifest_cache_hits_total")).as("b answered from its cache").isGreaterThan(hitsBefore);

        String second = pushImage(a, repo, "live");

        // The other node hears of the change by a PostgreSQL notification: milliseconds, not its cache's max age.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(5));
        String served = servedDigest(b, repo, "live");
        while (!served.equals(second) && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
            served = servedDigest(b, repo, "live");
        }
        assertThat(served).isEqualTo(second);
        assertThat(servedDigest(a, repo, "live")).isEqualTo(second);
    }

    /** Pushes a config, a layer and an OCI image manifest over them by tag; returns the manifest's digest. */
    private static String pushImage(RegistryProcess node, String repo, String tag) throws Exception {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = Blobs.random(256);
        for (byte[] blob : new byte[][] {config, layer}) {
            assertThat(Http.send("POST", node.url("/v2/" + repo + "/blobs/uploads/?digest=" + Blobs.sha256(blob)), blob,
                    "Content-Type", "application/octet-stream").statusCode()).isEqualTo(201);
        }
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Blobs.sha256(config)
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                + "\"digest\":\"" + Blobs.sha256(layer) + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        assertThat(Http.send("PUT", node.url("/v2/" + repo + "/manifests/" + tag), manifest,
                "Content-Type", "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(201);
        return Blobs.sha256(manifest);
    }

    private static double metric(RegistryProcess node, String name) throws Exception {
        return PrometheusText.value(new String(Http.send("GET", node.url("/q/metrics"), null).body(), StandardCharsets.UTF_8), name);
    }

    private static String servedDigest(RegistryProcess node, String repo, String reference) throws Exception {
        HttpResponse<byte[]> response = Http.send("GET", node.url("/v2/" + repo + "/manifests/" + reference), null,
                "Accept", "application/vnd.oci.image.manifest.v1+json");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Blobs.sha256(response.body())).isEqualTo(response.headers().firstValue("Docker-Content-Digest").orElseThrow());
        return response.headers().firstValue("Docker-Content-Digest").orElseThrow();
    }
}
