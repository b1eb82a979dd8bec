package io.cais.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.Containerd;
import io.cais.testing.CriImageService;
import io.cais.testing.DockerEngine;
import io.cais.testing.Http;
import io.cais.testing.OciLayouts;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.cais.testing.Skopeo;
import io.cais.testing.UpstreamRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pull-through cache end to end: CNCF Distribution ({@code docker-registry}, htpasswd auth on) as the upstream,
 * the packaged Cais at {@code -Xmx256m} caching it in namespace {@code mirror}, real clients (skopeo; plain HTTP for
 * the concurrent and mirror requests). The upstream's access log counts what Cais asked it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PullThroughIT {

    private static final String UPSTREAM = "upstream.example";
    private static final String CACHE = "mirror";
    private static final long REVALIDATION_MILLIS = 2_000;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Path work;
    private UpstreamRegistry upstream;
    private RegistryProcess cais;
    private Skopeo skopeo;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("cais-proxy");
        upstream = UpstreamRegistry.start(work.resolve("upstream"));
        cais = RegistryProcess.startOnTestDatabase(work.resolve("cais"), Map.of(
                "cais.proxy.tag-revalidation", "PT" + REVALIDATION_MILLIS / 1000 + "S",
                "cais.proxy.credentials-key", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));
        skopeo = Skopeo.in(work.resolve("skopeo"));
        HttpResponse<byte[]> created = Http.send("POST", cais.url("/api/v1/upstreams"), ("{\"name\":\"" + UPSTREAM
                + "\",\"url\":\"" + upstream.url() + "\",\"namespace\":\"" + CACHE + "\",\"username\":\""
                + UpstreamRegistry.USER + "\",\"password\":\"" + UpstreamRegistry.PASSWORD + "\",\"maxConcurrency\":4}")
                .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
        assertThat(created.statusCode()).as(new String(created.body(), StandardCharsets.UTF_8)).isEqualTo(201);
    }

    @AfterAll
    void stop() throws Exception {
        if (cais != null) {
            cais.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    @Order(1)
    void upstreamIsListedWithItsNamespaceAndNeverWithItsPassword() throws Exception {
        HttpResponse<byte[]> listed = Http.send("GET", cais.url("/api/v1/upstreams/" + UPSTREAM), null);
        String body = new String(listed.body(), StandardCharsets.UTF_8);
        JsonNode view = OciLayouts.readJson(listed.body());
        assertThat(view.path("namespace").asText()).isEqualTo(CACHE);
        assertThat(view.path("hasPassword").asBoolean()).isTrue();
        assertThat(body).doesNotContain(UpstreamRegistry.PASSWORD);
        assertThat(Http.send("GET", cais.url("/api/v1/namespaces/" + CACHE), null).statusCode()).isEqualTo(200);
        // Sealed with cais.proxy.credentials-key in the database.
        try (var connection = java.sql.DriverManager.getConnection(
                PostgresTestResource.server().getJdbcUrl("postgres", "postgres"), "postgres", "");
             var statement = connection.prepareStatement("SELECT password FROM upstream WHERE name = ?")) {
            statement.setString(1, UPSTREAM);
            try (var row = statement.executeQuery()) {
                assertThat(row.next()).isTrue();
                assertThat(row.getString(1)).startsWith("aes-gcm:").doesNotContain(UpstreamRegistry.PASSWORD);
            }
        }
    }

    @Test
    @Order(2)
    void coldPullBySkopeoFetchesOnceAndLaterPullsComeFromTheStore() throws Exception {
        OciLayouts.Image image = pushUpstream("team/app", "v1", 3);
        String ref = "docker://" + cais.url("").substring("http://".length()) + "/" + CACHE + "/team/app:v1";

        Path first = pull(ref);
        Path second = pull(ref);

        for (OciLayouts.Blob blob : image.blobs()) {
            if (blob != image.manifest()) {
                assertThat(OciLayouts.blob(first, blob.digest())).isEqualTo(blob.bytes());
                assertThat(OciLayouts.blob(second, blob.digest())).isEqualTo(blob.bytes());
                assertThat(upstream.answered("GET", "/v2/team/app/blobs/" + blob.digest(), 200)).isEqualTo(1);
            }
        }
        assertThat(upstream.answered("GET", "/v2/team/app/manifests/v1", 200)).isEqualTo(1);
        // Stored as ordinary content: the tag lists in the cache repository.
        HttpResponse<byte[]> tags = Http.send("GET", cais.url("/v2/" + CACHE + "/team/app/tags/list"), null);
        assertThat(new String(tags.body(), StandardCharsets.UTF_8)).contains("\"v1\"");
    }

    @Test
    @Order(3)
    void fiftyConcurrentColdPullsMakeOneUpstreamGetPerManifestAndPerBlob() throws Exception {
        OciLayouts.Image image = pushUpstream("team/many", "v1", 3);
        List<Future<Boolean>> pulls = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(50)) {
            warmDatabasePool(clients);
            for (int i = 0; i < 50; i++) {
                pulls.add(clients.submit(() -> pullOverHttp(CACHE + "/team/many", "v1", image)));
            }
            for (Future<Boolean> pull : pulls) {
                assertThat(pull.get()).isTrue();
            }
        }
        assertThat(upstream.answered("GET", "/v2/team/many/manifests/v1", 200)).isEqualTo(1);
        for (OciLayouts.Blob blob : List.of(image.config(), image.layers().get(0), image.layers().get(1), image.layers().get(2))) {
            assertThat(upstream.answered("GET", "/v2/team/many/blobs/" + blob.digest(), 200)).as(blob.digest()).isEqualTo(1);
        }
    }

    @Test
    @Order(4)
    void aTagMovedUpstreamIsSeenAfterTheRevalidationInterval() throws Exception {
        OciLayouts.Image before = pushUpstream("team/moving", "v1", 1);
        assertThat(pullOverHttp(CACHE + "/team/moving", "v1", before)).isTrue();
        OciLayouts.Image after = pushUpstream("team/moving", "v1", 1);

        Thread.sleep(REVALIDATION_MILLIS + 500);

        assertThat(pullOverHttp(CACHE + "/team/moving", "v1", after)).isTrue();
        assertThat(manifestDigest(CACHE + "/team/moving", "v1")).isEqualTo(after.manifest().digest());
    }

    @Test
    @Order(5)
    void aMirrorRequestWithNsIsServedFromTheCacheNamespaceAndChallengedForItsScope() throws Exception {
        OciLayouts.Image image = pushUpstream("library/web", "1.27", 2);
        String mirrored = cais.url("/v2/library/web/manifests/1.27?ns=" + UPSTREAM);

        // Anonymous: the challenge names the cache repository, which is what authorization checks.
        HttpResponse<byte[]> anonymous = Http.sendAs(null, "GET", mirrored, null, "Accept", OciLayouts.OCI_MANIFEST);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("scope=\"repository:" + CACHE + "/library/web:pull\"");

        // What containerd does next: a token for the scopes of the image name and of the challenge, then the request.
        String token = token("repository:library/web:pull", "repository:" + CACHE + "/library/web:pull");
        HttpResponse<byte[]> manifest = Http.sendAs("Bearer " + token, "GET", mirrored, null, "Accept", OciLayouts.OCI_MANIFEST);
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(manifest.body()).isEqualTo(image.manifest().bytes());
        OciLayouts.Blob layer = image.layers().get(0);
        HttpResponse<byte[]> blob = Http.sendAs("Bearer " + token, "GET",
                cais.url("/v2/library/web/blobs/" + layer.digest() + "?ns=" + UPSTREAM), null);
        assertThat(blob.statusCode()).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(layer.bytes());
        // An ns that names no upstream is ignored: Cais's own (here: no) repository answers.
        assertThat(Http.send("GET", cais.url("/v2/library/web/manifests/1.27?ns=unknown.example"), null).statusCode())
                .isEqualTo(404);
    }

    @Test
    @Order(6)
    void aLargeLayerStreamsThroughAColdCacheWithBoundedMemory() throws Exception {
        long size = 256L << 20;
        Path layer = work.resolve("big-layer");
        String layerDigest = writeRandom(layer, size);
        OciLayouts.Blob config = new OciLayouts.Blob(OciLayouts.OCI_CONFIG,
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}".getBytes(StandardCharsets.UTF_8));
        upstream.upload("team/big", config.digest(), HttpRequest.BodyPublishers.ofByteArray(config.bytes()));
        upstream.upload("team/big", layerDigest, HttpRequest.BodyPublishers.ofFile(layer));
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OciLayouts.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + OciLayouts.OCI_CONFIG + "\",\"digest\":\"" + config.digest() + "\",\"size\":" + config.bytes().length
                + "},\"layers\":[{\"mediaType\":\"" + OciLayouts.OCI_LAYER_GZIP + "\",\"digest\":\"" + layerDigest
                + "\",\"size\":" + size + "}]}";
        HttpResponse<byte[]> put = HTTP.send(HttpRequest.newBuilder(URI.create(upstream.url() + "/v2/team/big/manifests/v1"))
                .header("Authorization", upstream.basic()).header("Content-Type", OciLayouts.OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofString(manifest)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(put.statusCode()).isEqualTo(201);

        assertThat(Http.send("GET", cais.url("/v2/" + CACHE + "/team/big/manifests/v1"), null, "Accept",
                OciLayouts.OCI_MANIFEST).statusCode()).isEqualTo(200);
        assertThat(streamedDigest(CACHE + "/team/big", layerDigest)).isEqualTo(layerDigest);
        assertThat(streamedDigest(CACHE + "/team/big", layerDigest)).isEqualTo(layerDigest);
        assertThat(upstream.answered("GET", "/v2/team/big/blobs/" + layerDigest, 200)).isEqualTo(1);
        assertThat(cais.log()).doesNotContain("OutOfMemoryError");
    }

    @Test
    @Order(6)
    void aPrefetchStoresEveryPlatformOfAnIndexAndReportsItsProgress() throws Exception {
        OciLayouts.Index index = OciLayouts.index(OciLayouts.image("amd64", 2), OciLayouts.image("arm64", 1));
        upstream.push(skopeo, work, "team/multi", "2.0", index);

        HttpResponse<byte[]> started = Http.send("POST", cais.url("/api/v1/upstreams/" + UPSTREAM + "/prefetch"),
                "{\"images\":[\"team/multi:2.0\"]}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
        assertThat(started.statusCode()).isEqualTo(202);
        String progressUrl = URI.create(cais.url("/")).resolve(started.headers().firstValue("Location").orElseThrow()).toString();
        JsonNode progress = OciLayouts.readJson(started.body());
        for (int i = 0; i < 300 && progress.path("state").asText().equals("running"); i++) {
            Thread.sleep(100);
            progress = OciLayouts.readJson(Http.send("GET", progressUrl, null).body());
        }
        assertThat(progress.path("state").asText()).as(progress.toString()).isEqualTo("done");
        assertThat(progress.path("manifests").asInt()).isEqualTo(3);
        assertThat(progress.path("blobs").asInt()).isEqualTo(5);

        for (OciLayouts.Image image : index.images()) {
            assertThat(pullOverHttp(CACHE + "/team/multi", image.manifest().digest(), image)).isTrue();
            for (OciLayouts.Blob blob : image.blobs()) {
                String kind = blob == image.manifest() ? "/manifests/" : "/blobs/";
                assertThat(upstream.answered("GET", "/v2/team/multi" + kind + blob.digest(), 200)).as(blob.digest()).isEqualTo(1);
            }
        }
    }

    @Test
    @Order(7)
    @Tag("engines")
    void theDockerEnginePullsByNameThroughTheCache() throws Exception {
        OciLayouts.Image image = pushUpstream("team/docker", "v1", 2);
        Path engineDir = work.resolve("engine");
        try (DockerEngine docker = DockerEngine.start(engineDir)) {
            Path client = docker.clientConfig("puller");
            String host = "127.0.0.1:" + cais.port();
            assertThat(docker.runWithInput(client, Admin.PASSWORD, "login", "-u", Admin.USER, "--password-stdin", host)
                    .exitCode()).isZero();
            docker.ok(client, "pull", host + "/" + CACHE + "/team/docker:v1");
            String id = docker.ok(client, "image", "inspect", "--format", "{{.Id}}", host + "/" + CACHE + "/team/docker:v1")
                    .stdout().strip();
            assertThat(id).isEqualTo(image.config().digest());
        }
        assertThat(upstream.answered("GET", "/v2/team/docker/manifests/v1", 200)).isEqualTo(1);
        assertThat(upstream.answered("GET", "/v2/team/docker/manifests/" + image.manifest().digest(), 200))
                .as("the engine resolves the tag, then asks by digest: served from what the tag's fetch brought")
                .isZero();
    }

    @Test
    @Order(8)
    @Tag("engines")
    void containerdWithAHostsTomlMirrorPullsTheUnchangedImageNameThroughTheCache() throws Exception {
        OciLayouts.Image image = pushUpstream("team/node", "v1", 2);
        // Nodes pull the cache namespace anonymously, as namespaces allow.
        assertThat(Http.send("PATCH", cais.url("/api/v1/namespaces/" + CACHE), "{\"visibility\":\"public\"}"
                .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json").statusCode()).isEqualTo(200);
        try (Containerd containerd = Containerd.start(work.resolve("containerd"))) {
            containerd.mirror(UPSTREAM, "127.0.0.1:" + cais.port());
            try (CriImageService cri = containerd.imageService()) {
                String pulled = cri.pullImage(UPSTREAM + "/team/node:v1", null, Duration.ofSeconds(60));
                assertThat(pulled).isEqualTo(image.config().digest());
            }
        }
        assertThat(upstream.answered("GET", "/v2/team/node/manifests/v1", 200)).isEqualTo(1);
        assertThat(upstream.answered("GET", "/v2/team/node/manifests/" + image.manifest().digest(), 200)).isZero();
    }

    @Test
    @Order(9)
    void anUpstreamThatChallengesForABearerTokenIsPulledThroughTheTokenFlow() throws Exception {
        String database = "proxy_upstream_" + UUID.randomUUID().toString().substring(0, 8);
        try (var connection = java.sql.DriverManager.getConnection(
                PostgresTestResource.server().getJdbcUrl("postgres", "postgres"), "postgres", "");
             var statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + database);
        }
        // A second Cais as the upstream: private, so every request is challenged with Bearer realm=…/auth/token.
        try (RegistryProcess tokenUpstream = RegistryProcess.start(work.resolve("token-upstream"), Map.of(
                "quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", database),
                "quarkus.datasource.username", "postgres",
                "cais.storage.filesystem.root", work.resolve("token-upstream/blobs").toString()))) {
            String upstreamHost = tokenUpstream.url("").substring("http://".length());
            OciLayouts.Image image = OciLayouts.image("amd64", 2);
            Path source = OciLayouts.write(work.resolve("src-" + UUID.randomUUID()), "v1", image);
            skopeo.ok("copy", "--dest-tls-verify=false", "--dest-creds", Admin.USER + ":" + Admin.PASSWORD,
                    "oci:" + source + ":v1", "docker://" + upstreamHost + "/" + Blobs.NAMESPACE + "/app:v1");
            HttpResponse<byte[]> created = Http.send("POST", cais.url("/api/v1/upstreams"), ("{\"name\":\"cais.example\","
                    + "\"url\":\"" + tokenUpstream.url("") + "\",\"namespace\":\"caiscache\",\"username\":\"" + Admin.USER
                    + "\",\"password\":\"" + Admin.PASSWORD + "\"}").getBytes(StandardCharsets.UTF_8),
                    "Content-Type", "application/json");
            assertThat(created.statusCode()).isEqualTo(201);

            assertThat(pullOverHttp("caiscache/" + Blobs.NAMESPACE + "/app", "v1", image)).isTrue();
            assertThat(tokenUpstream.log()).contains("GET /auth/token 200")
                    .contains("path=/v2/" + Blobs.NAMESPACE + "/app/manifests/v1");
        }
    }

    @Test
    @Order(100)
    void withTheUpstreamStoppedACachedTagStillPullsAndAnUncachedOneFailsClearly() throws Exception {
        upstream.stop();
        try {
            Thread.sleep(REVALIDATION_MILLIS + 500);
            HttpResponse<byte[]> cached = Http.send("GET", cais.url("/v2/" + CACHE + "/team/app/manifests/v1"), null,
                    "Accept", OciLayouts.OCI_MANIFEST);
            assertThat(cached.statusCode()).isEqualTo(200);
            assertThat(cached.headers().firstValue("Warning").orElseThrow()).startsWith("110 ").contains(UPSTREAM);
            pull("docker://" + cais.url("").substring("http://".length()) + "/" + CACHE + "/team/app:v1");

            HttpResponse<byte[]> uncached = Http.send("GET", cais.url("/v2/" + CACHE + "/team/app/manifests/never"), null);
            assertThat(uncached.statusCode()).isEqualTo(503);
            JsonNode error = OciLayouts.readJson(uncached.body()).path("errors").get(0);
            assertThat(error.path("code").asText()).isEqualTo("UNAVAILABLE");
            assertThat(error.path("message").asText()).contains("upstream " + UPSTREAM + " is unreachable");
            assertThat(cais.log()).contains("serving the cached " + CACHE + "/team/app:v1");
        } finally {
            upstream.startAgain();
        }
    }

    private OciLayouts.Image pushUpstream(String repository, String tag, int layers) throws Exception {
        return upstream.push(skopeo, work, repository, tag, layers);
    }

    private Path pull(String ref) throws Exception {
        Path into = work.resolve("pulled-" + UUID.randomUUID());
        skopeo.ok("copy", "--src-tls-verify=false", "--src-creds", Admin.USER + ":" + Admin.PASSWORD, ref, "oci:" + into + ":v1");
        return into;
    }

    /** A pull as a client makes it: the manifest by tag, then the config and each layer, every digest checked. */
    private boolean pullOverHttp(String repository, String tag, OciLayouts.Image image) throws Exception {
        HttpResponse<byte[]> manifest = Http.send("GET", cais.url("/v2/" + repository + "/manifests/" + tag), null,
                "Accept", OciLayouts.OCI_MANIFEST);
        if (manifest.statusCode() != 200 || !Blobs.sha256(manifest.body()).equals(image.manifest().digest())) {
            return false;
        }
        JsonNode parsed = OciLayouts.readJson(manifest.body());
        List<String> digests = new ArrayList<>();
        digests.add(parsed.path("config").path("digest").asText());
        parsed.path("layers").forEach(layer -> digests.add(layer.path("digest").asText()));
        for (String digest : digests) {
            HttpResponse<byte[]> blob = Http.send("GET", cais.url("/v2/" + repository + "/blobs/" + digest), null);
            if (blob.statusCode() != 200 || !Blobs.sha256(blob.body()).equals(digest)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Opens the registry's database connections before a burst: this test is about the upstream, and 32 PostgreSQL
     * connections opened at once on two busy CPUs can take longer than the pool's acquisition timeout.
     */
    private void warmDatabasePool(ExecutorService clients) throws Exception {
        List<Future<Integer>> warming = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            warming.add(clients.submit(() -> Http.send("GET", cais.url("/v2/" + CACHE + "/team/app/tags/list"), null).statusCode()));
        }
        for (Future<Integer> request : warming) {
            request.get();
        }
    }

    private String manifestDigest(String repository, String tag) throws Exception {
        return Http.send("HEAD", cais.url("/v2/" + repository + "/manifests/" + tag), null, "Accept", OciLayouts.OCI_MANIFEST)
                .headers().firstValue("Docker-Content-Digest").orElseThrow();
    }

    private String token(String... scopes) throws Exception {
        StringBuilder url = new StringBuilder(cais.url("/auth/token?service=cais"));
        for (String scope : scopes) {
            url.append("&scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        HttpResponse<byte[]> answer = Http.send("GET", url.toString(), null);
        assertThat(answer.statusCode()).isEqualTo(200);
        return OciLayouts.readJson(answer.body()).path("token").asText();
    }

    /** Streams the blob from Cais and hashes it on the way, never holding it. */
    private String streamedDigest(String repository, String digest) throws Exception {
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(cais.url("/v2/" + repository
                        + "/blobs/" + digest))).header("Authorization", Admin.basic()).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(response.body(), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }

    /** Writes {@code size} pseudo-random bytes, returning their digest. */
    private static String writeRandom(Path file, long size) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[1 << 20];
        Random random = new Random(42);
        try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha256)) {
            for (long written = 0; written < size; written += chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, size - written));
            }
        }
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }
}
