package io.cais.gc;

import io.cais.content.Digest;
import io.cais.metadata.GcReviewStore;
import io.cais.metadata.GcReviewStore.Collected;
import io.cais.metadata.GcReviewStore.Timing;
import io.cais.observability.GcMetrics;
import io.cais.storage.BlobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Online garbage collection: takes due reviews in small transactions ({@link GcReviewStore}) — manifests first, whose
 * deletion makes blob reviews, then blobs — and deletes the stored objects of the blobs it deleted, until a round
 * deletes nothing. Runs on every replica ({@link GcWorker}) and on an administrator's request.
 */
@ApplicationScoped
public class GarbageCollector {

    private static final Logger LOG = Logger.getLogger(GarbageCollector.class);
    /** Kept reviews are looked at again after the review delay, but at least this soon... */
    private static final Duration MIN_RETRY = Duration.ofSeconds(1);
    /** ...and at most this late: a push that held a row has long finished by then. */
    private static final Duration MAX_RETRY = Duration.ofMinutes(5);
    /**
     * Objects deleted per transaction: an upload of one of these digests waits for the whole transaction (its store
     * deletes included), so it stays well under the database's lock timeout even on a slow bucket.
     */
    private static final int OBJECT_BATCH = 20;

    /** What a run deleted (or, dry, would delete). {@code objects}/{@code bytes}: stored objects and their size. */
    public record Result(boolean dryRun, long manifests, long links, long blobs, long objects, long bytes, long failures) {
        static Result of(boolean dryRun, Collected collected, long failures) {
            return new Result(dryRun, collected.manifests(), collected.links(), collected.blobs(), collected.objects(),
                    collected.bytes(), failures);
        }
    }

    /** The collector as {@code GET /api/v1/gc} shows it. */
    public record Status(boolean enabled, String reviewDelay, String interval, boolean runningHere,
                         long manifestReviewsDue, long blobReviewsDue, long reviewsPending, long objectsPending,
                         OffsetDateTime lastRunAt, Totals totals) {
    }

    /** Everything deleted since the registry was created, by every replica. */
    public record Totals(long manifests, long links, long blobs, long objects, long bytes, long failures) {
    }

    @Inject
    GcReviewStore reviews;

    @Inject
    BlobStore store;

    @Inject
    GcConfig config;

    @Inject
    GcMetrics metrics;

    private final AtomicInteger running = new AtomicInteger();

    /** Collects what is due ({@code ignoreDelay}: every review now, for tests and operators). */
    public Result collect(boolean ignoreDelay) {
        running.incrementAndGet();
        Timing timing = timing(ignoreDelay);
        Collected total = Collected.NONE;
        long failures = 0;
        try {
            Collected round;
            do {
                round = drain(() -> reviews.collectManifests(timing, config.batchSize()))
                        .plus(drain(() -> reviews.collectBlobs(timing, config.batchSize())));
                List<Digest> failed = new ArrayList<>();
                Collected objects;
                do {
                    objects = reviews.deleteObjects(OBJECT_BATCH, this::deleteObject, failed);
                    round = round.plus(objects);
                } while (objects.objects() == OBJECT_BATCH);
                failures += failed.size();
                total = total.plus(round);
            } while (round.deletedAnything());
        } catch (RuntimeException e) {
            failures++;
            LOG.warnf(e, "garbage collection stopped; it resumes with the next run");
        } finally {
            running.decrementAndGet();
            metrics.deleted(total.manifests(), total.links(), total.blobs(), total.objects(), total.bytes());
            metrics.failed(failures);
            record(total, failures);
        }
        return Result.of(false, total, failures);
    }

    /** What {@link #collect} would delete now, exactly (one transaction, rolled back). */
    public Result dryRun(boolean ignoreDelay) {
        return Result.of(true, reviews.dryRun(timing(ignoreDelay), config.batchSize()), 0);
    }

    public Status status() {
        GcReviewStore.Status status = reviews.status(config.reviewDelay());
        return new Status(config.enabled(), config.reviewDelay().toString(), config.interval(), running.get() > 0,
                status.manifestReviewsDue(), status.blobReviewsDue(), status.reviewsPending(), status.objectsPending(),
                status.lastRunAt(), new Totals(status.manifests(), status.links(), status.blobs(), status.objects(),
                status.bytes(), status.failures()));
    }

    /** Reviews due now, for the gauge. */
    public long due() {
        return reviews.due(config.reviewDelay());
    }

    private Timing timing(boolean ignoreDelay) {
        Duration delay = config.reviewDelay();
        Duration retry = delay.compareTo(MIN_RETRY) < 0 ? MIN_RETRY : delay.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay;
        return new Timing(ignoreDelay ? Duration.ZERO : delay, retry);
    }

    private void deleteObject(Digest digest) throws Exception {
        try {
            store.delete(digest);
        } catch (Exception e) {
            LOG.warnf(e, "could not delete the stored object of %s; retried on the next run", digest);
            throw e;
        }
    }

    private void record(Collected total, long failures) {
        try {
            reviews.record(total, failures);
        } catch (RuntimeException e) {
            LOG.warnf(e, "could not record the garbage collector's totals");
        }
    }

    /** Batches of one kind until one comes back short: then nothing more of that kind is due. */
    private Collected drain(Supplier<Collected> batch) {
        Collected total = Collected.NONE;
        Collected step;
        do {
            step = batch.get();
            total = total.plus(step);
        } while (step.reviews() == config.batchSize());
        return total;
    }
}
