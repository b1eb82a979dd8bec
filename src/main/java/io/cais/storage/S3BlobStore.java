package io.cais.storage;

import io.cais.content.Digest;
import io.minio.AbortMultipartUploadArgs;
import io.minio.BucketExistsArgs;
import io.minio.CompleteMultipartUploadArgs;
import io.minio.ComposeObjectArgs;
import io.minio.CopyObjectArgs;
import io.minio.CreateMultipartUploadArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.Http;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectAPIArgs;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.SourceObject;
import io.minio.StatObjectArgs;
import io.minio.UploadPartCopyArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.DeleteRequest;
import io.minio.messages.DeleteResult;
import io.minio.messages.Item;
import io.minio.messages.ListMultipartUploadsResult;
import io.minio.messages.Part;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Blobs as objects in an S3-compatible bucket, through the MinIO SDK.
 *
 * <p>Uploads are stored as segment objects of exactly {@code partSize} bytes plus one shorter tail; the tail
 * is read back and carried into the next request, so chunks of any size work although S3 multipart parts must
 * be at least 5 MiB. Commit joins the segments server-side (multipart upload of copy-parts) at the digest key:
 * completing the multipart upload is what makes the blob appear, whole.
 *
 * <p>Each request streaming into the store holds one part in memory; at most {@code max-buffered-parts} do at
 * once, so concurrent pushes cannot take the heap. An upload is refused at the chunk that would need more than
 * {@code max-parts} parts, not at commit.
 */
public final class S3BlobStore implements BlobStore {

    private final MinioAsyncClient client;
    private final String bucket;
    private final int partSize;
    private final boolean redirect;
    private final int redirectSeconds;
    private final int maxParts;
    private final int commitCopyConcurrency;
    private final int busyRetryAfter;
    private final Semaphore partBuffers;
    /** Streams blobs to responses past the SDK; none: responses read through the SDK's streams. */
    private final Optional<S3Bodies> bodies;

    public S3BlobStore(MinioAsyncClient client, StorageConfig.S3 config) throws IOException {
        this(client, config, Optional.empty());
    }

    S3BlobStore(MinioAsyncClient client, StorageConfig.S3 config, Optional<S3Bodies> bodies) throws IOException {
        if (config.partSize() < 5 * 1024 * 1024) {
            throw new IllegalArgumentException("cais.storage.s3.part-size must be at least 5 MiB (S3's minimum part size)");
        }
        this.client = client;
        this.bucket = config.bucket();
        this.partSize = config.partSize();
        this.redirect = config.redirect();
        this.redirectSeconds = (int) config.redirectExpiry().toSeconds();
        this.maxParts = config.maxParts();
        this.commitCopyConcurrency = Math.max(1, config.commitCopyConcurrency());
        this.busyRetryAfter = config.busyRetryAfter();
        this.partBuffers = new Semaphore(config.maxBufferedParts());
        this.bodies = bodies;
        if (config.createBucket() && !await(client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()))) {
            await(client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build()));
        }
    }

    private static String segmentKey(String uploadId, String name) {
        return BlobKeys.uploadFolder(uploadId) + "/" + name;
    }

    /** Size of the object, or empty when there is none. */
    OptionalLong objectSize(String key) throws IOException {
        try {
            return OptionalLong.of(await(client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build())).size());
        } catch (NotFound e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public BlobContent read(Digest digest, long offset, long length) throws IOException {
        if (length == 0) {
            return new BlobContent.Stream(InputStream.nullInputStream(), 0);
        }
        InputStream stream = await(client.getObject(GetObjectArgs.builder().bucket(bucket)
                .object(BlobKeys.blob(digest)).offset(offset).length(length).build()));
        return new BlobContent.Stream(stream, length);
    }

    @Override
    public Optional<BlobBody> openBody(Digest digest, long offset, long length) throws IOException {
        if (bodies.isEmpty() || length == 0) {
            return Optional.empty();
        }
        return Optional.of(bodies.get().open(presign(digest), offset, length));
    }

    @Override
    public Optional<URI> redirect(Digest digest) throws IOException {
        return redirect ? Optional.of(presign(digest)) : Optional.empty();
    }

    /** A GET URL of the blob object, signed by the SDK (locally: no request), valid for {@code redirect-expiry}. */
    private URI presign(Digest digest) throws IOException {
        try {
            return URI.create(client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                    .method(Http.Method.GET).bucket(bucket).object(BlobKeys.blob(digest))
                    .expiry(redirectSeconds, TimeUnit.SECONDS).build()));
        } catch (Exception e) {
            throw new IOException("cannot presign blob URL", e);
        }
    }

    @Override
    public Appended append(String uploadId, UploadLayout layout, InputStream data) throws IOException {
        if (!partBuffers.tryAcquire()) {
            throw new StoreBusyException("too many uploads are streaming into this replica; retry shortly", busyRetryAfter);
        }
        PartBuffers buffers = new PartBuffers();
        try {
            return appendBuffered(uploadId, layout, data, buffers);
        } finally {
            partBuffers.release(buffers.permits());
        }
    }

    /**
     * The part buffers of one append: the first, and a second one taken only when a permit is free, so that the
     * next part arrives from the client while the previous one is being stored (both are otherwise idle half of
     * the time). A busy replica goes on with one buffer, one part after the other: the bound on memory holds.
     */
    private final class PartBuffers {
        private final byte[] first = new byte[partSize];
        private byte[] second;
        private boolean useSecond;

        /** The buffer to read the next part into: not the one whose part may still be being stored. */
        byte[] next() {
            if (second == null) {
                return first;
            }
            useSecond = !useSecond;
            return useSecond ? second : first;
        }

        /** Whether the next part can be read while the last one is stored: a second buffer, taken now if free. */
        boolean overlap() {
            if (second == null && partBuffers.tryAcquire()) {
                second = new byte[partSize];
            }
            return second != null;
        }

        int permits() {
            return second == null ? 1 : 2;
        }
    }

    private Appended appendBuffered(String uploadId, UploadLayout layout, InputStream data, PartBuffers buffers)
            throws IOException {
        List<UploadLayout.Segment> kept = new ArrayList<>(layout.segments());
        List<UploadLayout.Segment> replaced = new ArrayList<>();
        InputStream source = data;
        long carried = 0;
        if (!kept.isEmpty() && kept.getLast().size() < partSize) {
            UploadLayout.Segment tail = kept.removeLast();
            replaced.add(tail);
            carried = tail.size();
            source = new SequenceInputStream(openSegment(uploadId, tail), data);
        }
        List<UploadLayout.Segment> written = new ArrayList<>();
        CompletableFuture<?> storing = null; // the previous part, still on its way when a second buffer overlaps
        long total = 0;
        try {
            while (true) {
                byte[] part = buffers.next();
                int n = source.readNBytes(part, 0, partSize);
                if (storing != null) {
                    await(storing);
                    storing = null;
                }
                if (n == 0) {
                    break;
                }
                total += n;
                if (n == carried && total == carried) {
                    // Nothing new arrived: the tail stays as it is.
                    return new Appended(layout, List.of(), 0);
                }
                if (kept.size() + written.size() >= maxParts) {
                    throw new UploadTooLargeException(maxParts, (long) maxParts * partSize);
                }
                String name = BlobKeys.newSegmentName(kept.size() + written.size());
                written.add(new UploadLayout.Segment(name, n));
                storing = putSegment(segmentKey(uploadId, name), part, n);
                if (n < partSize || !buffers.overlap()) {
                    await(storing);
                    storing = null;
                }
                if (n < partSize) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            settleQuietly(storing);
            discard(uploadId, written);
            throw e;
        }
        kept.addAll(written);
        return new Appended(new UploadLayout(List.copyOf(kept)), List.copyOf(replaced), total - carried);
    }

    /**
     * Stores one segment. Its payload goes unsigned ({@code UNSIGNED-PAYLOAD}): Cais hashes every byte of an upload
     * itself and checks the digest before the blob exists, so the SHA-256 the SDK would otherwise compute of each
     * part to sign it (over plain http) would hash the same bytes a second time, on the request's thread. The SDK
     * still sends a CRC32C of the part (hardware-computed) that the store checks, so a part damaged on its way is
     * refused, not stored. The SDK's own {@code putObject(PutObjectArgs)} would also copy the part into a buffer
     * of its own first.
     */
    private CompletableFuture<?> putSegment(String key, byte[] data, int length) {
        Http.Headers headers = new Http.Headers();
        headers.put("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
        return client.putObject(PutObjectAPIArgs.builder().bucket(bucket).object(key).data(data, length)
                .headers(headers).build());
    }

    /** Waits for a segment upload that failed or is abandoned, so its buffer is free and its object is settled. */
    private static void settleQuietly(CompletableFuture<?> storing) {
        if (storing != null) {
            try {
                storing.join();
            } catch (RuntimeException ignored) {
                // the failure that matters is already being thrown
            }
        }
    }

    private InputStream openSegment(String uploadId, UploadLayout.Segment segment) throws IOException {
        return await(client.getObject(GetObjectArgs.builder().bucket(bucket)
                .object(segmentKey(uploadId, segment.name())).build()));
    }

    @Override
    public InputStream openUpload(String uploadId, UploadLayout layout) {
        Iterator<UploadLayout.Segment> segments = layout.segments().iterator();
        Enumeration<InputStream> streams = new Enumeration<>() {
            @Override
            public boolean hasMoreElements() {
                return segments.hasNext();
            }

            @Override
            public InputStream nextElement() {
                try {
                    return openSegment(uploadId, segments.next());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        return new SequenceInputStream(streams);
    }

    @Override
    public void commit(String uploadId, UploadLayout layout, Digest digest) throws IOException {
        String key = BlobKeys.blob(digest);
        if (objectSize(key).isPresent()) {
            return;
        }
        if (layout.segments().isEmpty()) {
            await(client.putObject(PutObjectArgs.builder().bucket(bucket).object(key).data(new byte[0], 0).build()));
            return;
        }
        if (layout.segments().size() == 1) {
            // One segment (most layers): one server-side copy (after the SDK's HEAD of the source), which makes the
            // blob appear whole as completing a multipart upload does. A multipart upload of one copy-part takes
            // three requests, and a store such as S3Proxy writes the bytes twice (the part, then the joined object).
            await(client.copyObject(CopyObjectArgs.builder().bucket(bucket).object(key)
                    .source(SourceObject.builder().bucket(bucket)
                            .object(segmentKey(uploadId, layout.segments().getFirst().name())).build())
                    .build()));
            return;
        }
        String multipartId = await(client.createMultipartUpload(
                CreateMultipartUploadArgs.builder().bucket(bucket).object(key).build())).result().uploadId();
        try {
            ComposeObjectArgs target = ComposeObjectArgs.builder().bucket(bucket).object(key)
                    .sources(List.of(SourceObject.builder().bucket(bucket).object(key).build())).build();
            Part[] parts = copyParts(uploadId, layout, target, multipartId);
            await(client.completeMultipartUpload(CompleteMultipartUploadArgs.builder().bucket(bucket).object(key)
                    .uploadId(multipartId).parts(parts).build()));
        } catch (IOException | RuntimeException e) {
            try {
                await(client.abortMultipartUpload(AbortMultipartUploadArgs.builder().bucket(bucket).object(key)
                        .uploadId(multipartId).build()));
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Copies the segments into the multipart upload as its parts, at most {@code commitCopyConcurrency} at once. */
    private Part[] copyParts(String uploadId, UploadLayout layout, ComposeObjectArgs target, String multipartId)
            throws IOException {
        Part[] parts = new Part[layout.segments().size()];
        Semaphore inFlight = new Semaphore(commitCopyConcurrency);
        List<CompletableFuture<Void>> copies = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            for (int i = 0; i < parts.length && !failed.get(); i++) {
                String source = "/" + bucket + "/" + segmentKey(uploadId, layout.segments().get(i).name());
                Http.Headers headers = new Http.Headers();
                headers.put("x-amz-copy-source", URLEncoder.encode(source, StandardCharsets.UTF_8).replace("%2F", "/"));
                int index = i;
                inFlight.acquire();
                // The SDK's builder for copy parts is unusable in 9.0.4; its public constructor works.
                copies.add(client.uploadPartCopy(new UploadPartCopyArgs(target, multipartId, i + 1, headers))
                        .thenAccept(response -> parts[index] = response.part())
                        .whenComplete((done, failure) -> {
                            if (failure != null) {
                                failed.set(true); // start no more copies: the commit is aborted
                            }
                            inFlight.release();
                        }));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            await(CompletableFuture.allOf(copies.stream()
                    .map(copy -> copy.exceptionally(failure -> null)).toArray(CompletableFuture[]::new)));
        }
        await(CompletableFuture.allOf(copies.toArray(CompletableFuture[]::new)));
        return parts;
    }

    @Override
    public OptionalLong storedSize(Digest digest) throws IOException {
        return objectSize(BlobKeys.blob(digest));
    }

    @Override
    public void listBlobs(Consumer<StoredBlob> each) throws IOException {
        try {
            for (Item item : list("blobs/")) {
                String[] path = item.objectName().split("/");
                Optional<Digest> digest = path.length == 4 ? BlobKeys.digestOf(path[1], path[3]) : Optional.empty();
                digest.ifPresent(d -> each.accept(new StoredBlob(d, item.size(), item.lastModified().toInstant())));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public void listUploads(Consumer<StoredUpload> each) throws IOException {
        String current = null;
        long bytes = 0;
        Instant newest = Instant.EPOCH;
        try {
            // Keys come in lexical order, so the objects of one upload are listed together.
            for (Item item : list("uploads/")) {
                String[] path = item.objectName().split("/");
                if (path.length != 3) {
                    continue;
                }
                if (!path[1].equals(current)) {
                    if (current != null) {
                        each.accept(new StoredUpload(current, bytes, newest));
                    }
                    current = path[1];
                    bytes = 0;
                    newest = Instant.EPOCH;
                }
                bytes += item.size();
                Instant modified = item.lastModified().toInstant();
                newest = modified.isAfter(newest) ? modified : newest;
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (current != null) {
            each.accept(new StoredUpload(current, bytes, newest));
        }
    }

    /** Every object under {@code prefix}, fetched page by page as the iteration goes. */
    private Iterable<Item> list(String prefix) {
        Iterable<Result<Item>> results = client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
                .recursive(true).build());
        return () -> new Iterator<>() {
            private final Iterator<Result<Item>> delegate = results.iterator();

            @Override
            public boolean hasNext() {
                return delegate.hasNext();
            }

            @Override
            public Item next() {
                try {
                    return delegate.next().get();
                } catch (Exception e) {
                    throw new UncheckedIOException(new IOException("cannot list " + prefix + " in bucket " + bucket, e));
                }
            }
        };
    }

    @Override
    public List<PendingMultipart> listMultipartUploads() throws IOException {
        List<PendingMultipart> pending = new ArrayList<>();
        String keyMarker = null;
        String uploadIdMarker = null;
        while (true) {
            ListMultipartUploadsArgs.Builder args = ListMultipartUploadsArgs.builder().bucket(bucket).prefix("blobs/");
            if (keyMarker != null) {
                args.keyMarker(keyMarker).uploadIdMarker(uploadIdMarker);
            }
            ListMultipartUploadsResult page = await(client.listMultipartUploads(args.build())).result();
            if (page.uploads() != null) {
                for (ListMultipartUploadsResult.Upload upload : page.uploads()) {
                    pending.add(new PendingMultipart(upload.objectName(), upload.uploadId(),
                            upload.initiated() == null ? Instant.EPOCH : upload.initiated().toInstant()));
                }
            }
            if (!page.isTruncated() || page.nextKeyMarker() == null) {
                return pending;
            }
            keyMarker = page.nextKeyMarker();
            uploadIdMarker = page.nextUploadIdMarker();
        }
    }

    @Override
    public void abortMultipartUpload(PendingMultipart upload) throws IOException {
        try {
            await(client.abortMultipartUpload(AbortMultipartUploadArgs.builder().bucket(bucket).object(upload.key())
                    .uploadId(upload.uploadId()).build()));
        } catch (NotFound e) {
            // completed or aborted since it was listed
        }
    }

    @Override
    public void delete(Digest digest) throws IOException {
        try {
            await(client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(BlobKeys.blob(digest)).build()));
        } catch (NotFound e) {
            // already gone: deleting is idempotent
        }
    }

    @Override
    public void discard(String uploadId, List<UploadLayout.Segment> segments) throws IOException {
        if (segments.isEmpty()) {
            return;
        }
        List<DeleteRequest.Object> objects = new ArrayList<>();
        for (UploadLayout.Segment segment : segments) {
            objects.add(new DeleteRequest.Object(segmentKey(uploadId, segment.name())));
        }
        // removeObjects is lazy: the deletions happen while the results are iterated.
        for (Result<DeleteResult.Error> result : client.removeObjects(
                RemoveObjectsArgs.builder().bucket(bucket).objects(objects).build())) {
            try {
                DeleteResult.Error error = result.get();
                if (!"NoSuchKey".equals(error.code())) {
                    throw new IOException("cannot delete " + error.objectName() + ": " + error.message());
                }
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    @Override
    public void discardUpload(String uploadId) throws IOException {
        List<UploadLayout.Segment> objects = new ArrayList<>();
        String prefix = BlobKeys.uploadFolder(uploadId) + "/";
        try {
            for (Item item : list(prefix)) {
                objects.add(new UploadLayout.Segment(item.objectName().substring(prefix.length()), 0));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        discard(uploadId, objects);
    }

    @Override
    public long chunkMinLength() {
        return partSize;
    }

    @Override
    public void probe() throws IOException {
        if (!await(client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()))) {
            throw new IOException("bucket does not exist: " + bucket);
        }
    }

    /** Waits for an SDK call; a missing object becomes {@link NotFound}, anything else an IOException. */
    private static <T> T await(CompletableFuture<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof ErrorResponseException response
                    && ("NoSuchKey".equals(response.errorResponse().code()) || response.response().code() == 404)) {
                throw new NotFound();
            }
            throw new IOException("S3 request failed: " + cause, cause);
        }
    }

    private static final class NotFound extends IOException {
        NotFound() {
            super("no such object", null);
        }
    }
}
