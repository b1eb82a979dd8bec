package io.cais.metadata;

import io.agroal.api.AgroalDataSource;
import io.cais.content.MediaTypes;
import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The locking rules of the metadata layer, each raced through the HTTP API against PostgreSQL: afterwards every
 * stored manifest's references resolve, and no request was answered 500. (An upstream's request budget is raced
 * through its store: only a request to a live upstream spends it over HTTP, and UpstreamFaultsIT does that.)
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class LockingRulesTest {

    private static final int ROUNDS = 15;
    private static final Path STORE = Path.of("target/test-data/blobs");
    /** More rounds while no push has won yet: on a loaded machine the deleters may win every early round. */
    private static final int MAX_ROUNDS = 60;
    private static final int PUSHERS = 4;
    private static final int DELETERS = 2;
    private static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
    private static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

    @Inject
    AgroalDataSource dataSource;

    @Inject
    UpstreamStore upstreams;

    @Inject
    FetchClaimStore claims;

    @Inject
    PrefetchJobStore prefetchJobs;

    @Test
    void aManifestPushRacingAnUnlinkOfItsLayerNeverLeavesTheManifestWithAnUnlinkedLayer() throws Exception {
        String repo = Blobs.repository("lock-layer");
        String config = push(repo, "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8));
        Map<String, String> pushedManifests = new ConcurrentHashMap<>(); // manifest digest -> its layer
        for (int round = 0; round < ROUNDS || pushedManifests.isEmpty() && round < MAX_ROUNDS; round++) {
            String layer = push(repo, Blobs.random(64));
            int r = round;
            race(pusher -> {
                byte[] manifest = image(config, layer, "round " + r + " pusher " + pusher);
                Response response = putManifest(repo, Blobs.sha256(manifest), MediaTypes.OCI_MANIFEST, manifest);
                if (response.statusCode() == 201) {
                    pushedManifests.put(Blobs.sha256(manifest), layer);
                }
                return response;
            }, Set.of(201, 400), deleter -> request().delete("/v2/" + repo + "/blobs/" + layer), Set.of(202, 404, 409),
                    deleterDelay(round));
        }

        assertThat(pushedManifests).isNotEmpty();
        pushedManifests.forEach((manifest, layer) -> {
            request().head("/v2/" + repo + "/manifests/" + manifest).then().statusCode(200);
            request().head("/v2/" + repo + "/blobs/" + layer).then().statusCode(200);
        });
        assertThat(count("SELECT count(*) FROM manifest m JOIN repository r ON r.id = m.repository_id "
                + "JOIN manifest_blob mb ON mb.manifest_id = m.id WHERE r.name = ? AND NOT EXISTS "
                + "(SELECT 1 FROM repository_blob rb WHERE rb.repository_id = m.repository_id AND rb.digest = mb.digest)", repo))
                .as("references to blobs the repository no longer links").isZero();
    }

    @Test
    void anIndexPushRacingADeleteOfItsChildNeverLeavesTheIndexWithADanglingChild() throws Exception {
        String repo = Blobs.repository("lock-child");
        String config = push(repo, "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8));
        String layer = push(repo, Blobs.random(64));
        Map<String, String> pushedIndexes = new ConcurrentHashMap<>(); // index digest -> its child
        for (int round = 0; round < ROUNDS || pushedIndexes.isEmpty() && round < MAX_ROUNDS; round++) {
            byte[] child = image(config, layer, "child of round " + round);
            String childDigest = Blobs.sha256(child);
            putManifest(repo, childDigest, MediaTypes.OCI_MANIFEST, child).then().statusCode(201);
            int r = round;
            race(pusher -> {
                byte[] index = index(childDigest, child.length, "round " + r + " pusher " + pusher);
                Response response = putManifest(repo, Blobs.sha256(index), MediaTypes.OCI_INDEX, index);
                if (response.statusCode() == 201) {
                    pushedIndexes.put(Blobs.sha256(index), childDigest);
                }
                return response;
            }, Set.of(201, 400), deleter -> request().delete("/v2/" + repo + "/manifests/" + childDigest),
                    Set.of(202, 404, 409), deleterDelay(round));
        }

        assertThat(pushedIndexes).isNotEmpty();
        pushedIndexes.forEach((index, child) -> {
            request().head("/v2/" + repo + "/manifests/" + index).then().statusCode(200);
            request().head("/v2/" + repo + "/manifests/" + child).then().statusCode(200);
        });
        assertThat(count("SELECT count(*) FROM manifest m JOIN repository r ON r.id = m.repository_id "
                + "JOIN manifest_child c ON c.manifest_id = m.id WHERE r.name = ? AND NOT EXISTS "
                + "(SELECT 1 FROM manifest child WHERE child.repository_id = m.repository_id AND child.digest = c.child_digest)", repo))
                .as("children the repository no longer has").isZero();
    }

    @Test
    void uploadsRacingTheFirstPushAndADeleteOfTheirRepositoryAnswer202Or404() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            String repo = Blobs.repository("lock-repository");
            String inside = repo.substring(Blobs.NAMESPACE.length() + 1);
            race(pusher -> request().post("/v2/" + repo + "/blobs/uploads/"), Set.of(202, 404),
                    deleter -> request().delete("/api/v1/namespaces/" + Blobs.NAMESPACE + "/repositories/" + inside),
                    Set.of(204, 404), 0);
            assertThat(count("SELECT count(*) FROM repository WHERE name = ?", repo)).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void pushingToAnExistingRepositoryWritesNoNewVersionOfItsRow() throws Exception {
        String repo = Blobs.repository("lock-quiet");
        String config = push(repo, "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8));
        long before = count("SELECT xmin::text::bigint FROM repository WHERE name = ?", repo);

        String layer = push(repo, Blobs.random(64));
        request().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(202);
        byte[] manifest = image(config, layer, "quiet");
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);

        assertThat(count("SELECT xmin::text::bigint FROM repository WHERE name = ?", repo)).isEqualTo(before);
    }

    @Test
    void anUploadRacingTheCollectionOfItsBlobNeverRecordsTheBlobWithoutItsObject() throws Exception {
        String repo = Blobs.repository("lock-gc-upload");
        byte[] blob = Blobs.random(2048);
        String digest = Blobs.sha256(blob);
        Set<String> outcomes = ConcurrentHashMap.newKeySet();
        for (int round = 0; round < ROUNDS || outcomes.size() < 2 && round < MAX_ROUNDS; round++) {
            push(repo, blob); // linked, referenced by nothing: the collector deletes it unless an upload keeps it
            race(pusher -> request().contentType("application/octet-stream").body(blob)
                            .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest), Set.of(201),
                    collector -> collect(), Set.of(200), deleterDelay(round));
            outcomes.add(request().head("/v2/" + repo + "/blobs/" + digest).statusCode() == 200 ? "kept" : "collected");
            assertStoredAsRecorded(digest, blob);
        }
        assertThat(outcomes).as("rounds in which an upload or the collector came last").isNotEmpty();
    }

    @Test
    void aManifestPushRacingTheCollectionOfItsLayerNeverLeavesTheManifestWithoutItsBlob() throws Exception {
        String repo = Blobs.repository("lock-gc-manifest");
        byte[] configBytes = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        Map<String, String> pushedManifests = new ConcurrentHashMap<>(); // manifest digest -> its layer
        Map<String, byte[]> layers = new ConcurrentHashMap<>();
        for (int round = 0; round < ROUNDS || pushedManifests.isEmpty() && round < MAX_ROUNDS; round++) {
            String config = push(repo, configBytes);
            byte[] layerBytes = Blobs.random(64);
            String layer = push(repo, layerBytes);
            layers.put(layer, layerBytes);
            int r = round;
            race(pusher -> {
                byte[] manifest = image(config, layer, "gc round " + r + " pusher " + pusher);
                Response response = putManifest(repo, "t" + pusher, MediaTypes.OCI_MANIFEST, manifest);
                if (response.statusCode() == 201) {
                    pushedManifests.put(Blobs.sha256(manifest), layer);
                }
                return response;
            }, Set.of(201, 400), collector -> collect(), Set.of(200), deleterDelay(round));
        }

        assertThat(pushedManifests).isNotEmpty();
        collect().then().statusCode(200);
        for (int pusher = 0; pusher < PUSHERS; pusher++) {
            Response tagged = request().header("Accept", MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/t" + pusher);
            if (tagged.statusCode() == 200) {
                String layer = pushedManifests.get(Blobs.sha256(tagged.asByteArray()));
                assertThat(request().get("/v2/" + repo + "/blobs/" + layer).asByteArray()).isEqualTo(layers.get(layer));
            }
        }
        assertThat(count("SELECT count(*) FROM manifest m JOIN repository r ON r.id = m.repository_id "
                + "JOIN manifest_blob mb ON mb.manifest_id = m.id WHERE r.name = ? AND NOT EXISTS "
                + "(SELECT 1 FROM repository_blob rb WHERE rb.repository_id = m.repository_id AND rb.digest = mb.digest)", repo))
                .as("references to blobs the repository no longer links").isZero();
    }

    @Test
    void concurrentSpendsOfAnUpstreamsRequestBudgetGrantExactlyItsLimit() throws Exception {
        String upstream = "budget-" + UUID.randomUUID().toString().substring(0, 8) + ".example";
        int limit = 5;
        AdminApi.asAdmin().body(Map.of("name", upstream, "url", "http://127.0.0.1:1", "namespace",
                upstream.replace(".example", ""), "maxRequestsPerMinute", limit)).post("/api/v1/upstreams")
                .then().statusCode(201);
        List<Future<UpstreamStore.RequestBudget>> spends = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(PUSHERS + DELETERS)) {
            CountDownLatch start = new CountDownLatch(1);
            for (int i = 0; i < 4 * limit; i++) {
                spends.add(threads.submit(() -> {
                    start.await();
                    return upstreams.spendRequest(upstream);
                }));
            }
            start.countDown();
        }
        int granted = 0;
        for (Future<UpstreamStore.RequestBudget> spend : spends) {
            UpstreamStore.RequestBudget budget = spend.get();
            if (budget.granted()) {
                granted++;
            } else {
                assertThat(budget.secondsLeft()).isBetween(1L, 60L);
            }
        }
        assertThat(granted).isEqualTo(limit);
    }

    // ---- racing -------------------------------------------------------------------------------------------

    private interface Request {
        Response send(int worker);
    }

    /**
     * How long the deleters of a round wait after the pushers start: no wait in even rounds (a true race), a head
     * start of as many milliseconds as the round's number in odd ones, so that the races move across the window in
     * which a push checks what it references — a push is slower than a delete, and without a head start the pushers
     * may lose every round.
     */
    private static long deleterDelay(int round) {
        return round % 2 == 0 ? 0 : round;
    }

    @Test
    void replicasTakingOverAStalePrefetchJobAtOnceLeaveItWithExactlyOneRunner() throws Exception {
        // Silent for 20 s: stale for these racers (expiry 10 s), not for this application's own scheduled takeover
        // (cais.proxy.claim-expiry, 30 s). Started long ago, so that it is the oldest stale job each racer sees first.
        Duration expiry = Duration.ofSeconds(10);
        List<String> replicas = List.of("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8");
        for (int round = 0; round < ROUNDS; round++) {
            UUID job = UUID.randomUUID();
            prefetchJobs.create(job, "race.example", "stopped", List.of("library/a:1"));
            execute("UPDATE prefetch_job SET heartbeat = now() - interval '20 seconds', started_at = timestamptz "
                    + "'2000-01-01 00:00:00+00' WHERE id = '" + job + "'");
            List<PrefetchJobStore.Runner> runners = new java.util.concurrent.CopyOnWriteArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            try (ExecutorService racers = Executors.newFixedThreadPool(replicas.size())) {
                List<Future<?>> adopting = new ArrayList<>();
                for (String replica : replicas) {
                    adopting.add(racers.submit(() -> {
                        go.await();
                        prefetchJobs.adoptStale(replica, expiry).filter(adopted -> adopted.id().equals(job))
                                .ifPresent(adopted -> runners.add(adopted.runner()));
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> adoption : adopting) {
                    adoption.get();
                }
            }
            assertThat(runners).as("runners that took " + job + " over").hasSize(1);
            assertThat(runners.getFirst().generation()).isEqualTo(1);
            assertThat(prefetchJobs.find("race.example", job, expiry).orElseThrow().replica())
                    .isEqualTo(runners.getFirst().replica());
            assertThat(prefetchJobs.adoptStale("late", expiry).filter(adopted -> adopted.id().equals(job)))
                    .as("its heartbeat is fresh again").isEmpty();
            assertThat(prefetchJobs.finish(job, runners.getFirst())).isTrue();
        }
    }

    private void execute(String sql) throws Exception {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            assertThat(statement.executeUpdate()).isPositive();
        }
    }

    /**
     * Starts pushers, and after {@code deleterDelayMillis} the deleters; every answer must be one the rule allows —
     * never a 500.
     */
    @Test
    void replicasClaimingTheSameFetchAtOnceLeaveExactlyOneHolderAndOnlyAStaleClaimIsTakenOver() throws Exception {
        Duration expiry = Duration.ofSeconds(30);
        List<String> replicas = List.of("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8");
        for (int round = 0; round < ROUNDS; round++) {
            String resource = "blobs/sha256:" + UUID.randomUUID();
            AtomicInteger holders = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            try (ExecutorService racers = Executors.newFixedThreadPool(replicas.size())) {
                List<Future<?>> claiming = new ArrayList<>();
                for (String replica : replicas) {
                    claiming.add(racers.submit(() -> {
                        go.await();
                        if (claims.claim("claims/race", resource, replica, expiry)) {
                            holders.incrementAndGet();
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> claim : claiming) {
                    claim.get();
                }
            }
            assertThat(holders.get()).as("replicas holding " + resource).isEqualTo(1);
        }

        String resource = "manifests/v1";
        assertThat(claims.claim("claims/stale", resource, "old", expiry)).isTrue();
        assertThat(claims.claim("claims/stale", resource, "new", expiry)).as("a live claim is not taken").isFalse();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement silence = connection.prepareStatement(
                     "UPDATE proxy_fetch_claim SET heartbeat = now() - interval '1 minute' WHERE repository = 'claims/stale'")) {
            silence.executeUpdate();
        }
        assertThat(claims.claim("claims/stale", resource, "new", expiry)).as("a stale claim is taken over").isTrue();
        claims.release("claims/stale", resource, "old");
        assertThat(claims.claim("claims/stale", resource, "third", expiry))
                .as("the replica taken over does not release the new holder's claim").isFalse();
        claims.release("claims/stale", resource, "new");
        assertThat(claims.claim("claims/stale", resource, "third", expiry)).as("a released claim is free").isTrue();
        claims.release("claims/stale", resource, "third");
    }

    private static void race(Request pusher, Set<Integer> pushAnswers, Request deleter, Set<Integer> deleteAnswers,
                             long deleterDelayMillis) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(PUSHERS + DELETERS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Answer>> answers = new ArrayList<>();
            for (int i = 0; i < PUSHERS + DELETERS; i++) {
                int worker = i;
                boolean pushing = i < PUSHERS;
                Callable<Answer> call = () -> {
                    start.await();
                    if (!pushing && deleterDelayMillis > 0) {
                        Thread.sleep(deleterDelayMillis);
                    }
                    Response response = pushing ? pusher.send(worker) : deleter.send(worker);
                    return new Answer(pushing, response.statusCode(), response.asString());
                };
                answers.add(threads.submit(call));
            }
            start.countDown();
            for (Future<Answer> future : answers) {
                Answer answer = future.get();
                assertThat(answer.status()).as(answer.body()).isIn(answer.push() ? pushAnswers : deleteAnswers);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private record Answer(boolean push, int status, String body) {
    }

    // ---- content ------------------------------------------------------------------------------------------

    private static RequestSpecification request() {
        return given().urlEncodingEnabled(false).header("Authorization", Admin.basic());
    }

    private static String push(String repo, byte[] blob) {
        String digest = Blobs.sha256(blob);
        request().contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest).then().statusCode(201);
        return digest;
    }

    private static Response collect() {
        return request().contentType("application/json").body("{\"ignoreDelay\":true}").post("/api/v1/gc");
    }

    /** A recorded blob has its object, with its bytes; a blob no longer recorded may have its object or not. */
    private void assertStoredAsRecorded(String digest, byte[] bytes) throws Exception {
        Path object = STORE.resolve("blobs/sha256/" + digest.substring(7, 9) + "/" + digest.substring(7));
        if (count("SELECT count(*) FROM blob WHERE digest = ?", digest) > 0) {
            assertThat(object).as("the object of a recorded blob").exists();
            assertThat(Files.readAllBytes(object)).isEqualTo(bytes);
        }
    }

    private static Response putManifest(String repo, String reference, String mediaType, byte[] body) {
        return request().contentType(mediaType).body(body).put("/v2/" + repo + "/manifests/" + reference);
    }

    /** An image manifest over the config and the layer; the annotation makes each one a manifest of its own. */
    private static byte[] image(String config, String layer, String annotation) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"config\":" + descriptor(CONFIG_TYPE, config, 37) + ","
                + "\"layers\":[" + descriptor(LAYER_TYPE, layer, 64) + "],"
                + "\"annotations\":{\"test\":\"" + annotation + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] index(String child, long size, String annotation) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\","
                + "\"manifests\":[" + descriptor(MediaTypes.OCI_MANIFEST, child, size) + "],"
                + "\"annotations\":{\"test\":\"" + annotation + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static String descriptor(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    private long count(String sql, String name) throws Exception {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }
}
