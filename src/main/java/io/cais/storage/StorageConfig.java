package io.cais.storage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Where blobs live. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.storage")
public interface StorageConfig {

    enum Type { FILESYSTEM, S3 }

    /** {@code filesystem} (the embedded default) or {@code s3}. */
    @WithDefault("filesystem")
    Type type();

    Filesystem filesystem();

    S3 s3();

    interface Filesystem {
        /** Root directory for blobs and in-progress uploads. */
        @WithDefault("data/blobs")
        String root();
    }

    interface S3 {
        /** Endpoint URL, e.g. {@code https://s3.eu-west-1.amazonaws.com} or {@code http://minio:9000}. */
        Optional<String> endpoint();

        @WithDefault("us-east-1")
        String region();

        @WithDefault("cais")
        String bucket();

        Optional<String> accessKey();

        Optional<String> secretKey();

        /** Address buckets as {@code endpoint/bucket} (MinIO, most on-premises stores) rather than virtual hosts. */
        @WithDefault("true")
        boolean pathStyle();

        /** Create the bucket at start when it does not exist. */
        @WithDefault("false")
        boolean createBucket();

        /** Answer blob GETs with a 307 to a presigned URL instead of streaming through Cais. */
        @WithDefault("false")
        boolean redirect();

        /**
         * Stream blob pulls from S3 with Vert.x' HTTP client (a presigned GET whose body goes to the client's
         * connection buffer by buffer, on the event loop) rather than through the SDK's blocking stream, which costs a
         * copy and a thread hand-over per 256 KiB. Its connections are pooled per event loop, at most
         * {@code max-connections} each. {@code false} goes back to the SDK's stream.
         */
        @WithDefault("true")
        boolean directPulls();

        /** Lifetime of presigned redirect URLs (and of those Cais fetches itself for {@code direct-pulls}). */
        @WithDefault("PT5M")
        Duration redirectExpiry();

        /**
         * Size of the parts uploads are stored in (at least 5 MiB, the S3 minimum). Each upload in flight
         * holds one part in memory; a blob can have at most 10,000 parts.
         */
        @WithDefault("8388608")
        int partSize();

        /**
         * Most parts one blob may have: S3 joins at most 10,000 (some compatible stores fewer). The chunk that would
         * need one more is refused (400 {@code BLOB_UPLOAD_INVALID}), so the largest blob is this times part-size.
         */
        @WithDefault("10000")
        int maxParts();

        /**
         * Most parts this replica buffers in memory at once, one per upload request streaming into S3; a request
         * beyond it is answered 429 with {@code Retry-After} instead of taking more heap (the bound is this times
         * part-size).
         */
        @WithDefault("32")
        int maxBufferedParts();

        /** Seconds a client refused by {@code max-buffered-parts} is told to wait ({@code Retry-After}). */
        @WithDefault("1")
        int busyRetryAfter();

        /** Server-side part copies a commit runs at once when it joins an upload's segments. */
        @WithDefault("8")
        int commitCopyConcurrency();

        /**
         * Most requests this replica has in flight to the endpoint at once, and most idle connections it keeps
         * open for them. The HTTP client's own default is 5 per host: parallel pulls, pushes and a commit's part
         * copies then queue behind one another.
         */
        @WithDefault("64")
        int maxConnections();

        /**
         * Longest time to open a connection to the endpoint. This and the two timeouts below bound every S3 call,
         * blob streams included, so that a store that is down or frozen fails the request (503) within seconds.
         */
        @WithDefault("PT3S")
        Duration connectTimeout();

        /** Longest silence while waiting for S3 to send: a response, or the next bytes of a blob being streamed. */
        @WithDefault("PT10S")
        Duration readTimeout();

        /** Longest time a write to S3 (a part being uploaded) may stall. */
        @WithDefault("PT10S")
        Duration writeTimeout();
    }
}
