package io.cais.retention;

import io.cais.metadata.RetentionStore;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Every replica, every {@code cais.retention.interval}, runs the rules of every namespace that has some — a namespace
 * another replica is running is skipped (its advisory lock), so each is run by one replica at a time.
 */
@ApplicationScoped
public class RetentionWorker {

    private static final Logger LOG = Logger.getLogger(RetentionWorker.class);
    /** Who scheduled runs are recorded as started by. */
    static final String SCHEDULE = "schedule";

    @Inject
    Retention retention;

    @Inject
    RetentionStore store;

    @Inject
    RetentionConfig config;

    @Scheduled(every = "${cais.retention.interval}", delayed = "${cais.retention.interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (!config.enabled()) {
            return;
        }
        for (String namespace : store.namespacesWithRules()) {
            try {
                retention.tryRun(namespace, SCHEDULE).ifPresent(outcome -> {
                    if (!outcome.tags().isEmpty() || !outcome.manifests().isEmpty()) {
                        LOG.infof("retention of namespace %s deleted %d tag(s) and %d manifest(s); the garbage collector "
                                + "frees %d bytes", namespace, outcome.tags().size(), outcome.manifests().size(), outcome.bytes());
                    }
                });
            } catch (RuntimeException e) {
                LOG.warnf(e, "retention of namespace %s failed; retried with the next run", namespace);
            }
        }
    }
}
