package io.cais.auth.workload;

import io.cais.auth.AccessControl;
import io.cais.auth.Workload;
import io.cais.metadata.WorkloadPullStore;
import io.cais.stats.PendingTallies;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Who pulled what: every manifest served to a workload (by its own token over Basic, or a registry token issued for
 * it) is tallied in memory per repository, digest and workload — a map update on the request path, nothing more —
 * and each replica writes its tallies ({@link PendingTallies}) to PostgreSQL every {@code cais.workload-identity.audit-flush-interval} and at
 * shutdown. A replica that dies loses at most that interval's tallies; a failed write is retried with the next.
 */
@ApplicationScoped
public class PullAudit {

    /** Distinct (repository, digest, workload) tallies held between writes; more are dropped, and counted in the log. */
    static final int MAX_PENDING = 100_000;
    /** Rows per transaction: short transactions, short row locks. */
    private static final int BATCH = 500;

    private record Key(String repository, String digest, Workload workload) {
    }

    @Inject
    AccessControl access;

    @Inject
    WorkloadPullStore store;

    private final PendingTallies<Key> pending = new PendingTallies<>("workload pull(s)", MAX_PENDING, BATCH,
            batch -> store.record(batch.entrySet().stream().map(entry -> sighting(entry.getKey(), entry.getValue())).toList()));

    /** A manifest (by its digest) was served from the repository: recorded when the caller is a workload. */
    public void served(String repository, String digest) {
        Workload workload = access.workload();
        if (workload != null) {
            pending.add(new Key(repository, digest, workload), System.currentTimeMillis());
        }
    }

    /** Writes what was tallied since the last write; returns once it is written (a write under way included). */
    @Scheduled(every = "${cais.workload-identity.audit-flush-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void flush() {
        pending.flush();
    }

    void stop(@Observes ShutdownEvent event) {
        flush();
    }

    private static WorkloadPullStore.Sighting sighting(Key key, PendingTallies.Tally tally) {
        Workload who = key.workload();
        return new WorkloadPullStore.Sighting(key.repository(), key.digest(), who.issuer(), who.subject(),
                who.kubernetesNamespace(), who.serviceAccount(), who.pod(), who.node(), tally.count(),
                time(tally.first()), time(tally.last()));
    }

    private static OffsetDateTime time(long millis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }
}
