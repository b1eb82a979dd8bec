package io.cais.upload;

import io.cais.metadata.UploadStore;
import io.cais.storage.BlobStore;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.List;
import java.util.UUID;

/**
 * Deletes abandoned uploads — interrupted pushes that will never be finished — and their stored segments.
 * Every replica runs it; {@code FOR UPDATE SKIP LOCKED} keeps replicas marking at the same time apart.
 *
 * <p>Order: mark the row (expired), delete the segments, delete the row. A row is never deleted while the objects it
 * points at still exist, so a failure in between leaves a marked row that the next run picks up again, never
 * objects that no row can find. A late chunk of an expired upload: if it loaded the row before the mark, it writes
 * its bytes, but its conditional update ({@code UploadStore.advance}, which requires the row unmarked) records
 * nothing; it takes its bytes back and answers 404 {@code BLOB_UPLOAD_UNKNOWN}, as does any request after the mark.
 * Bytes it wrote after the janitor listed the upload's segments stay behind once the row is gone; the store sweep
 * deletes them after its grace delay.
 */
@ApplicationScoped
public class UploadJanitor {

    private static final Logger LOG = Logger.getLogger(UploadJanitor.class);
    private static final int BATCH = 100;

    @Inject
    UploadStore sessions;

    @Inject
    BlobStore store;

    @Inject
    UploadConfig config;

    @Scheduled(every = "${cais.upload.cleanup-interval}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        int purged = purgeExpired();
        if (purged > 0) {
            LOG.infof("deleted %d abandoned upload(s)", purged);
        }
    }

    /** Deletes every upload idle for longer than the expiry; returns how many. */
    public int purgeExpired() {
        int total = 0;
        List<String> batch;
        boolean failed = false;
        do {
            batch = sessions.expireIdle(config.expiry(), BATCH);
            for (String id : batch) {
                try {
                    store.discardUpload(id);
                    sessions.deleteExpired(UUID.fromString(id));
                    total++;
                } catch (IOException | RuntimeException e) {
                    failed = true; // the marked row stays; the next run tries again
                    LOG.warnf(e, "could not delete the segments of abandoned upload %s", id);
                }
            }
        } while (batch.size() == BATCH && !failed);
        return total;
    }
}
