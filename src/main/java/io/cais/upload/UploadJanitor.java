package io.cais.upload;

import io.cais.metadata.UploadStore;
import io.cais.storage.BlobStore;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.List;

/**
 * Deletes abandoned uploads — interrupted pushes that will never be finished — and their stored segments.
 * Every replica runs it; {@code FOR UPDATE SKIP LOCKED} hands each expired upload to exactly one of them.
 * The row goes first, so a late chunk of an expired upload finds no session (404) rather than half a layout.
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
        do {
            batch = sessions.deleteExpired(config.expiry(), BATCH);
            for (String id : batch) {
                try {
                    store.discardUpload(id);
                } catch (IOException | RuntimeException e) {
                    LOG.warnf(e, "could not delete the segments of abandoned upload %s", id);
                }
            }
            total += batch.size();
        } while (batch.size() == BATCH);
        return total;
    }
}
