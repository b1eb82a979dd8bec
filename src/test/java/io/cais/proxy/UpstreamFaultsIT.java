package io.cais.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.testing.FaultyUpstream;
import io.cais.testing.FaultyUpstream.Fault;
import io.cais.testing.Http;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the pull-through cache does when its upstream misbehaves: a {@link FaultyUpstream} in front of CNCF
 * Distribution ({@code docker-registry}) answers 429, 503 or 500, or stalls, and two packaged Cais replicas on one
 * database cache it. Every fault: a cached tag due for revalidation is served with a {@code Warning: 110} naming the
 * fault, a cached digest is served without asking the upstream, an uncached tag fails with the OCI error JSON. And the
 * per-upstream request rate, spent by one replica, is spent for the other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpstreamFaultsIT {

    private static final long REVALIDATION_MILLIS = 1_000;
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(2);
    private static final int RATE_LIMIT = 3;

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
        assertPulls(cais, repository, "v1", image);

        faulty.inject(fault);
        try {
            Thread.sleep(REVALIDATION_MILLIS + 500);
            String symptom = fault == Fault.STALL ? "timed out" : "answered " + fault.status;

            HttpResponse<byte[]> revalidated = getManifest(cais, repository, "v1");
            assertThat(revalidated.statusCode()).isEqualTo(200);
            assertThat(revalidated.body()).isEqualTo(image.manifest().bytes());
            assertThat(revalidated.headers().firstValue("Warning").orElseThrow())
                    .startsWith("110 ").contains(symptom).contains(faultsUpstream);

            long asked = faulty.all().size();
            assertPulls(cais, repository, image.manifest().digest(), image);
            assertThat(faulty.all().size()).as("pulls by digest of cached content never go upstream").isEqualTo(asked);

            long started = System.nanoTime();
            HttpResponse<byte[]> uncached = getManifest(cais, repository, "never-cached");
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

        assertPulls(cais, repository, "v1", image);
        HttpResponse<byte[]> refused = getManifest(cais, repository, "v2");

        assertRateLimited(refused);
        assertThat(faulty.received(request -> request.path().startsWith("/v2/team/app/") && request.status() == 200))
                .as("N + 1 cold fetches, N upstream requests").isEqualTo(RATE_LIMIT);
        assertThat(faulty.received("/v2/team/app/manifests/v2")).isZero();

        // The other replica has asked nothing yet, and finds the budget spent all the same.
        long asked = faulty.all().size();
        assertRateLimited(getManifest(secondReplica, repository, "v2"));
        assertThat(faulty.all().size()).isEqualTo(asked);
    }

    @Test
    @Order(3)
    void aCachedTagWhoseRevalidationFindsTheRateSpentIsServedWithAWarning() throws Exception {
        Thread.sleep(REVALIDATION_MILLIS + 500);
        long asked = faulty.all().size();
        for (RegistryProcess replica : new RegistryProcess[] {cais, secondReplica}) {
            HttpResponse<byte[]> served = getManifest(replica, limitedCache + "/team/app", "v1");
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.headers().firstValue("Warning").orElseThrow()).startsWith("110 ")
                    .contains("limit of " + RATE_LIMIT + " requests per minute to upstream " + limitedUpstream);
        }
        assertThat(faulty.all().size()).isEqualTo(asked);
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

    private static HttpResponse<byte[]> getManifest(RegistryProcess replica, String repository, String reference)
            throws Exception {
        return Http.send("GET", replica.url("/v2/" + repository + "/manifests/" + reference), null,
                "Accept", OciLayouts.OCI_MANIFEST);
    }

    /** A pull as a client makes it: the manifest, then the config and the layers, each with its bytes checked. */
    private static void assertPulls(RegistryProcess replica, String repository, String reference, OciLayouts.Image image)
            throws Exception {
        HttpResponse<byte[]> manifest = getManifest(replica, repository, reference);
        assertThat(manifest.statusCode()).as(new String(manifest.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(manifest.body()).isEqualTo(image.manifest().bytes());
        for (OciLayouts.Blob blob : image.blobs()) {
            if (blob != image.manifest()) {
                HttpResponse<byte[]> got = Http.send("GET", replica.url("/v2/" + repository + "/blobs/" + blob.digest()), null);
                assertThat(got.statusCode()).isEqualTo(200);
                assertThat(got.body()).isEqualTo(blob.bytes());
            }
        }
    }
}
