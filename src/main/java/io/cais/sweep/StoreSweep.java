package io.cais.sweep;

import io.cais.content.Digest;
import io.cais.metadata.SweepStore;
import io.cais.observability.SweepMetrics;
import io.cais.observability.SweepMetrics.Kind;
import io.cais.storage.BlobStore;
import io.cais.upload.UploadConfig;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Sweeps the blob store against the database for what no row knows: blob objects without a {@code blob} row (a crash
 * between the store's commit and the database's), upload segments without an {@code upload_session} row (a deleted
 * repository, a failed discard, a completion whose segment deletion failed) and multipart uploads left open in S3 (a
 * crashed commit). Only objects older than the grace delay are removed (multipart uploads: older than the upload
 * expiry), so nothing a request in flight is about to record is touched. Every replica may run it; a PostgreSQL
 * advisory lock lets one at a time.
 */
@ApplicationScoped
public class StoreSweep {

    private static final Logger LOG = Logger.getLogger(StoreSweep.class);
    private static final int BATCH = 500;

    @Inject
    BlobStore store;

    @Inject
    SweepStore rows;

    @Inject
    SweepConfig config;

    @Inject
    UploadConfig uploads;

    @Inject
    SweepMetrics metrics;

    @Scheduled(every = "${cais.sweep.interval}", delayed = "5m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (!config.enabled()) {
            return;
        }
        run(false).ifPresent(report -> {
            if (report.strayBlobs().getRemoved() + report.orphanUploads().getRemoved()
                    + report.staleMultipartUploads().getRemoved() > 0) {
                LOG.infof("sweep removed %d stray blob(s), %d orphan upload(s), %d stale multipart upload(s)",
                        report.strayBlobs().getRemoved(), report.orphanUploads().getRemoved(),
                        report.staleMultipartUploads().getRemoved());
            }
        });
    }

    /** Sweeps now (reporting only, with {@code dryRun}); empty when a sweep is running on any replica. */
    public Optional<SweepReport> run(boolean dryRun) {
        Optional<AutoCloseable> lock = rows.trySweepLock();
        if (lock.isEmpty()) {
            return Optional.empty();
        }
        try (AutoCloseable held = lock.get()) {
            Instant now = Instant.now();
            SweepReport report = new SweepReport(dryRun, now.minus(config.graceDelay()), new SweepReport.Found(),
                    new SweepReport.Found(), new SweepReport.Found());
            sweepBlobs(report);
            sweepUploads(report);
            sweepMultipartUploads(report, now.minus(uploads.expiry()));
            return Optional.of(report);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void sweepBlobs(SweepReport report) throws IOException {
        inBatches(store::listBlobs, blob -> blob.lastModified().isBefore(report.olderThan()),
                batch -> removeStrayBlobs(report, batch));
    }

    /** What a store lists, handed over one object at a time. */
    @FunctionalInterface
    private interface Listing<T> {
        void list(Consumer<T> each) throws IOException;
    }

    /** Hands the listed objects that pass {@code old} to {@code sweep} in batches, one database query per batch. */
    private static <T> void inBatches(Listing<T> listing, Predicate<T> old, Consumer<List<T>> sweep) throws IOException {
        List<T> batch = new ArrayList<>();
        listing.list(item -> {
            if (old.test(item)) {
                batch.add(item);
                if (batch.size() == BATCH) {
                    sweep.accept(List.copyOf(batch));
                    batch.clear();
                }
            }
        });
        if (!batch.isEmpty()) {
            sweep.accept(batch);
        }
    }

    private void removeStrayBlobs(SweepReport report, List<BlobStore.StoredBlob> batch) {
        Set<String> recorded = rows.recordedBlobs(batch.stream().map(BlobStore.StoredBlob::digest).toList());
        for (BlobStore.StoredBlob blob : batch) {
            Digest digest = blob.digest();
            if (recorded.contains(digest.toString())) {
                continue;
            }
            report.strayBlobs().add(digest.toString(), blob.size());
            metrics.found(Kind.STRAY_BLOB);
            if (!report.dryRun() && removeQuietly(digest)) {
                report.strayBlobs().removed();
                metrics.deleted(Kind.STRAY_BLOB, blob.size());
            }
        }
    }

    private boolean removeQuietly(Digest digest) {
        try {
            // Checked again under the digest's lock: a push may have recorded it since the batch was read.
            return rows.removeIfUnrecorded(digest, () -> store.delete(digest));
        } catch (IOException | RuntimeException e) {
            LOG.warnf(e, "could not remove stray blob %s", digest);
            return false;
        }
    }

    private void sweepUploads(SweepReport report) throws IOException {
        // A row is written before its upload's first segment: an old folder without a row will never get one.
        inBatches(store::listUploads, upload -> upload.lastModified().isBefore(report.olderThan()) && isUuid(upload.uploadId()),
                batch -> removeOrphanUploads(report, batch));
    }

    private void removeOrphanUploads(SweepReport report, List<BlobStore.StoredUpload> batch) {
        Set<String> known = rows.knownUploads(batch.stream().map(BlobStore.StoredUpload::uploadId).toList());
        for (BlobStore.StoredUpload upload : batch) {
            if (known.contains(upload.uploadId())) {
                continue;
            }
            report.orphanUploads().add(upload.uploadId(), upload.bytes());
            metrics.found(Kind.ORPHAN_UPLOAD);
            if (!report.dryRun()) {
                try {
                    store.discardUpload(upload.uploadId());
                    report.orphanUploads().removed();
                    metrics.deleted(Kind.ORPHAN_UPLOAD, upload.bytes());
                } catch (IOException | RuntimeException e) {
                    LOG.warnf(e, "could not remove the segments of orphan upload %s", upload.uploadId());
                }
            }
        }
    }

    private static boolean isUuid(String id) {
        try {
            return UUID.fromString(id).toString().equals(id);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A commit's multipart upload lives seconds to minutes; one older than the upload expiry was left by a crash. */
    private void sweepMultipartUploads(SweepReport report, Instant olderThan) throws IOException {
        for (BlobStore.PendingMultipart upload : store.listMultipartUploads()) {
            if (!upload.initiated().isBefore(olderThan)) {
                continue;
            }
            report.staleMultipartUploads().add(upload.key() + " " + upload.uploadId(), 0);
            metrics.found(Kind.STALE_MULTIPART_UPLOAD);
            if (!report.dryRun()) {
                try {
                    store.abortMultipartUpload(upload);
                    report.staleMultipartUploads().removed();
                    metrics.deleted(Kind.STALE_MULTIPART_UPLOAD, 0);
                } catch (IOException | RuntimeException e) {
                    LOG.warnf(e, "could not abort multipart upload %s of %s", upload.uploadId(), upload.key());
                }
            }
        }
    }
}
