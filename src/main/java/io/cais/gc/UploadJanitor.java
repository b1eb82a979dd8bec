package io.cais.gc;

import io.agroal.api.AgroalDataSource;
import io.cais.storage.BlobStore;
import io.cais.upload.UploadConfig;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
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
    AgroalDataSource dataSource;

    @Inject
    BlobStore store;

    @Inject
    UploadConfig config;

    @Scheduled(every = "${cais.upload.cleanup-interval:15m}", delayed = "1m",
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
            batch = QuarkusTransaction.requiringNew().call(this::claimBatch);
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

    private List<String> claimBatch() throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "DELETE FROM upload_session WHERE id IN (SELECT id FROM upload_session "
                             + "WHERE updated_at < now() - make_interval(secs => ?) ORDER BY updated_at LIMIT ? "
                             + "FOR UPDATE SKIP LOCKED) RETURNING id")) {
            statement.setDouble(1, config.expiry().toMillis() / 1000.0);
            statement.setInt(2, BATCH);
            List<String> ids = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
            return ids;
        }
    }
}
