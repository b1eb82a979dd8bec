package io.cais.storage;

import io.cais.content.Digest;
import io.cais.testing.Blobs;
import io.cais.testing.S3TestServer;
import io.minio.MinioAsyncClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The store contract against a real S3 server, plus what is particular to S3: parts and the carried tail. */
class S3BlobStoreTest extends BlobStoreContract {

    static final int PART_SIZE = 5 * MIB;

    private S3BlobStore store;

    @BeforeEach
    void open() throws IOException {
        MinioAsyncClient client = MinioAsyncClient.builder().endpoint(S3TestServer.endpoint())
                .credentials(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY).region("us-east-1").build();
        store = new S3BlobStore(client, new Settings("store-test-" + UUID.randomUUID().toString().substring(0, 8)));
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

        public boolean redirect() {
            return false;
        }

        public Duration redirectExpiry() {
            return Duration.ofMinutes(5);
        }

        public int partSize() {
            return PART_SIZE;
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
