package io.cais.stats;

import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts kept in memory between writes: the request path adds to a map and nothing more, and {@link #flush} hands
 * what was counted to a writer in batches (the owner schedules it every few seconds, and at shutdown). A replica that
 * dies loses what it had not written yet; a batch the writer fails is kept and written with the next flush. Used for
 * every pull counted on the hot path: the workload pull audit and the pull statistics of tags and manifests.
 *
 * @param <K> what is counted (a value type: equal keys are added up)
 */
public final class PendingTallies<K> {

    private static final Logger LOG = Logger.getLogger(PendingTallies.class);

    /** How many times, first and last (epoch milliseconds). Adding widens the times and adds the counts. */
    public record Tally(long count, long first, long last) {
        static Tally once(long at) {
            return new Tally(1, at, at);
        }

        Tally plus(Tally other) {
            return new Tally(count + other.count, Math.min(first, other.first), Math.max(last, other.last));
        }
    }

    /** Writes one batch; throws to have it kept for the next flush. */
    @FunctionalInterface
    public interface Writer<K> {
        void write(Map<K, Tally> batch);
    }

    private final String what;
    private final int maxPending;
    private final int batchSize;
    private final Writer<K> writer;
    private final ConcurrentHashMap<K, Tally> pending = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    /**
     * @param what       what is counted, for the log
     * @param maxPending distinct keys held between writes; beyond, new keys are dropped (and counted in the log)
     * @param batchSize  keys per write: short transactions, short row locks
     */
    public PendingTallies(String what, int maxPending, int batchSize, Writer<K> writer) {
        this.what = what;
        this.maxPending = maxPending;
        this.batchSize = batchSize;
        this.writer = writer;
    }

    /** Counts one occurrence at {@code atMillis}. */
    public void add(K key, long atMillis) {
        add(key, Tally.once(atMillis));
    }

    private void add(K key, Tally tally) {
        if (pending.size() >= maxPending && !pending.containsKey(key)) {
            dropped.incrementAndGet();
            return;
        }
        pending.merge(key, tally, Tally::plus);
    }

    /** Writes what was counted since the last write; returns once it is written (a write under way included). */
    public synchronized void flush() {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            LOG.warnf("%d %s were not recorded: more than %d distinct ones waited for a write", lost, what, maxPending);
        }
        List<K> keys = new ArrayList<>(pending.keySet());
        for (int from = 0; from < keys.size(); from += batchSize) {
            Map<K, Tally> taken = new LinkedHashMap<>();
            for (K key : keys.subList(from, Math.min(keys.size(), from + batchSize))) {
                Tally tally = pending.remove(key);
                if (tally != null) {
                    taken.put(key, tally);
                }
            }
            try {
                writer.write(taken);
            } catch (RuntimeException e) {
                LOG.warnf("could not record %d %s; retrying with the next write: %s", taken.size(), what, e.toString());
                taken.forEach(this::add);
                return;
            }
        }
    }
}
