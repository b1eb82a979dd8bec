package io.cais.storage;

import io.cais.content.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Content-addressed blob storage ({@code blobs/sha256/ab/abcdef…}) plus the segments of uploads in progress.
 * A blob becomes visible under its digest key only through {@link #commit}, after the caller verified the
 * digest; all upload bookkeeping is returned to the caller to keep in the database, never held here.
 */
public interface BlobStore {

    /** A range of a stored blob; the caller checked the range against the blob's size. */
    BlobContent read(Digest digest, long offset, long length) throws IOException;

    /**
     * A range of a stored blob as a Vert.x stream for a response, when this store has one (S3); empty when the
     * response is to use {@link #read}. The store has answered when this returns: its failures up to then are thrown.
     */
    default Optional<BlobBody> openBody(Digest digest, long offset, long length) throws IOException {
        return Optional.empty();
    }

    /** A short-lived URL the client can fetch the blob from directly, when this store is set up to redirect. */
    Optional<URI> redirect(Digest digest) throws IOException;

    /**
     * Stores {@code data} (read to its end) after the segments of {@code layout}. The result lists the new layout
     * and the segments it replaced, which the caller deletes with {@link #discard} once the new layout is
     * recorded; if it is not recorded, the caller calls {@link #revert}. Bytes recorded before are never lost. A
     * store may extend its last segment in place (under a new name, so that of two racing writers only one can);
     * the loser gets an {@link UploadConflictException} before it writes anything.
     */
    Appended append(String uploadId, UploadLayout layout, InputStream data) throws IOException;

    /** The uploaded bytes, in order (to re-hash them when the client names another digest algorithm). */
    InputStream openUpload(String uploadId, UploadLayout layout) throws IOException;

    /** Publishes the uploaded bytes under {@code digest}, atomically; a no-op when that blob already exists. */
    void commit(String uploadId, UploadLayout layout, Digest digest) throws IOException;

    /**
     * Deletes the stored blob once the database no longer records it: the garbage collector's deleted blobs, and the
     * sweep's stray objects (left by a crash between the store's commit and the database's; under the metadata
     * layer's lock on the digest). Idempotent: deleting a blob that is not stored is no error.
     */
    void delete(Digest digest) throws IOException;

    /**
     * Takes back an append whose result will not be recorded (a lost race, a chunk of the wrong length): the
     * upload's storage is as {@code before} describes it again.
     */
    default void revert(String uploadId, UploadLayout before, Appended appended) throws IOException {
        discard(uploadId, appended.layout().without(before));
    }

    /** Deletes upload segments (a lost race, a replaced S3 tail). */
    void discard(String uploadId, List<UploadLayout.Segment> segments) throws IOException;

    /** Deletes everything stored for the upload, including leftovers no layout names (after commit or cancel). */
    void discardUpload(String uploadId) throws IOException;

    /** Size of the stored blob, or empty when the store has no object for it (read past any row: for fsck). */
    OptionalLong storedSize(Digest digest) throws IOException;

    /**
     * Hands every stored blob object to {@code each}, with its size and last modification. Objects under the blob
     * prefix whose key is not a digest are skipped. A blob committed while this runs may or may not be listed.
     */
    void listBlobs(Consumer<StoredBlob> each) throws IOException;

    /** Hands every upload that has stored bytes to {@code each}: its id, bytes and the newest modification of its objects. */
    void listUploads(Consumer<StoredUpload> each) throws IOException;

    /** Multipart uploads the store holds open (S3 only: the ones of commits; a crashed commit leaves one behind). */
    default List<PendingMultipart> listMultipartUploads() throws IOException {
        return List.of();
    }

    /** Aborts a multipart upload, releasing the parts it holds. */
    default void abortMultipartUpload(PendingMultipart upload) throws IOException {
        throw new UnsupportedOperationException("this store has no multipart uploads");
    }

    /** Smallest chunk size worth sending, advertised as {@code OCI-Chunk-Min-Length}. */
    long chunkMinLength();

    /** Checks the store is reachable (readiness). */
    void probe() throws IOException;

    /** A stored blob object as listed. */
    record StoredBlob(Digest digest, long size, Instant lastModified) {
    }

    /** The stored bytes of one upload as listed: {@code lastModified} is that of its newest object. */
    record StoredUpload(String uploadId, long bytes, Instant lastModified) {
    }

    /** An open multipart upload of the store: the key it would publish and when it was started. */
    record PendingMultipart(String key, String uploadId, Instant initiated) {
    }

    record Appended(UploadLayout layout, List<UploadLayout.Segment> replaced, long bytes) {
    }
}
