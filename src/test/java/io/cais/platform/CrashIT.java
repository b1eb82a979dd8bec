package io.cais.platform;

import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.Http;
import io.cais.testing.RegistryProcess;
import io.cais.testing.Signals;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a container or node crash does to the embedded default: the JVM and its embedded PostgreSQL killed at once
 * (SIGKILL, no shutdown), in the middle of concurrent pushes, three times over. Every push that was answered 201
 * must be complete after the restart: its blob there with its length, its manifest by tag and by digest with the
 * same bytes. (With the library's fsync=off and synchronous_commit=off, pushes answered 0.2 s before were lost.)
 */
class CrashIT {

    private static final int ROUNDS = 3;
    private static final int PUSHERS = 8;
    private static final Duration PUSHING = Duration.ofSeconds(3);

    private record Blob(String repository, String digest, int size) {
    }

    private record Manifest(String repository, String tag, String digest, byte[] bytes) {
    }

    @Test
    void everyAcknowledgedPushSurvivesKillingTheJvmAndItsDatabase() throws Exception {
        Path work = Files.createTempDirectory("cais-crash");
        Map<String, String> config = Map.of(
                "cais.embedded-database.port", String.valueOf(RegistryProcess.freePort()),
                "cais.admin.initial-password", Admin.PASSWORD);
        ConcurrentLinkedQueue<Blob> blobs = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Manifest> manifests = new ConcurrentLinkedQueue<>();
        for (int round = 0; round < ROUNDS; round++) {
            RegistryProcess registry = RegistryProcess.startInOwnProcessGroup(work, config);
            if (round == 0) {
                assertThat(Http.send("POST", registry.url("/api/v1/namespaces"),
                        ("{\"name\":\"" + Blobs.NAMESPACE + "\"}").getBytes(StandardCharsets.UTF_8),
                        "Content-Type", "application/json").statusCode()).isEqualTo(201);
            } else {
                assertAllComplete(registry, blobs, manifests);
            }
            AtomicBoolean pushing = new AtomicBoolean(true);
            List<Thread> pushers = new java.util.ArrayList<>();
            for (int i = 0; i < PUSHERS; i++) {
                int pusher = i;
                int r = round;
                pushers.add(Thread.ofVirtual().start(() -> push(registry, r, pusher, pushing, blobs, manifests)));
            }
            Thread.sleep(PUSHING.toMillis());
            crash(registry, work);
            pushing.set(false);
            for (Thread pusher : pushers) {
                pusher.join();
            }
        }
        assertThat(manifests).as("pushes acknowledged before the crashes").hasSizeGreaterThan(ROUNDS * PUSHERS);
        try (RegistryProcess registry = RegistryProcess.startUnconfigured(work, config)) {
            assertAllComplete(registry, blobs, manifests);
        }
    }

    /** SIGKILL to the embedded PostgreSQL (postmaster and backends) and to the JVM's whole process group. */
    private static void crash(RegistryProcess registry, Path work) throws Exception {
        long postmaster = Long.parseLong(Files.readAllLines(work.resolve("data/postgres/postmaster.pid")).getFirst().trim());
        Signals.kill(postmaster);
        Signals.killGroup(registry.pid());
        assertThat(registry.awaitExit(Duration.ofSeconds(10))).isTrue();
        // A restarted PostgreSQL refuses to start while the pid in its stale lock file exists, and the killed
        // postmaster (orphaned by the JVM's death) exists until the machine's init process reaps it.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Files.exists(Path.of("/proc/" + postmaster)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(Path.of("/proc/" + postmaster)).as("killed postmaster reaped").doesNotExist();
    }

    /** Pushes layer + manifest by tag, over and over; records what was answered 201. */
    private static void push(RegistryProcess registry, int round, int pusher, AtomicBoolean pushing,
                             ConcurrentLinkedQueue<Blob> blobs, ConcurrentLinkedQueue<Manifest> manifests) {
        Random random = new Random(round * 100L + pusher);
        String repository = Blobs.NAMESPACE + "/crash-" + pusher;
        for (int i = 0; pushing.get(); i++) {
            try {
                byte[] layer = new byte[16_384 + random.nextInt(500_000)];
                random.nextBytes(layer);
                String layerDigest = Blobs.sha256(layer);
                if (Http.send("POST", registry.url("/v2/" + repository + "/blobs/uploads/?digest=" + layerDigest), layer,
                        "Content-Type", "application/octet-stream").statusCode() != 201) {
                    continue;
                }
                blobs.add(new Blob(repository, layerDigest, layer.length));
                byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + layerDigest
                        + "\",\"size\":" + layer.length + "},\"layers\":[],\"annotations\":{\"push\":\"" + round + "-" + i
                        + "\"}}").getBytes(StandardCharsets.UTF_8);
                String tag = "r" + round + "-" + i;
                HttpResponse<byte[]> pushed = Http.send("PUT", registry.url("/v2/" + repository + "/manifests/" + tag), manifest,
                        "Content-Type", "application/vnd.oci.image.manifest.v1+json");
                if (pushed.statusCode() == 201) {
                    manifests.add(new Manifest(repository, tag, Blobs.sha256(manifest), manifest));
                }
            } catch (Exception cutByTheCrash) {
                // the registry is gone: whatever was not answered 201 was not acknowledged
            }
        }
    }

    private static void assertAllComplete(RegistryProcess registry, ConcurrentLinkedQueue<Blob> blobs,
                                          ConcurrentLinkedQueue<Manifest> manifests) throws Exception {
        for (Blob blob : blobs) {
            HttpResponse<byte[]> head = Http.send("HEAD", registry.url("/v2/" + blob.repository() + "/blobs/" + blob.digest()), null);
            assertThat(head.statusCode()).as("acknowledged blob %s", blob).isEqualTo(200);
            assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(blob.size());
        }
        for (Manifest manifest : manifests) {
            for (String reference : List.of(manifest.tag(), manifest.digest())) {
                HttpResponse<byte[]> get = Http.send("GET", registry.url("/v2/" + manifest.repository() + "/manifests/" + reference),
                        null, "Accept", "application/vnd.oci.image.manifest.v1+json");
                assertThat(get.statusCode()).as("acknowledged manifest %s:%s", manifest.repository(), reference).isEqualTo(200);
                assertThat(get.body()).isEqualTo(manifest.bytes());
            }
        }
    }
}
