package io.cais.gc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.testing.Blobs;
import io.cais.testing.GcImages;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The push-versus-collection race, on two registry processes sharing PostgreSQL and one filesystem store, with a
 * review delay of zero and workers collecting every second on both: pushes of images sharing layers, tag moves, tag
 * and manifest deletes and on-demand collections race for about 35 seconds. Afterwards every tagged image pulls
 * completely and byte-identical, every stored object is referenced or has a review or deletion pending, every
 * recorded blob has its object, and no request was answered 5xx.
 */
class GcRaceIT {

    private static final long RACE_MILLIS = 35_000;
    private static final List<String> REPOSITORIES = List.of(Blobs.NAMESPACE + "/race-0", Blobs.NAMESPACE + "/race-1");
    private static final List<String> TAGS = List.of("t0", "t1", "t2", "t3");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, GcImages.Image> images = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final List<String> serverErrors = java.util.Collections.synchronizedList(new ArrayList<>());

    @Test
    void pushesTagMovesAndDeletesRacingCollectionsOnTwoReplicasLoseNoReferencedBlob() throws Exception {
        Path work = Files.createTempDirectory("cais-gc-race");
        Path root = work.resolve("blobs");
        String database = "gc_race";
        String server = PostgresTestResource.server().getJdbcUrl("postgres", "postgres");
        try (Connection connection = DriverManager.getConnection(server, "postgres", "");
             var statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database);
            statement.execute("CREATE DATABASE " + database);
        }
        String jdbcUrl = PostgresTestResource.server().getJdbcUrl("postgres", database);
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.datasource.jdbc.url", jdbcUrl);
        config.put("quarkus.datasource.username", "postgres");
        config.put("cais.storage.type", "filesystem");
        config.put("cais.storage.filesystem.root", root.toString());
        config.put("cais.gc.review-delay", "PT0S");
        config.put("cais.gc.interval", "1s");
        config.put("cais.gc.batch-size", "20");
        try (RegistryProcess a = RegistryProcess.start(work.resolve("a"), config);
             RegistryProcess b = RegistryProcess.start(work.resolve("b"), config)) {
            List<String> nodes = List.of(a.url(""), b.url(""));
            // Untagged manifests are collected too, so that tag moves race manifest collections.
            assertThat(Http.send("PATCH", a.url("/api/v1/namespaces/" + Blobs.NAMESPACE),
                    "{\"untaggedManifests\":\"delete\"}".getBytes(), "Content-Type", "application/json").statusCode()).isEqualTo(200);
            List<byte[]> sharedLayers = List.of(Blobs.random(20_000), Blobs.random(20_000), Blobs.random(20_000), Blobs.random(20_000));

            race(nodes, sharedLayers);

            assertThat(serverErrors).as("requests answered 5xx").isEmpty();
            assertThat(statuses.getOrDefault(201, new AtomicInteger()).get()).as("pushes that succeeded").isPositive();
            try (Connection db = DriverManager.getConnection(jdbcUrl, "postgres", "")) {
                assertThat(digests(db, "SELECT 'collected' FROM gc_totals WHERE manifests > 0 AND links > 0 AND blobs > 0 AND objects > 0"))
                        .as("the collectors deleted manifests, links, blobs and objects during the race").isNotEmpty();
                // Right after the race: whatever is stored is referenced or about to be reviewed or deleted.
                Set<String> accountedFor = digests(db, "SELECT digest FROM repository_blob UNION SELECT digest FROM manifest_blob "
                        + "UNION SELECT digest FROM gc_blob_review UNION SELECT digest FROM gc_blob_deletion");
                assertThat(stored(root)).as("objects neither referenced nor pending review").isSubsetOf(accountedFor);
                assertEveryTaggedImagePulls(nodes.getFirst());
                assertEveryRecordedBlobIsStored(db, root);

                // Once collected to the end, the store holds exactly the referenced blobs.
                collectUntilNothingIsLeft(nodes.getLast());
                assertEveryTaggedImagePulls(nodes.getLast());
                assertEveryRecordedBlobIsStored(db, root);
                assertThat(stored(root)).isEqualTo(digests(db, "SELECT digest FROM repository_blob UNION SELECT digest FROM manifest_blob"));
                // Usage accounting equals the store: the registry's stored bytes are the objects' sizes.
                long objectBytes = 0;
                for (String digest : stored(root)) {
                    objectBytes += Files.size(object(root, digest));
                }
                JsonNode usage = JSON.readTree(Http.send("GET", nodes.getLast() + "/api/v1/usage", null).body());
                assertThat(usage.get("bytes").asLong()).as("stored bytes in the usage accounting").isEqualTo(objectBytes);
            }
        }
    }

    private void race(List<String> nodes, List<byte[]> sharedLayers) throws Exception {
        long end = System.currentTimeMillis() + RACE_MILLIS;
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                workers.add(threads.submit(() -> until(end, () -> push(node(nodes), sharedLayers))));
            }
            // Deletes stop a little before the pushes, so that tagged images are left to pull (collections go on).
            workers.add(threads.submit(() -> until(end - 5_000, () -> moveTag(node(nodes)))));
            workers.add(threads.submit(() -> until(end - 5_000, () -> delete(node(nodes)))));
            workers.add(threads.submit(() -> until(end, () -> {
                record("POST /api/v1/gc", Http.send("POST", node(nodes) + "/api/v1/gc", "{}".getBytes(), "Content-Type", "application/json"));
                Thread.sleep(200);
            })));
            for (Future<?> worker : workers) {
                worker.get();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * Pushes an image of shared and own layers under a random tag. Like a client uploading layers in parallel, it keeps
     * an upload session open from its start to its manifest: with a review delay of zero, that is what keeps the layers
     * it uploaded linked until the manifest references them.
     */
    private void push(String node, List<byte[]> sharedLayers) throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<byte[]> layers = new ArrayList<>(new java.util.LinkedHashSet<>(List.of(sharedLayers.get(random.nextInt(sharedLayers.size())),
                sharedLayers.get(random.nextInt(sharedLayers.size())))));
        layers.add(Blobs.random(1000 + random.nextInt(5000)));
        GcImages.Image image = GcImages.image(layers);
        images.put(image.digest(), image);
        String repo = pick(REPOSITORIES);
        HttpResponse<byte[]> session = Http.send("POST", node + "/v2/" + repo + "/blobs/uploads/", null);
        count(session.statusCode(), "upload start");
        try {
            for (byte[] blob : image.blobs()) {
                int status = GcImages.upload(node, repo, blob);
                count(status, "upload");
                if (status != 201) {
                    return;
                }
            }
            count(GcImages.putManifest(node, repo, pick(TAGS), image.manifest()), "manifest push");
        } finally {
            session.headers().firstValue("Location").ifPresent(location -> {
                try {
                    count(Http.send("DELETE", node + location, null).statusCode(), "upload cancel");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    /** Puts a known image's manifest under another tag: its blobs may have been collected meanwhile (400). */
    private void moveTag(String node) throws Exception {
        List<GcImages.Image> known = new ArrayList<>(images.values());
        if (known.isEmpty()) {
            Thread.sleep(50);
            return;
        }
        GcImages.Image image = known.get(ThreadLocalRandom.current().nextInt(known.size()));
        count(GcImages.putManifest(node, pick(REPOSITORIES), pick(TAGS), image.manifest()), "tag move");
    }

    private void delete(String node) throws Exception {
        String reference;
        List<String> known = new ArrayList<>(images.keySet());
        if (ThreadLocalRandom.current().nextBoolean() || known.isEmpty()) {
            reference = pick(TAGS);
        } else {
            reference = known.get(ThreadLocalRandom.current().nextInt(known.size()));
        }
        record("DELETE manifest", Http.send("DELETE", node + "/v2/" + pick(REPOSITORIES) + "/manifests/" + reference, null));
        Thread.sleep(200);
    }

    private void assertEveryTaggedImagePulls(String node) throws Exception {
        int pulled = 0;
        for (String repo : REPOSITORIES) {
            HttpResponse<byte[]> list = Http.send("GET", node + "/v2/" + repo + "/tags/list", null);
            if (list.statusCode() == 404) {
                continue;
            }
            for (JsonNode tag : JSON.readTree(list.body()).path("tags")) {
                HttpResponse<byte[]> manifest = Http.send("GET", node + "/v2/" + repo + "/manifests/" + tag.asText(), null,
                        "Accept", GcImages.OCI_MANIFEST);
                assertThat(manifest.statusCode()).as(repo + ":" + tag).isEqualTo(200);
                GcImages.Image image = images.get(Blobs.sha256(manifest.body()));
                assertThat(image).as("a manifest this test pushed").isNotNull();
                for (byte[] blob : image.blobs()) {
                    HttpResponse<byte[]> pulledBlob = Http.send("GET", node + "/v2/" + repo + "/blobs/" + Blobs.sha256(blob), null);
                    assertThat(pulledBlob.statusCode()).as(repo + ":" + tag + " blob").isEqualTo(200);
                    assertThat(pulledBlob.body()).isEqualTo(blob);
                }
                pulled++;
            }
        }
        assertThat(pulled).as("tagged images left after the race; answers: " + statuses).isPositive();
    }

    /** No referenced blob was deleted: every recorded blob has its object, whole. */
    private static void assertEveryRecordedBlobIsStored(Connection db, Path root) throws Exception {
        try (var statement = db.createStatement(); ResultSet rows = statement.executeQuery("SELECT digest, size FROM blob")) {
            while (rows.next()) {
                Path object = object(root, rows.getString(1));
                assertThat(object).as("object of recorded blob " + rows.getString(1)).exists();
                assertThat(Files.size(object)).isEqualTo(rows.getLong(2));
            }
        }
    }

    private static void collectUntilNothingIsLeft(String node) throws Exception {
        for (int run = 0; run < 20; run++) {
            JsonNode result = JSON.readTree(GcImages.collect(node, false, true));
            if (result.get("manifests").asLong() + result.get("links").asLong() + result.get("blobs").asLong()
                    + result.get("objects").asLong() == 0) {
                return;
            }
        }
        throw new AssertionError("the collector kept finding garbage");
    }

    private static Set<String> digests(Connection db, String sql) throws Exception {
        Set<String> digests = new HashSet<>();
        try (var statement = db.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                digests.add(rows.getString(1));
            }
        }
        return digests;
    }

    private static Set<String> stored(Path root) throws Exception {
        Set<String> digests = new HashSet<>();
        try (Stream<Path> files = Files.walk(root.resolve("blobs"))) {
            files.filter(Files::isRegularFile).forEach(file -> digests.add("sha256:" + file.getFileName()));
        }
        return digests;
    }

    private static Path object(Path root, String digest) {
        String hex = digest.substring("sha256:".length());
        return root.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex);
    }

    private interface Step {
        void run() throws Exception;
    }

    private static Void until(long end, Step step) throws Exception {
        while (System.currentTimeMillis() < end) {
            step.run();
        }
        return null;
    }

    private void record(String what, HttpResponse<byte[]> response) {
        count(response.statusCode(), what + ": " + new String(response.body()));
    }

    private void count(int status, String what) {
        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
        if (status >= 500) {
            serverErrors.add(status + " " + what);
        }
    }

    private static String node(List<String> nodes) {
        return pick(nodes);
    }

    private static <T> T pick(List<T> values) {
        return values.get(ThreadLocalRandom.current().nextInt(values.size()));
    }
}
