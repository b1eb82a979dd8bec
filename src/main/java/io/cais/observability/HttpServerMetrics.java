package io.cais.observability;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Duration;

/**
 * Shapes {@code http_server_requests_seconds}: route templates as the {@code uri} tag, and a fixed set of latency
 * buckets, so that percentiles per route ({@code histogram_quantile}) can be computed across replicas. The buckets
 * are few and fixed, and routes are bounded, so the number of series stays bounded too.
 */
@Singleton
public class HttpServerMetrics {

    private static final String REQUESTS = "http.server.requests";
    private static final Duration[] BUCKETS = {
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofSeconds(60), Duration.ofMinutes(5)};

    /** The {@code uri} tag of HTTP metrics, normalised like the request log's route. */
    @Produces
    @Singleton
    MeterFilter uriTags() {
        return MeterFilter.replaceTagValues("uri", RouteTemplates::normalize);
    }

    @Produces
    @Singleton
    MeterFilter latencyBuckets() {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!id.getName().equals(REQUESTS)) {
                    return config;
                }
                double[] nanos = new double[BUCKETS.length];
                for (int i = 0; i < BUCKETS.length; i++) {
                    nanos[i] = BUCKETS[i].toNanos();
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
            }
        };
    }
}
