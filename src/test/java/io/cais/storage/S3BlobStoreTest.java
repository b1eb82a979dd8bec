package io.cais.storage;

import io.cais.content.Digest;
import io.cais.testing.Blobs;
import io.cais.testing.S3TestServer;
import io.minio.MinioAsyncClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store contract against a real S3 server, plus what is particular to S3: parts and the carried tail. */
class S3BlobStoreTest extends BlobStoreContract {

    static final int PART_SIZE = 5 * MIB;

    private S3BlobStore store;

    private String bucket;

    @BeforeEach
    void open() throws IOException {
        bucket = "store-test-" + UUID.randomUUID().toString().substring(0, 8);
        store = new S3BlobStore(client(), new Settings(bucket));
    }

    private static MinioAsyncClient client() {
        return MinioAsyncClient.builder().endpoint(S3TestServer.endpoint())
                .credentials(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY).region("us-east-1").build();
    }

    @Override
    BlobStore store() {
        return store;
    }

    @Override
    OptionalLong storedSize(Digest digest) throws IOException {
        return store.objectSize(BlobKeys.blob(digest));
    }

    @Test
    void smallAppendsAreCarriedAsATailUntilAPartIsFull() throws IOException {
        String upload = UUID.randomUUID().toString();
        BlobStore.Appended first = store.append(upload, UploadLayout.empty(), new ByteArrayInputStream(Blobs.random(3 * MIB)));
        assertThat(first.layout().segments()).hasSize(1);

        BlobStore.Appended second = store.append(upload, first.layout(), new ByteArrayInputStream(Blobs.random(3 * MIB)));
        // 6 MiB: one full 5 MiB part and a new 1 MiB tail; the old tail is replaced, never rewritten in place.
        assertThat(second.layout().segments()).extracting(UploadLayout.Segment::size).containsExactly((long) PART_SIZE, (long) MIB);
        assertThat(second.replaced()).containsExactlyElementsOf(first.layout().segments());
        assertThat(names(second.layout())).doesNotContainAnyElementsOf(names(first.layout()));
    }

    @Test
    void theChunkThatWouldNeedOnePartTooManyIsRefusedAndNothingOfItKept() throws IOException {
        S3BlobStore twoParts = new S3BlobStore(client(), new Settings(bucket) {
            @Override
            public int maxParts() {
                return 2;
            }
        });
        String upload = UUID.randomUUID().toString();
        UploadLayout full = twoParts.append(upload, UploadLayout.empty(), new ByteArrayInputStream(Blobs.random(2 * PART_SIZE))).layout();
        assertThat(full.segments()).hasSize(2);

        assertThatThrownBy(() -> twoParts.append(upload, full, new ByteArrayInputStream(Blobs.random(10))))
                .isInstanceOfSatisfying(UploadTooLargeException.class, e -> assertThat(e.maxBytes()).isEqualTo(2L * PART_SIZE));
        List<BlobStore.StoredUpload> uploads = new ArrayList<>();
        twoParts.listUploads(uploads::add);
        assertThat(uploads).filteredOn(stored -> stored.uploadId().equals(upload)).singleElement()
                .satisfies(stored -> assertThat(stored.bytes()).isEqualTo(2L * PART_SIZE));
    }

    @Test
    void anAppendBeyondTheBufferedPartsLimitIsRefusedWhileAnotherStreams() throws Exception {
        S3BlobStore onePart = withBufferedParts(1);
        CountDownLatch streaming = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        InputStream slow = held(streaming, release);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<BlobStore.Appended> first = executor.submit(() -> onePart.append(UUID.randomUUID().toString(), UploadLayout.empty(), slow));
            assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();

            assertThatThrownBy(() -> onePart.append(UUID.randomUUID().toString(), UploadLayout.empty(),
                    new ByteArrayInputStream(Blobs.random(10))))
                    .isInstanceOfSatisfying(StoreBusyException.class, e -> assertThat(e.retryAfterSeconds()).isEqualTo(1));

            release.countDown();
            first.get(10, TimeUnit.SECONDS);
        }
        assertThat(onePart.append(UUID.randomUUID().toString(), UploadLayout.empty(),
                new ByteArrayInputStream(Blobs.random(10))).bytes()).isEqualTo(10);
    }

    @Test
    void aLongAppendStoresEveryPartInOrderAndFreesBothOfItsBuffers() throws Exception {
        S3BlobStore twoBuffers = withBufferedParts(2);
        byte[] content = Blobs.random(4 * PART_SIZE + MIB);
        String upload = UUID.randomUUID().toString();

        UploadLayout layout = twoBuffers.append(upload, UploadLayout.empty(), new ByteArrayInputStream(content)).layout();

        assertThat(layout.segments()).extracting(UploadLayout.Segment::size)
                .containsExactly((long) PART_SIZE, (long) PART_SIZE, (long) PART_SIZE, (long) PART_SIZE, (long) MIB);
        try (InputStream in = twoBuffers.openUpload(upload, layout)) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertBothBuffersFree(twoBuffers);
    }

    @Test
    void aLongAppendWithOnlyOneBufferFreeStoresItsPartsOneAfterTheOther() throws IOException {
        S3BlobStore onePart = withBufferedParts(1);
        byte[] content = Blobs.random(3 * PART_SIZE + 11);
        String upload = UUID.randomUUID().toString();

        UploadLayout layout = onePart.append(upload, UploadLayout.empty(), new ByteArrayInputStream(content)).layout();

        assertThat(layout.segments()).hasSize(4);
        try (InputStream in = onePart.openUpload(upload, layout)) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(onePart.append(UUID.randomUUID().toString(), UploadLayout.empty(),
                new ByteArrayInputStream(Blobs.random(10))).bytes()).isEqualTo(10);
    }

    @Test
    void aClientThatFailsWhileAPartIsBeingStoredLeavesNoSegmentBehind() throws Exception {
        S3BlobStore twoBuffers = withBufferedParts(2);
        String upload = UUID.randomUUID().toString();
        InputStream broken = new SequenceInputStream(new ByteArrayInputStream(Blobs.random(2 * PART_SIZE + MIB)),
                new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("client went away");
                    }
                });

        assertThatThrownBy(() -> twoBuffers.append(upload, UploadLayout.empty(), broken))
                .isInstanceOf(IOException.class).hasMessageContaining("client went away");

        List<BlobStore.StoredUpload> uploads = new ArrayList<>();
        twoBuffers.listUploads(uploads::add);
        assertThat(uploads).noneMatch(stored -> stored.uploadId().equals(upload));
        assertBothBuffersFree(twoBuffers);
    }

    private S3BlobStore withBufferedParts(int parts) throws IOException {
        return new S3BlobStore(client(), new Settings(bucket) {
            @Override
            public int maxBufferedParts() {
                return parts;
            }
        });
    }

    /** An empty body that holds its append (and its part buffer) until released: it signals when it is being read. */
    private static InputStream held(CountDownLatch streaming, CountDownLatch release) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                streaming.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return -1;
            }
        };
    }

    /** Both of a two-buffer store's permits are free: two appends hold one each at once, and neither is refused. */
    private static void assertBothBuffersFree(S3BlobStore twoBuffers) throws Exception {
        CountDownLatch streaming = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<BlobStore.Appended>> appends = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                InputStream held = held(streaming, release);
                appends.add(executor.submit(() -> twoBuffers.append(UUID.randomUUID().toString(), UploadLayout.empty(), held)));
            }
            assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();
            release.countDown();
            for (Future<BlobStore.Appended> append : appends) {
                assertThat(append.get(10, TimeUnit.SECONDS).bytes()).isZero();
            }
        }
    }

    @Test
    void aCommitCopyingPartsTwoAtATimeJoinsThemAllInOrder() throws IOException {
        S3BlobStore twoCopies = new S3BlobStore(client(), new Settings(bucket) {
            @Override
            public int commitCopyConcurrency() {
                return 2;
            }
        });
        byte[] content = Blobs.random(5 * PART_SIZE + 7);
        String upload = UUID.randomUUID().toString();
        UploadLayout layout = twoCopies.append(upload, UploadLayout.empty(), new ByteArrayInputStream(content)).layout();
        assertThat(layout.segments()).hasSize(6);
        Digest digest = Digest.parse(Blobs.sha256(content));

        twoCopies.commit(upload, layout, digest);

        try (InputStream in = ((BlobContent.Stream) twoCopies.read(digest, 0, content.length)).stream()) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
    }

    @Test
    void openMultipartUploadsAreListedAndCanBeAborted() throws Exception {
        MinioAsyncClient client = client();
        String key = "blobs/sha256/ab/" + "ab".repeat(32);
        String id = client.createMultipartUpload(io.minio.CreateMultipartUploadArgs.builder().bucket(bucket).object(key).build())
                .get().result().uploadId();

        assertThat(store.listMultipartUploads()).extracting(BlobStore.PendingMultipart::uploadId).contains(id);
        BlobStore.PendingMultipart pending = store.listMultipartUploads().stream()
                .filter(upload -> upload.uploadId().equals(id)).findFirst().orElseThrow();
        assertThat(pending.key()).isEqualTo(key);

        store.abortMultipartUpload(pending);

        assertThat(store.listMultipartUploads()).extracting(BlobStore.PendingMultipart::uploadId).doesNotContain(id);
    }

    @Test
    void partsSmallerThanTheS3MinimumAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new S3BlobStore(MinioAsyncClient.builder()
                        .endpoint(S3TestServer.endpoint()).credentials("a", "b").build(),
                new Settings("x") {
                    @Override
                    public int partSize() {
                        return MIB;
                    }
                }))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** S3 settings for a fresh bucket per test class instance. */
    static class Settings implements StorageConfig.S3 {
        private final String bucket;

        Settings(String bucket) {
            this.bucket = bucket;
        }

        public Optional<String> endpoint() {
            return Optional.of(S3TestServer.endpoint());
        }

        public String region() {
            return "us-east-1";
        }

        public String bucket() {
            return bucket;
        }

        public Optional<String> accessKey() {
            return Optional.of(S3TestServer.ACCESS_KEY);
        }

        public Optional<String> secretKey() {
            return Optional.of(S3TestServer.SECRET_KEY);
        }

        public boolean pathStyle() {
            return true;
        }

        public boolean createBucket() {
            return true;
        }

        public boolean directPulls() {
            return true;
        }

        public boolean redirect() {
            return false;
        }

        public Duration redirectExpiry() {
            return Duration.ofMinutes(5);
        }

        public int partSize() {
            return PART_SIZE;
        }

        public int maxParts() {
            return 10_000;
        }

        public int maxBufferedParts() {
            return 32;
        }

        public int busyRetryAfter() {
            return 1;
        }

        public int commitCopyConcurrency() {
            return 4;
        }

        public int maxConnections() {
            return 16;
        }

        public Duration connectTimeout() {
            return Duration.ofSeconds(3);
        }

        public Duration readTimeout() {
            return Duration.ofSeconds(10);
        }

        public Duration writeTimeout() {
            return Duration.ofSeconds(10);
        }
    }
}
