package io.cais.gc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.testing.Blobs;
import io.cais.testing.GcImages;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.cais.testing.S3TestServer;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reclaim exactness, on the filesystem store and on S3: after an image, a namespace or a repository is deleted and
 * the garbage collector ran, the store holds exactly the objects of the images still there — compared with the
 * directory listing and the bucket listing. Each backend has a registry process, a database and a store of its own,
 * so the listing is the registry's whole content.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcReclaimIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, RegistryProcess> registries = new HashMap<>();
    private Path root;
    private String bucket;

    @BeforeAll
    void start() throws Exception {
        Path work = Files.createTempDirectory("cais-gc-reclaim");
        root = work.resolve("blobs");
        bucket = "gc-reclaim-" + UUID.randomUUID().toString().substring(0, 8);

        Map<String, String> filesystem = database("gc_reclaim_fs");
        filesystem.put("cais.storage.type", "filesystem");
        filesystem.put("cais.storage.filesystem.root", root.toString());
        registries.put("filesystem", RegistryProcess.start(work.resolve("fs"), filesystem));

        Map<String, String> s3 = database("gc_reclaim_s3");
        s3.put("cais.storage.type", "s3");
        s3.put("cais.storage.s3.endpoint", S3TestServer.endpoint());
        s3.put("cais.storage.s3.access-key", S3TestServer.ACCESS_KEY);
        s3.put("cais.storage.s3.secret-key", S3TestServer.SECRET_KEY);
        s3.put("cais.storage.s3.bucket", bucket);
        s3.put("cais.storage.s3.create-bucket", "true");
        registries.put("s3", RegistryProcess.start(work.resolve("s3"), s3));
    }

    @AfterAll
    void stop() throws Exception {
        for (RegistryProcess registry : registries.values()) {
            registry.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "s3"})
    void afterEachDeleteTheStoreHoldsExactlyTheObjectsOfTheImagesLeft(String backend) throws Exception {
        String base = registries.get(backend).url("");
        byte[] sharedLayer = Blobs.random(50_000);
        String repo = Blobs.NAMESPACE + "/app";
        GcImages.Image a = GcImages.image(List.of(sharedLayer, Blobs.random(20_000)));
        GcImages.Image b = GcImages.image(List.of(sharedLayer, Blobs.random(30_000)));
        assertThat(a.push(base, repo, "a")).isEqualTo(201);
        assertThat(b.push(base, repo, "b")).isEqualTo(201);

        // An image deleted: its own blobs go, the layer it shares with B stays.
        assertThat(Http.send("DELETE", base + "/v2/" + repo + "/manifests/" + a.digest(), null).statusCode()).isEqualTo(202);
        GcImages.collect(base, false, true);
        assertThat(stored(backend).keySet()).isEqualTo(b.blobDigests());
        assertAccountingEqualsTheStore(backend, base);

        // A namespace deleted with its repositories: their blobs go, B's layer they shared stays.
        String namespace = "gc-reclaim-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(Http.send("POST", base + "/api/v1/namespaces", ("{\"name\":\"" + namespace + "\"}").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json").statusCode()).isEqualTo(201);
        GcImages.Image c = GcImages.image(List.of(sharedLayer, Blobs.random(10_000)));
        GcImages.Image d = GcImages.image(List.of(Blobs.random(10_000)));
        assertThat(c.push(base, namespace + "/one", "v1")).isEqualTo(201);
        assertThat(d.push(base, namespace + "/two", "v1")).isEqualTo(201);
        assertThat(GcImages.upload(base, namespace + "/two", Blobs.random(5_000))).as("a blob no manifest references").isEqualTo(201);
        assertThat(Http.send("DELETE", base + "/api/v1/namespaces/" + namespace, null).statusCode()).isEqualTo(204);
        GcImages.collect(base, false, true);
        assertThat(stored(backend).keySet()).isEqualTo(b.blobDigests());
        assertAccountingEqualsTheStore(backend, base);

        // A repository deleted.
        GcImages.Image e = GcImages.image(List.of(sharedLayer, Blobs.random(10_000)));
        assertThat(e.push(base, Blobs.NAMESPACE + "/other", "v1")).isEqualTo(201);
        assertThat(Http.send("DELETE", base + "/api/v1/namespaces/" + Blobs.NAMESPACE + "/repositories/other", null).statusCode())
                .isEqualTo(204);
        GcImages.collect(base, false, true);
        assertThat(stored(backend).keySet()).isEqualTo(b.blobDigests());
        assertAccountingEqualsTheStore(backend, base);

        for (byte[] blob : b.blobs()) {
            assertThat(Http.send("GET", base + "/v2/" + repo + "/blobs/" + Blobs.sha256(blob), null).body()).isEqualTo(blob);
        }
    }

    /**
     * Usage accounting after the collection: the registry's stored and linked bytes, and the one namespace that still
     * holds content, equal the sum of the object sizes in the store (each backend's registry is alone in its store).
     */
    private void assertAccountingEqualsTheStore(String backend, String base) throws Exception {
        long objectBytes = stored(backend).values().stream().mapToLong(Long::longValue).sum();
        JsonNode server = JSON.readTree(Http.send("GET", base + "/api/v1/usage", null).body());
        assertThat(server.get("bytes").asLong()).as("stored bytes").isEqualTo(objectBytes);
        assertThat(server.get("linkedBytes").asLong()).as("linked bytes").isEqualTo(objectBytes);
        JsonNode namespace = JSON.readTree(Http.send("GET", base + "/api/v1/namespaces/" + Blobs.NAMESPACE + "/usage", null).body());
        assertThat(namespace.get("bytes").asLong()).as("the namespace's bytes").isEqualTo(objectBytes);
    }

    /** Every blob object in the backend's store: digest → size. */
    private Map<String, Long> stored(String backend) throws Exception {
        Map<String, Long> objects = new HashMap<>();
        if (backend.equals("filesystem")) {
            try (Stream<Path> files = Files.walk(root.resolve("blobs"))) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    objects.put("sha256:" + file.getFileName(), Files.size(file));
                }
            }
            return objects;
        }
        MinioClient client = MinioClient.builder().endpoint(S3TestServer.endpoint())
                .credentials(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY).build();
        for (Result<Item> item : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix("blobs/").recursive(true).build())) {
            String name = item.get().objectName();
            objects.put("sha256:" + name.substring(name.lastIndexOf('/') + 1), item.get().size());
        }
        return objects;
    }

    /** A database of its own on the shared test server, and the registry's settings for it (collection on request only). */
    private static Map<String, String> database(String name) throws Exception {
        String server = PostgresTestResource.server().getJdbcUrl("postgres", "postgres");
        try (var connection = DriverManager.getConnection(server, "postgres", "");
             var statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name);
            statement.execute("CREATE DATABASE " + name);
        }
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", name));
        config.put("quarkus.datasource.username", "postgres");
        config.put("cais.gc.enabled", "false");
        return config;
    }
}
