package io.cais.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.ImagePulls;
import io.cais.testing.OciLayouts;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.cais.testing.Skopeo;
import io.cais.testing.UpstreamRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pull-through cache on two packaged replicas sharing one PostgreSQL database and one filesystem store, with
 * CNCF Distribution ({@code docker-registry}) as the upstream: no replica keeps the cache's state in its memory. One
 * upstream request per manifest and blob for concurrent cold pulls spread over both replicas (counted in the
 * upstream's access log), a pending manifest fetched through one replica served and stored by the other, a pre-fetch
 * job's progress answered by both; a claim of a replica that stopped is taken over once stale, and one that streams
 * longer than the claim expiry keeps its claim through heartbeats; a pre-fetch whose replica stops is taken over by
 * another replica and completes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyAcrossReplicasIT {

    private static final String UPSTREAM = "replicated.example";
    /** The namespace that caches the upstream. */
    private static final String CACHE = "replicated";
    private static final int CLAIM_EXPIRY_SECONDS = 3;
    /** The database both replicas share. */
    private static final String DATABASE = "proxy_replicas";

    /** The upstream's storage and log, the replicas' logs, their shared blob store. */
    private Path work;
    /** Two replicas on one database and one filesystem store. */
    private RegistryProcess a;
    private RegistryProcess b;
    private UpstreamRegistry upstream;
    private Skopeo skopeo;
    private final Map<String, String> config = new HashMap<>();

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("cais-proxy-replicas");
        try (Connection connection = DriverManager.getConnection(
                PostgresTestResource.server().getJdbcUrl("postgres", "postgres"), "postgres", "");
             var statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + DATABASE);
            statement.execute("CREATE DATABASE " + DATABASE);
        }
        config.put("quarkus.datasource.jdbc.url", jdbcUrl());
        config.put("quarkus.datasource.username", "postgres");
        config.put("cais.storage.type", "filesystem");
        config.put("cais.storage.filesystem.root", work.resolve("blobs").toString());
        config.put("cais.proxy.upstream-refresh", "PT1S");
        config.put("cais.proxy.claim-heartbeat", "PT1S");
        config.put("cais.proxy.claim-expiry", "PT" + CLAIM_EXPIRY_SECONDS + "S");
        a = RegistryProcess.start(work.resolve("a"), config);
        b = RegistryProcess.start(work.resolve("b"), config);
        upstream = UpstreamRegistry.start(work.resolve("upstream"));
        skopeo = Skopeo.in(work.resolve("skopeo"));
        HttpResponse<byte[]> created = Http.send("POST", a.url("/api/v1/upstreams"), upstream.asUpstream(UPSTREAM, CACHE),
                "Content-Type", "application/json");
        assertThat(created.statusCode()).as(new String(created.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        Thread.sleep(1_500); // replica b's copy of the upstream list is at most one refresh old
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable closing : new AutoCloseable[]{a, b, upstream}) {
            if (closing != null) {
                closing.close();
            }
        }
    }

    @Test
    void twentyConcurrentColdPullsOnTwoReplicasMakeOneUpstreamGetPerManifestAndPerBlob() throws Exception {
        OciLayouts.Image image = pushUpstream("team/shared", "v1", 3);
        List<Future<String>> pulls = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(20)) {
            for (int i = 0; i < 20; i++) {
                RegistryProcess replica = i % 2 == 0 ? a : b;
                pulls.add(clients.submit(() -> ImagePulls.pull(replica, CACHE + "/team/shared", List.of("v1", image.manifest().digest()), image)));
            }
            for (Future<String> pull : pulls) {
                assertThat(pull.get()).isEqualTo(ImagePulls.OK);
            }
        }
        assertThat(upstream.answered("GET", "/v2/team/shared/manifests/v1", 200)).isEqualTo(1);
        assertThat(upstream.answered("GET", "/v2/team/shared/manifests/" + image.manifest().digest(), 200))
                .as("asked by digest after the tag: served from what the tag's fetch brought").isZero();
        for (OciLayouts.Blob blob : List.of(image.config(), image.layers().get(0), image.layers().get(1), image.layers().get(2))) {
            assertThat(upstream.answered("GET", "/v2/team/shared/blobs/" + blob.digest(), 200)).as(blob.digest()).isEqualTo(1);
        }
        // A client has its last byte just before the replica links the blob, promotes the manifest, releases the claim.
        assertThat(rowsSoon("SELECT count(*) FROM proxy_fetch_claim WHERE repository = '" + CACHE + "/team/shared'", 0))
                .as("claims left behind").isZero();
        assertThat(rowsSoon("SELECT count(*) FROM proxy_pending_manifest WHERE repository = '" + CACHE + "/team/shared'", 0))
                .as("the manifest was stored once its last blob was").isZero();
    }

    @Test
    void aManifestPendingOnOneReplicaIsServedByTheOtherAndStoredWhenItsLayersArePulledThere() throws Exception {
        OciLayouts.Image image = pushUpstream("team/pending", "v1", 2);
        String repository = CACHE + "/team/pending";
        String digest = image.manifest().digest();

        HttpResponse<byte[]> fetched = ImagePulls.manifest(a, repository, "v1");
        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(fetched.body()).isEqualTo(image.manifest().bytes());
        // Pending: not content yet — no stored manifest, no tag.
        assertThat(rows("SELECT count(*) FROM manifest WHERE digest = '" + digest + "'")).isZero();
        assertThat(new String(Http.send("GET", b.url("/v2/" + repository + "/tags/list"), null).body(),
                StandardCharsets.UTF_8)).doesNotContain("\"v1\"");

        for (String reference : List.of(digest, "v1")) {
            HttpResponse<byte[]> served = ImagePulls.manifest(b, repository, reference);
            assertThat(served.statusCode()).as(reference).isEqualTo(200);
            assertThat(served.headers().firstValue("Docker-Content-Digest")).contains(digest);
            assertThat(served.body()).isEqualTo(image.manifest().bytes());
        }
        assertThat(ImagePulls.blobs(b, repository, image)).isEqualTo(ImagePulls.OK);

        assertThat(rowsSoon("SELECT count(*) FROM manifest WHERE digest = '" + digest + "'", 1)).isEqualTo(1);
        assertThat(rowsSoon("SELECT count(*) FROM proxy_pending_manifest WHERE repository = '" + repository + "'", 0)).isZero();
        for (RegistryProcess replica : List.of(a, b)) {
            assertThat(new String(Http.send("GET", replica.url("/v2/" + repository + "/tags/list"), null).body(),
                    StandardCharsets.UTF_8)).contains("\"v1\"");
        }
        assertThat(upstream.answered("GET", "/v2/team/pending/manifests/v1", 200)).isEqualTo(1);
        assertThat(upstream.answered("GET", "/v2/team/pending/manifests/" + digest, 200)).isZero();
    }

    @Test
    void aPrefetchStartedOnOneReplicaReportsTheSameProgressOnTheOtherAndCompletes() throws Exception {
        OciLayouts.Index index = OciLayouts.index(OciLayouts.image("amd64", 2), OciLayouts.image("arm64", 1));
        upstream.push(skopeo, work, "team/multi", "2.0", index);
        String location = startPrefetch(a, "team/multi:2.0");
        String onA = a.url(location);
        String onB = b.url(location);

        JsonNode progress = progressOnceEnded(onB);
        assertThat(progress.path("state").asText()).as(progress.toString()).isEqualTo("done");
        assertThat(progress.path("manifests").asInt()).isEqualTo(3);
        assertThat(progress.path("blobs").asInt()).isEqualTo(5);
        assertThat(progress.path("imagesDone").asInt()).isEqualTo(1);
        assertThat(progress.path("imageProgress").get(0).path("state").asText()).isEqualTo("done");
        assertThat(progress(onA)).isEqualTo(progress);
        for (OciLayouts.Image image : index.images()) {
            assertThat(ImagePulls.pull(b, CACHE + "/team/multi", List.of(image.manifest().digest()), image)).isEqualTo(ImagePulls.OK);
        }
    }

    @Test
    void aClaimLeftByAStoppedReplicaIsTakenOverOnceStaleAndTheBlobIsFetchedOnce() throws Exception {
        byte[] bytes = Blobs.random(100_000);
        String digest = Blobs.sha256(bytes);
        upstream.upload("team/orphan", digest, HttpRequest.BodyPublishers.ofByteArray(bytes));
        execute("INSERT INTO proxy_fetch_claim (repository, resource, replica) VALUES ('" + CACHE + "/team/orphan', 'blobs/"
                + digest + "', 'a-replica-that-stopped')");

        long started = System.nanoTime();
        HttpResponse<byte[]> pulled = Http.send("GET", b.url("/v2/" + CACHE + "/team/orphan/blobs/" + digest), null);
        long waitedMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(bytes);
        assertThat(waitedMillis).as("waited for the claim to go stale").isGreaterThanOrEqualTo(CLAIM_EXPIRY_SECONDS * 1000L - 500);
        assertThat(upstream.answered("GET", "/v2/team/orphan/blobs/" + digest, 200)).isEqualTo(1);
        assertThat(rowsSoon("SELECT count(*) FROM proxy_fetch_claim WHERE repository = '" + CACHE + "/team/orphan'", 0)).isZero();
    }

    @Test
    void aBlobStreamedLongerThanTheClaimExpiryKeepsItsClaimAndTheOtherReplicaWaitsForIt() throws Exception {
        byte[] bytes = Blobs.random(32 << 20);
        String digest = Blobs.sha256(bytes);
        upstream.upload("team/slow", digest, HttpRequest.BodyPublishers.ofByteArray(bytes));
        String path = "/v2/" + CACHE + "/team/slow/blobs/" + digest;
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> slow = http.send(HttpRequest.newBuilder(URI.create(a.url(path)))
                .header("Authorization", Admin.basic()).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(slow.statusCode()).isEqualTo(200);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        long started = System.nanoTime();
        try (ExecutorService other = Executors.newSingleThreadExecutor()) {
            Future<HttpResponse<byte[]>> meanwhile = null;
            try (InputStream in = slow.body()) {
                byte[] buffer = new byte[256 << 10];
                for (int read; (read = in.readNBytes(buffer, 0, buffer.length)) > 0; ) {
                    sha256.update(buffer, 0, read);
                    if (meanwhile == null) {
                        meanwhile = other.submit(() -> Http.send("GET", b.url(path), null));
                    }
                    Thread.sleep(50); // about 6 s for the whole blob: longer than the claim expiry
                }
            }
            assertThat("sha256:" + HexFormat.of().formatHex(sha256.digest())).isEqualTo(digest);
            assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThan(CLAIM_EXPIRY_SECONDS * 1000L);
            HttpResponse<byte[]> fromB = meanwhile.get();
            assertThat(fromB.statusCode()).isEqualTo(200);
            assertThat(Blobs.sha256(fromB.body())).isEqualTo(digest);
        }
        assertThat(upstream.answered("GET", "/v2/team/slow/blobs/" + digest, 200)).as("one upstream GET").isEqualTo(1);
    }

    @Test
    void aPrefetchWhoseReplicaStopsIsTakenOverByAnotherReplicaAndCompletes() throws Exception {
        OciLayouts.Image image = pushUpstream("team/stuck", "v1", 1);
        // Live claims on its config and layer that no replica releases: the job waits for them and is still running.
        for (OciLayouts.Blob blob : List.of(image.config(), image.layers().getFirst())) {
            execute("INSERT INTO proxy_fetch_claim (repository, resource, replica, heartbeat) VALUES ('" + CACHE
                    + "/team/stuck', 'blobs/" + blob.digest() + "', 'a-replica-that-hangs', now() + interval '1 hour')");
        }
        String location;
        String stopped;
        try {
            try (RegistryProcess c = RegistryProcess.start(work.resolve("c"), config)) {
                location = startPrefetch(c, "team/stuck:v1");
                JsonNode running = progress(b.url(location));
                assertThat(running.path("state").asText()).isEqualTo("running");
                stopped = running.path("replica").asText();
                c.terminate();
                assertThat(c.awaitExit(java.time.Duration.ofSeconds(60))).isTrue();
            }
            JsonNode adopted = progressOnceTakenOverFrom(b.url(location), stopped);
            assertThat(adopted.path("state").asText()).as(adopted.toString()).isEqualTo("running");
            assertThat(progress(a.url(location)).path("replica").asText()).isEqualTo(adopted.path("replica").asText());
        } finally {
            execute("DELETE FROM proxy_fetch_claim WHERE replica = 'a-replica-that-hangs'");
        }

        JsonNode progress = progressOnceEnded(a.url(location));
        assertThat(progress.path("state").asText()).as(progress.toString()).isEqualTo("done");
        assertThat(progress.path("imageProgress").get(0).path("state").asText()).isEqualTo("done");
        assertThat(progress.path("manifests").asInt()).as("counted once, not once per replica that ran the image").isEqualTo(1);
        assertThat(progress.path("blobs").asInt()).isEqualTo(2);
        assertThat(progress(b.url(location))).isEqualTo(progress);
        assertThat(ImagePulls.blobs(b, CACHE + "/team/stuck", image)).isEqualTo(ImagePulls.OK);
        for (OciLayouts.Blob blob : List.of(image.config(), image.layers().getFirst())) {
            assertThat(upstream.answered("GET", "/v2/team/stuck/blobs/" + blob.digest(), 200)).as(blob.digest()).isEqualTo(1);
        }
    }

    private void execute(String sql) throws Exception {
        try (Connection db = DriverManager.getConnection(jdbcUrl(), "postgres", ""); var statement = db.createStatement()) {
            assertThat(statement.executeUpdate(sql)).isPositive();
        }
    }

    /** Starts a pre-fetch of one image through the replica; the job's path. */
    private static String startPrefetch(RegistryProcess replica, String image) throws Exception {
        HttpResponse<byte[]> started = Http.send("POST", replica.url("/api/v1/upstreams/" + UPSTREAM + "/prefetch"),
                ("{\"images\":[\"" + image + "\"]}").getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
        assertThat(started.statusCode()).as(new String(started.body(), StandardCharsets.UTF_8)).isEqualTo(202);
        // The Location is absolute, naming the replica that took the request: keep its path, to ask any replica.
        return URI.create(started.headers().firstValue("Location").orElseThrow()).getPath();
    }

    /** The job's progress once a replica other than {@code stopped} runs it (or after a minute). */
    private JsonNode progressOnceTakenOverFrom(String url, String stopped) throws Exception {
        JsonNode progress = progress(url);
        for (int i = 0; i < 600 && progress.path("replica").asText().equals(stopped); i++) {
            Thread.sleep(100);
            progress = progress(url);
        }
        return progress;
    }

    /** The job's progress once it is no longer running (or after a minute). */
    private JsonNode progressOnceEnded(String url) throws Exception {
        JsonNode progress = progress(url);
        for (int i = 0; i < 600 && progress.path("state").asText().equals("running"); i++) {
            Thread.sleep(100);
            progress = progress(url);
        }
        return progress;
    }

    private JsonNode progress(String url) throws Exception {
        HttpResponse<byte[]> answer = Http.send("GET", url, null);
        assertThat(answer.statusCode()).as(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return OciLayouts.readJson(answer.body());
    }

    private OciLayouts.Image pushUpstream(String repository, String tag, int layers) throws Exception {
        return upstream.push(skopeo, work, repository, tag, layers);
    }

    /** The count, once it is {@code expected} or after five seconds. */
    private long rowsSoon(String countQuery, long expected) throws Exception {
        long count = rows(countQuery);
        for (int i = 0; i < 50 && count != expected; i++) {
            Thread.sleep(100);
            count = rows(countQuery);
        }
        return count;
    }

    private static String jdbcUrl() {
        return PostgresTestResource.server().getJdbcUrl("postgres", DATABASE);
    }

    private long rows(String countQuery) throws Exception {
        try (Connection db = DriverManager.getConnection(jdbcUrl(), "postgres", "");
             var statement = db.createStatement(); var result = statement.executeQuery(countQuery)) {
            result.next();
            return result.getLong(1);
        }
    }
}
