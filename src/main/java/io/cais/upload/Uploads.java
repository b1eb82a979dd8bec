package io.cais.upload;

import io.cais.content.Digest;
import io.cais.content.DigestAlgorithm;
import io.cais.content.HashingInputStream;
import io.cais.content.ResumableDigest;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.BlobBeingCollectedException;
import io.cais.metadata.GcReviewStore;
import io.cais.metadata.QuotaExceededException;
import io.cais.metadata.UploadSession;
import io.cais.metadata.UploadStore;
import io.cais.observability.TransferMetrics;
import io.cais.quota.Quotas;
import io.cais.storage.BlobStore;
import io.cais.storage.StoreBusyException;
import io.cais.storage.UploadConflictException;
import io.cais.storage.UploadDamagedException;
import io.cais.storage.UploadLayout;
import io.cais.storage.UploadTooLargeException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Blob uploads: sessions, chunks, completion. Bytes stream straight to the blob store and through the running
 * digest; no database transaction is held while a chunk streams. Each chunk ends with one conditional update
 * of the session row ({@code WHERE byte_offset = <where this chunk started>}): of two racing chunks one wins,
 * the other is answered 416 and its segments are deleted, so concurrent or repeated requests never corrupt an
 * upload.
 */
@ApplicationScoped
public class Uploads {

    private static final Logger LOG = Logger.getLogger(Uploads.class);
    /** How often, and how long apart, an upload waits for the garbage collector to finish deleting its digest. */
    private static final int COLLECTION_WAITS = 50;
    private static final long COLLECTION_WAIT_MILLIS = 200;

    @Inject
    BlobStore store;

    @Inject
    UploadStore sessions;

    @Inject
    TransferMetrics metrics;

    @Inject
    Quotas quotas;

    @Inject
    GcReviewStore collections;

    public UploadStatus start(String repository, DigestAlgorithm algorithm) {
        return new UploadStatus(repository, sessions.create(repository, algorithm.prefix()).id(), 0);
    }

    public UploadStatus status(String repository, UUID id) {
        return new UploadStatus(repository, id, load(repository, id).byteOffset());
    }

    public UploadStatus append(String repository, UUID id, InputStream body, ContentRange range) {
        UploadSession session = load(repository, id);
        checkStart(repository, session, range);
        admitOrAbandon(session, () -> quotas.admitUpload(repository, session.byteOffset() + (range == null ? 0 : range.length())));
        Progress progress = write(repository, session, body, range);
        admitOrAbandon(session, () -> quotas.admitUpload(repository, progress.offset()));
        save(repository, session, progress);
        return new UploadStatus(repository, id, progress.offset());
    }

    /**
     * Finishes the upload with an optional last chunk, verifies the digest and publishes the blob. A digest
     * mismatch deletes the upload: nothing of it is stored.
     */
    public Digest complete(String repository, UUID id, Digest expected, InputStream lastChunk, ContentRange range) {
        UploadSession session = load(repository, id);
        checkStart(repository, session, range);
        admitOrAbandon(session, () -> quotas.admitBlob(repository, expected, session.byteOffset() + (range == null ? 0 : range.length())));
        Progress progress = lastChunk == null ? resume(session) : write(repository, session, lastChunk, range);
        Digest actual = expected.algorithm() == progress.digest().algorithm()
                ? progress.digest().current()
                : rehash(id, progress.layout(), expected.algorithm());
        if (!actual.equals(expected)) {
            abandon(session);
            throw new RegistryException(ErrorCode.DIGEST_INVALID,
                    "provided digest did not match uploaded content",
                    Map.of("expected", expected.toString(), "actual", actual.toString()));
        }
        admitOrAbandon(session, () -> quotas.admitBlob(repository, expected, progress.offset()));
        // Not over an object the collector is deleting: that deletion could remove the object this commit makes.
        awaitCollection(expected);
        publish(repository, session, range, progress, expected);
        try {
            record(session, expected, progress);
        } catch (QuotaExceededException e) {
            // Another push used the room since the check above. The published object has no row: the sweep's.
            abandon(session);
            throw quotas.refusal(e);
        }
        discardUploadQuietly(id);
        return expected;
    }

    /**
     * A quota refusal ends the upload: its session and stored segments are deleted, so nothing of it stays (a later
     * request for it is 404 BLOB_UPLOAD_UNKNOWN) and its bytes do not wait for the expiry.
     */
    private void admitOrAbandon(UploadSession session, Runnable check) {
        try {
            check.run();
        } catch (RegistryException e) {
            abandon(session);
            throw e;
        }
    }

    /**
     * Records the stored blob. When the garbage collector decided to delete this digest after the commit above (which
     * may then have been a no-op on the object being deleted), waits for the deletion to end and stores the object
     * again: the upload's bytes are still there when the commit was a no-op.
     */
    private void record(UploadSession session, Digest digest, Progress progress) {
        // Also when the sweep removed a stray copy of this blob that the commit above kept (on the filesystem that
        // commit then left our file where it was): the object is published again under the digest's lock.
        Runnable publish = () -> {
            try {
                store.commit(session.id().toString(), progress.layout(), digest);
            } catch (UploadConflictException e) {
                // Only after a collector crashed between deleting an object and recording it: our bytes went with it.
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                        "the uploaded bytes were deleted by a garbage collection of the same blob; upload the blob again",
                        digest.toString());
            } catch (IOException e) {
                throw refusal(e).orElseThrow(() -> new UncheckedIOException(e));
            }
        };
        while (true) {
            try {
                sessions.complete(session, digest, progress.offset(), publish);
                return;
            } catch (BlobBeingCollectedException e) {
                awaitCollection(digest);
            }
        }
    }

    /** Waits while the garbage collector deletes the digest's object; 503 after about ten seconds. */
    private void awaitCollection(Digest digest) {
        for (int wait = 0; collections.beingDeleted(digest); wait++) {
            if (wait == COLLECTION_WAITS) {
                throw new RegistryException(ErrorCode.UNAVAILABLE, "the blob is being garbage collected; retry",
                        digest.toString()).withHeaders(Map.of("Retry-After", "1"));
            }
            try {
                Thread.sleep(COLLECTION_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while waiting for the garbage collector");
            }
        }
    }

    private void publish(String repository, UploadSession session, ContentRange range, Progress progress, Digest digest) {
        try {
            store.commit(session.id().toString(), progress.layout(), digest);
        } catch (UploadConflictException e) {
            revertQuietly(session.id(), progress.before(), progress.appended());
            throw conflict(repository, session, range);
        } catch (IOException e) {
            revertQuietly(session.id(), progress.before(), progress.appended());
            throw refusal(e).orElseThrow(() -> new UncheckedIOException(e));
        }
    }

    /** The store's refusals a client can act on, as their OCI errors; empty for a failure of the store itself. */
    private static Optional<RegistryException> refusal(IOException e) {
        return switch (e) {
            case UploadDamagedException damaged -> Optional.of(new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                    "the stored upload is shorter than its recorded length; start a new upload",
                    Map.of("recorded", damaged.recorded(), "stored", damaged.stored())));
            case UploadTooLargeException tooLarge -> Optional.of(new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                    "the blob would exceed the largest size the blob store can keep; nothing of this chunk was kept",
                    Map.of("maxBytes", tooLarge.maxBytes(), "reason", tooLarge.getMessage())));
            case StoreBusyException busy -> Optional.of(new RegistryException(ErrorCode.TOOMANYREQUESTS,
                    busy.getMessage(), Map.of("retryAfterSeconds", busy.retryAfterSeconds()))
                    .withHeaders(Map.of("Retry-After", Integer.toString(busy.retryAfterSeconds()))));
            default -> Optional.empty();
        };
    }

    public void cancel(String repository, UUID id) {
        abandon(load(repository, id));
    }

    private UploadSession load(String repository, UUID id) {
        return sessions.find(repository, id).orElseThrow(() ->
                new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload unknown", id.toString()));
    }

    private void checkStart(String repository, UploadSession session, ContentRange range) {
        if (range != null && range.start() != session.byteOffset()) {
            throw outOfOrder(repository, session.id(), session.byteOffset(), range);
        }
    }

    private static RegistryException outOfOrder(String repository, UUID id, long offset, ContentRange range) {
        UploadStatus status = new UploadStatus(repository, id, offset);
        return new RegistryException(ErrorCode.RANGE_INVALID, "chunk does not start where the upload ends",
                Map.of("uploaded", status.range(), "chunk", range.start() + "-" + range.end()))
                .withHeaders(Map.of("Location", status.location(), "Range", status.range(),
                        "Docker-Upload-UUID", id.toString()));
    }

    private Progress resume(UploadSession session) {
        DigestAlgorithm algorithm = DigestAlgorithm.byPrefix(session.hashAlgorithm()).orElseThrow();
        UploadLayout layout = UploadLayout.decode(session.storageLayout());
        ResumableDigest digest = null;
        if (session.byteOffset() == 0) {
            digest = ResumableDigest.start(algorithm);
        } else if (session.hashState() != null) {
            digest = ResumableDigest.restore(algorithm, session.hashState())
                    .filter(d -> d.length() == session.byteOffset()).orElse(null);
        }
        if (digest == null) {
            // A snapshot this node cannot read (another node's digest implementation): hash the stored prefix.
            digest = ResumableDigest.start(algorithm);
            hashStored(session.id(), layout, digest);
        }
        return new Progress(session.byteOffset(), layout, new BlobStore.Appended(layout, List.of(), 0), digest);
    }

    private Progress write(String repository, UploadSession session, InputStream body, ContentRange range) {
        Progress before = resume(session);
        HashingInputStream hashed = new HashingInputStream(body, before.digest());
        BlobStore.Appended appended;
        try (TransferMetrics.Streaming streaming = metrics.uploadStreaming()) {
            appended = store.append(session.id().toString(), before.layout(), hashed);
        } catch (UploadConflictException e) {
            throw conflict(repository, session, range);
        } catch (IOException e) {
            throw refusal(e).orElseThrow(() -> new UncheckedIOException(e));
        }
        metrics.pushed(appended.bytes());
        if (range != null && appended.bytes() != range.length()) {
            revertQuietly(session.id(), before.layout(), appended);
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "chunk length does not match Content-Range",
                    Map.of("received", appended.bytes(), "contentRange", range.start() + "-" + range.end()));
        }
        return new Progress(before.offset() + appended.bytes(), before.layout(), appended, before.digest());
    }

    private void save(String repository, UploadSession session, Progress progress) {
        if (progress.added().isEmpty() && progress.appended().replaced().isEmpty()) {
            return;
        }
        if (!sessions.advance(session.id(), session.byteOffset(), progress.offset(), progress.digest().exportState(),
                progress.layout().encode())) {
            revertQuietly(session.id(), progress.before(), progress.appended());
            throw conflict(repository, session,
                    new ContentRange(session.byteOffset(), Math.max(session.byteOffset(), progress.offset() - 1)));
        }
        discardQuietly(session.id(), progress.appended().replaced());
    }

    /** Another request moved the upload on since this one read it: 416 with where the upload stands now. */
    private RegistryException conflict(String repository, UploadSession session, ContentRange range) {
        UploadSession current = load(repository, session.id());
        return outOfOrder(repository, session.id(), current.byteOffset(),
                range != null ? range : new ContentRange(session.byteOffset(), session.byteOffset()));
    }

    private Digest rehash(UUID id, UploadLayout layout, DigestAlgorithm algorithm) {
        ResumableDigest digest = ResumableDigest.start(algorithm);
        hashStored(id, layout, digest);
        return digest.current();
    }

    private void hashStored(UUID id, UploadLayout layout, ResumableDigest digest) {
        try (InputStream in = new HashingInputStream(store.openUpload(id.toString(), layout), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Deletes the upload: marked first (no request finds it or records a chunk in it from then on), then its
     * segments, then its row, so the row never outlives what it could find. If the segments cannot be deleted,
     * the marked row stays and the janitor deletes both later.
     */
    private void abandon(UploadSession session) {
        sessions.expire(session.id());
        if (discardUploadQuietly(session.id())) {
            sessions.deleteExpired(session.id());
        }
    }

    private boolean discardUploadQuietly(UUID id) {
        try {
            store.discardUpload(id.toString());
            return true;
        } catch (IOException | RuntimeException e) {
            // After a completion the row is gone: the sweep deletes these segments once they are older than its grace delay.
            LOG.warnf(e, "could not delete the stored segments of upload %s", id);
            return false;
        }
    }

    private void discardQuietly(UUID id, List<UploadLayout.Segment> segments) {
        if (segments.isEmpty()) {
            return;
        }
        try {
            store.discard(id.toString(), segments);
        } catch (IOException | RuntimeException e) {
            // Left for the stale-upload cleanup; the database no longer points at these segments.
            LOG.warnf(e, "could not delete %d segment(s) of upload %s", segments.size(), id);
        }
    }

    private void revertQuietly(UUID id, UploadLayout before, BlobStore.Appended appended) {
        try {
            store.revert(id.toString(), before, appended);
        } catch (IOException | RuntimeException e) {
            // Left for the stale-upload cleanup; the database still points at the layout from before.
            LOG.warnf(e, "could not take back an unrecorded append to upload %s", id);
        }
    }

    /** Where an upload stands: its offset and hash, the layout it was read with, and what this request added. */
    private record Progress(long offset, UploadLayout before, BlobStore.Appended appended, ResumableDigest digest) {
        UploadLayout layout() {
            return appended.layout();
        }

        List<UploadLayout.Segment> added() {
            return appended.layout().without(before);
        }
    }
}
