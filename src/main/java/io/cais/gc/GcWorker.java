package io.cais.gc;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Every replica collects every {@code cais.gc.interval} (unless {@code cais.gc.enabled} is false). Replicas share the
 * work without overlap: each review is claimed {@code FOR UPDATE SKIP LOCKED} by one of them.
 */
@ApplicationScoped
public class GcWorker {

    private static final Logger LOG = Logger.getLogger(GcWorker.class);

    @Inject
    GarbageCollector collector;

    @Inject
    GcConfig config;

    @Inject
    io.cais.observability.GcMetrics metrics;

    @Scheduled(every = "${cais.gc.interval}", delayed = "${cais.gc.interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (!config.enabled()) {
            return;
        }
        GarbageCollector.Result result = collector.collect(false);
        if (result.manifests() + result.links() + result.blobs() + result.objects() > 0) {
            LOG.infof("garbage collection deleted %d manifest(s), %d link(s), %d blob(s), %d object(s) (%d bytes)",
                    result.manifests(), result.links(), result.blobs(), result.objects(), result.bytes());
        }
        try {
            metrics.due(collector.due());
        } catch (RuntimeException e) {
            LOG.debugf(e, "could not count the reviews due");
        }
    }
}
