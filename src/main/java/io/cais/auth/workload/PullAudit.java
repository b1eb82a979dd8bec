package io.cais.auth.workload;

import io.cais.auth.AccessControl;
import io.cais.auth.Workload;
import io.cais.metadata.WorkloadPullStore;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who pulled what: every manifest served to a workload (by its own token over Basic, or a registry token issued for
 * it) is tallied in memory per repository, digest and workload — a map update on the request path, nothing more —
 * and each replica writes its tallies to PostgreSQL every {@code cais.workload-identity.audit-flush-interval} and at
 * shutdown. A replica that dies loses at most that interval's tallies; a failed write is retried with the next.
 */
@ApplicationScoped
public class PullAudit {

    private static final Logger LOG = Logger.getLogger(PullAudit.class);
    /** Distinct (repository, digest, workload) tallies held between writes; more are dropped, and counted in the log. */
    static final int MAX_PENDING = 100_000;
    /** Rows per transaction: short transactions, short row locks. */
    private static final int BATCH = 500;

    private record Key(String repository, String digest, Workload workload) {
    }

    private record Tally(long pulls, long firstSeen, long lastSeen) {
        Tally plus(Tally other) {
            return new Tally(pulls + other.pulls, Math.min(firstSeen, other.firstSeen), Math.max(lastSeen, other.lastSeen));
        }
    }

    @Inject
    AccessControl access;

    @Inject
    WorkloadPullStore store;

    private final ConcurrentHashMap<Key, Tally> pending = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    /** A manifest (by its digest) was served from the repository: recorded when the caller is a workload. */
    public void served(String repository, String digest) {
        Workload workload = access.workload();
        if (workload != null) {
            long now = System.currentTimeMillis();
            tally(new Key(repository, digest, workload), new Tally(1, now, now));
        }
    }

    private void tally(Key key, Tally tally) {
        if (pending.size() >= MAX_PENDING && !pending.containsKey(key)) {
            dropped.incrementAndGet();
            return;
        }
        pending.merge(key, tally, Tally::plus);
    }

    /** Writes what was tallied since the last write; returns once it is written (a write under way included). */
    @Scheduled(every = "${cais.workload-identity.audit-flush-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public synchronized void flush() {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            LOG.warnf("%d workload pull(s) were not recorded: more than %d distinct ones waited for a write", lost, MAX_PENDING);
        }
        List<Key> keys = new ArrayList<>(pending.keySet());
        for (int from = 0; from < keys.size(); from += BATCH) {
            Map<Key, Tally> taken = new LinkedHashMap<>();
            for (Key key : keys.subList(from, Math.min(keys.size(), from + BATCH))) {
                Tally tally = pending.remove(key);
                if (tally != null) {
                    taken.put(key, tally);
                }
            }
            try {
                store.record(taken.entrySet().stream().map(entry -> sighting(entry.getKey(), entry.getValue())).toList());
            } catch (RuntimeException e) {
                LOG.warnf("could not record %d workload pull(s); retrying with the next write: %s", taken.size(), e.toString());
                taken.forEach(this::tally);
                return;
            }
        }
    }

    void stop(@Observes ShutdownEvent event) {
        flush();
    }

    private static WorkloadPullStore.Sighting sighting(Key key, Tally tally) {
        Workload who = key.workload();
        return new WorkloadPullStore.Sighting(key.repository(), key.digest(), who.issuer(), who.subject(),
                who.kubernetesNamespace(), who.serviceAccount(), who.pod(), who.node(), tally.pulls(),
                time(tally.firstSeen()), time(tally.lastSeen()));
    }

    private static OffsetDateTime time(long millis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }
}
