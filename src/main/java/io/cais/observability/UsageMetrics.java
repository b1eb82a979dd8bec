package io.cais.observability;

import io.cais.metadata.UsageStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Stored bytes per namespace: {@code cais_namespace_stored_bytes}, {@code cais_namespace_shared_bytes} and, for
 * namespaces with a quota, {@code cais_namespace_quota_bytes}, read from the usage rows every
 * {@code cais.usage.metrics-interval}; and {@code cais_quota_refusals_total}. Tagged by namespace only, never by
 * repository, so the number of series grows with tenants, not with content. Every replica reports the same values:
 * aggregate with max, not sum.
 */
@ApplicationScoped
public class UsageMetrics {

    private static final Logger LOG = Logger.getLogger(UsageMetrics.class);

    @Inject
    UsageStore usage;

    @Inject
    MeterRegistry registry;

    @Inject
    UsageConfig config;

    private MultiGauge stored;
    private MultiGauge shared;
    private MultiGauge quota;

    @Scheduled(every = "${cais.usage.metrics-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            refresh();
        } catch (RuntimeException e) {
            // The gauges keep their last values; the next run tries again.
            LOG.debugf(e, "could not read namespace usage for the gauges; next try in %s", config.metricsInterval());
        }
    }

    /** Reads every namespace's usage into the gauges; namespaces that are gone drop out. */
    public synchronized void refresh() {
        if (stored == null) {
            stored = MultiGauge.builder("cais.namespace.stored").baseUnit("bytes")
                    .description("Bytes of the distinct blobs a namespace's repositories link").register(registry);
            shared = MultiGauge.builder("cais.namespace.shared").baseUnit("bytes")
                    .description("Part of the stored bytes that another namespace also links").register(registry);
            quota = MultiGauge.builder("cais.namespace.quota").baseUnit("bytes")
                    .description("A namespace's quota on stored bytes (only namespaces that have one)").register(registry);
        }
        List<UsageStore.NamespaceBytes> rows = usage.perNamespace();
        stored.register(rows.stream().map(r -> MultiGauge.Row.of(Tags.of("namespace", r.namespace()), r.bytes())).toList(), true);
        shared.register(rows.stream().map(r -> MultiGauge.Row.of(Tags.of("namespace", r.namespace()), r.sharedBytes())).toList(), true);
        quota.register(rows.stream().filter(r -> r.quotaBytes() != null)
                .map(r -> MultiGauge.Row.of(Tags.of("namespace", r.namespace()), r.quotaBytes())).toList(), true);
    }

    /** A push refused by the namespace's quota. */
    public void refused(String namespace) {
        Counter.builder("cais.quota.refusals").description("Pushes refused because the namespace is over its quota")
                .tag("namespace", namespace).register(registry).increment();
    }
}
