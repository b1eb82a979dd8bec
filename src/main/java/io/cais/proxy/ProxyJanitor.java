package io.cais.proxy;

import io.cais.metadata.FetchClaimStore;
import io.cais.metadata.PendingManifestStore;
import io.cais.metadata.PrefetchJobStore;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Deletes what the pull-through cache leaves behind in PostgreSQL: pending manifests past their lifetime, fetch
 * claims of replicas that died, and pre-fetch jobs of such replicas (recorded as abandoned) or finished a day ago.
 * None of it is needed for correctness — a stale claim is taken over and an expired pending manifest is never
 * served — it only keeps the tables small. Every replica runs it once per claim expiry; each statement is one
 * autocommit delete or update, so replicas running it at the same time just find less to do.
 */
@ApplicationScoped
public class ProxyJanitor {

    private static final Logger LOG = Logger.getLogger(ProxyJanitor.class);

    @Inject
    PendingManifestStore pendingManifests;

    @Inject
    FetchClaimStore fetchClaims;

    @Inject
    PrefetchJobStore prefetchJobs;

    @Inject
    ProxyConfig config;

    @Scheduled(every = "${cais.proxy.claim-expiry}", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            purgeLeftovers();
        } catch (RuntimeException e) {
            LOG.warnf(e, "could not delete the pull-through cache's expired rows; the next run tries again");
        }
    }

    /** Deletes expired pending manifests and stale fetch claims, and ends pre-fetch jobs of replicas that died. */
    public void purgeLeftovers() {
        int manifests = pendingManifests.deleteExpired();
        int claims = fetchClaims.deleteStale(config.claimExpiry());
        int jobs = prefetchJobs.expire(config.claimExpiry());
        if (manifests + claims + jobs > 0) {
            LOG.infof("deleted %d expired pending manifest(s) and %d stale fetch claim(s); %d pre-fetch job row(s) expired",
                    manifests, claims, jobs);
        }
    }
}
