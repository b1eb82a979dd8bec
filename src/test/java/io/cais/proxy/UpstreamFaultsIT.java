package io.cais.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.testing.FaultyUpstream;
import io.cais.testing.FaultyUpstream.Fault;
import io.cais.testing.Http;
import io.cais.testing.ImagePulls;
import io.cais.testing.OciLayouts;
import io.cais.testing.RegistryProcess;
import io.cais.testing.UpstreamRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * What the pull-through cache does when its upstream misbehaves: a {@link FaultyUpstream} in front of CNCF
 * Distribution ({@code docker-registry}) answers 429, 503 or 500, or stalls, and two packaged Cais replicas on one
 * database cache it. Every fault: a cached tag due for revalidation is served with a {@code Warning: 110} naming the
 * fault, a cached digest is served without asking the upstream, an uncached tag fails with the OCI error JSON. An
 * upstream that falls silent in the middle of a blob is given up after the read timeout, and nothing of the half is
 * kept. And the per-upstream request rate, spent by one replica, is spent for the other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpstreamFaultsIT {

    private static final long REVALIDATION_MILLIS = 1_000;
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    private static final int RATE_LIMIT = 3;
    /** {@code quarkus.rest.output-buffer-size}: a response's first bytes reach the client when this much is written. */
    private static final int OUTPUT_BUFFER = 256 << 10;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String faultsUpstream = "faulty-" + run + ".example";
    private final String faultsCache = "faults-" + run;
    private final String limitedUpstream = "limited-" + run + ".example";
    private final String limitedCache = "limited-" + run;

    private UpstreamRegistry upstream;
    private FaultyUpstream faulty;
    private RegistryProcess cais;
    private RegistryProcess secondReplica;

    @BeforeAll
    void start() throws Exception {
        Path work = Files.createTempDirectory("cais-upstream-faults");
        upstream = UpstreamRegistry.start(work.resolve("upstream"));
        faulty = FaultyUpstream.inFrontOf(upstream.url());
        Map<String, String> configuration = Map.of(
                "cais.proxy.tag-revalidation", "PT" + REVALIDATION_MILLIS / 1000 + "S",
                "cais.proxy.request-timeout", UPSTREAM_TIMEOUT.toString(),
                "cais.proxy.read-timeout", READ_TIMEOUT.toString(),
                "cais.storage.filesystem.root", work.resolve("blobs").toString());
        cais = RegistryProcess.startOnTestDatabase(work.resolve("cais-1"), configuration);
        secondReplica = RegistryProcess.startOnTestDatabase(work.resolve("cais-2"), configuration);
        addUpstream(faultsUpstream, faultsCache, null);
        addUpstream(limitedUpstream, limitedCache, RATE_LIMIT);
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {secondReplica, cais, faulty, upstream}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"TOO_MANY_REQUESTS", "UNAVAILABLE", "INTERNAL_ERROR", "STALL"})
    @Order(1)
    void aFaultyUpstreamLeavesCachedContentServedAndFailsUncachedContentClearly(Fault fault) throws Exception {
        String path = "team/" + fault.name().toLowerCase().replace('_', '-');
        String repository = faultsCache + "/" + path;
        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        upstream.push(path, "v1", image);
        assertThat(ImagePulls.pull(cais, repository, List.of("v1"), image)).isEqualTo(ImagePulls.OK);

        faulty.inject(fault);
        try {
            Thread.sleep(REVALIDATION_MILLIS + 500);
            String symptom = fault == Fault.STALL ? "timed out" : "answered " + fault.status;

            HttpResponse<byte[]> revalidated = ImagePulls.manifest(cais, repository, "v1");
            assertThat(revalidated.statusCode()).isEqualTo(200);
            assertThat(revalidated.body()).isEqualTo(image.manifest().bytes());
            assertThat(revalidated.headers().firstValue("Warning").orElseThrow())
                    .startsWith("110 ").contains(symptom).contains(faultsUpstream);

            long asked = faulty.all().size();
            assertThat(ImagePulls.pull(cais, repository, List.of(image.manifest().digest()), image)).isEqualTo(ImagePulls.OK);
            assertThat(faulty.all().size()).as("pulls by digest of cached content never go upstream").isEqualTo(asked);

            long started = System.nanoTime();
            HttpResponse<byte[]> uncached = ImagePulls.manifest(cais, repository, "never-cached");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            JsonNode error = OciLayouts.readJson(uncached.body()).path("errors").get(0);
            if (fault == Fault.TOO_MANY_REQUESTS) {
                assertThat(uncached.statusCode()).isEqualTo(429);
                assertThat(error.path("code").asText()).isEqualTo("TOOMANYREQUESTS");
                assertThat(uncached.headers().firstValue("Retry-After")).as("the upstream's own Retry-After")
                        .contains(FaultyUpstream.RETRY_AFTER_SECONDS);
            } else {
                assertThat(uncached.statusCode()).isEqualTo(503);
                assertThat(error.path("code").asText()).isEqualTo("UNAVAILABLE");
            }
            assertThat(error.path("message").asText()).contains("upstream " + faultsUpstream);
            assertThat(took).as("bounded by cais.proxy.request-timeout, not hanging")
                    .isLessThan(UPSTREAM_TIMEOUT.plusSeconds(8));
        } finally {
            faulty.inject(Fault.NONE);
        }
    }

    @Test
    @Order(2)
    void anUpstreamsRequestRateHoldsAcrossReplicas() throws Exception {
        // One image with one layer: its pull is exactly RATE_LIMIT cold fetches (manifest, config, layer).
        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        upstream.push("team/app", "v1", image);
        upstream.tag("team/app", "v2", image.manifest());
        String repository = limitedCache + "/team/app";

        assertThat(ImagePulls.pull(cais, repository, List.of("v1"), image)).isEqualTo(ImagePulls.OK);
        HttpResponse<byte[]> refused = ImagePulls.manifest(cais, repository, "v2");

        assertRateLimited(refused);
        assertThat(faulty.received(request -> request.path().startsWith("/v2/team/app/") && request.status() == 200))
                .as("N + 1 cold fetches, N upstream requests").isEqualTo(RATE_LIMIT);
        assertThat(faulty.received("/v2/team/app/manifests/v2")).isZero();

        // The other replica has asked nothing yet, and finds the budget spent all the same.
        long asked = faulty.all().size();
        assertRateLimited(ImagePulls.manifest(secondReplica, repository, "v2"));
        assertThat(faulty.all().size()).isEqualTo(asked);
    }

    @Test
    @Order(3)
    void aCachedTagWhoseRevalidationFindsTheRateSpentIsServedWithAWarning() throws Exception {
        Thread.sleep(REVALIDATION_MILLIS + 500);
        long asked = faulty.all().size();
        for (RegistryProcess replica : new RegistryProcess[] {cais, secondReplica}) {
            HttpResponse<byte[]> served = ImagePulls.manifest(replica, limitedCache + "/team/app", "v1");
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.headers().firstValue("Warning").orElseThrow()).startsWith("110 ")
                    .contains("limit of " + RATE_LIMIT + " requests per minute to upstream " + limitedUpstream);
        }
        assertThat(faulty.all().size()).isEqualTo(asked);
    }

    @ParameterizedTest
    @ValueSource(ints = {4 << 10, 4 << 20})
    @Order(4)
    @Timeout(120) // without the read timeout, the pull would wait for as long as the upstream holds the connection
    void aBlobWhoseUpstreamFallsSilentMidBodyIsAbandonedWithinTheReadTimeoutAndFetchedWholeByTheNextPull(int layerBytes)
            throws Exception {
        String path = "team/silent-" + layerBytes;
        String repository = faultsCache + "/" + path;
        OciLayouts.Image image = OciLayouts.image("amd64", 1, layerBytes);
        upstream.push(path, "v1", image);
        assertThat(ImagePulls.manifest(cais, repository, "v1").statusCode()).isEqualTo(200);
        OciLayouts.Blob layer = image.layers().get(0);
        String layerPath = "/v2/" + repository + "/blobs/" + layer.digest();

        faulty.inject(Fault.STALL_MID_BODY);
        AtomicReference<HttpResponse<byte[]>> answer = new AtomicReference<>();
        try {
            long started = System.nanoTime();
            Throwable cut = catchThrowable(() -> answer.set(Http.send("GET", cais.url(layerPath), null)));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            if (layerBytes < OUTPUT_BUFFER) {
                // Nothing of the blob had left Cais's output buffer: the client is told what failed.
                assertThat(cut).isNull();
                assertThat(answer.get().statusCode()).isEqualTo(503);
                JsonNode error = OciLayouts.readJson(answer.get().body()).path("errors").get(0);
                assertThat(error.path("code").asText()).isEqualTo("UNAVAILABLE");
                assertThat(error.path("message").asText()).contains("upstream " + faultsUpstream + " stopped sending the blob");
            } else {
                assertThat(cut).as("the connection is cut: a short body must not pass for the blob")
                        .isInstanceOf(IOException.class);
            }
            assertThat(took).as("bounded by cais.proxy.read-timeout")
                    .isBetween(READ_TIMEOUT.minusMillis(200), READ_TIMEOUT.plusSeconds(8));
        } finally {
            faulty.inject(Fault.NONE);
        }

        // Nothing of the half became a blob, and the fetch claim was released: the other replica fetches it whole.
        long started = System.nanoTime();
        assertThat(ImagePulls.blobs(secondReplica, repository, image)).isEqualTo(ImagePulls.OK);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no wait for an abandoned claim to go stale")
                .isLessThan(Duration.ofSeconds(15));
        assertThat(faulty.received("/v2/" + path + "/blobs/" + layer.digest())).as("the silent fetch, then the whole one")
                .isEqualTo(2);
        HttpResponse<byte[]> stored = Http.send("GET", cais.url(layerPath), null);
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(stored.body()).isEqualTo(layer.bytes());
        assertThat(faulty.received("/v2/" + path + "/blobs/" + layer.digest())).as("served from the store").isEqualTo(2);
    }

    private void assertRateLimited(HttpResponse<byte[]> refused) {
        assertThat(refused.statusCode()).isEqualTo(429);
        JsonNode error = OciLayouts.readJson(refused.body()).path("errors").get(0);
        assertThat(error.path("code").asText()).isEqualTo("TOOMANYREQUESTS");
        assertThat(error.path("message").asText()).contains("upstream " + limitedUpstream);
        assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow()))
                .as("the seconds left in the upstream's one-minute window").isBetween(1L, 60L);
    }

    private void addUpstream(String name, String namespace, Integer maxRequestsPerMinute) throws Exception {
        HttpResponse<byte[]> created = Http.send("POST", cais.url("/api/v1/upstreams"), ("{\"name\":\"" + name
                + "\",\"url\":\"" + faulty.url() + "\",\"namespace\":\"" + namespace + "\",\"username\":\""
                + UpstreamRegistry.USER + "\",\"password\":\"" + UpstreamRegistry.PASSWORD + "\""
                + (maxRequestsPerMinute == null ? "" : ",\"maxRequestsPerMinute\":" + maxRequestsPerMinute) + "}")
                .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
        assertThat(created.statusCode()).as(new String(created.body(), StandardCharsets.UTF_8)).isEqualTo(201);
    }
}
