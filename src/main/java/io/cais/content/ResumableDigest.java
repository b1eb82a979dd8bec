package io.cais.content;

import java.util.Optional;

/**
 * A running hash whose state can be saved after one request and restored in another, on any replica.
 * Upload state lives in the database, so a chunk may continue an upload another node started.
 */
public interface ResumableDigest {

    DigestAlgorithm algorithm();

    void update(byte[] bytes, int offset, int length);

    /** Number of bytes hashed so far. */
    long length();

    /** The digest of the bytes hashed so far; the running state is not disturbed. */
    Digest current();

    /** An opaque, self-describing snapshot that {@link #restore} turns back into this running hash. */
    byte[] exportState();

    static ResumableDigest start(DigestAlgorithm algorithm) {
        return ResumableDigests.start(algorithm);
    }

    /**
     * Restores a snapshot; empty when this JVM cannot read it (a node without access to the JDK's digest
     * internals cannot continue a JDK snapshot) — the caller then re-hashes the stored bytes.
     */
    static Optional<ResumableDigest> restore(DigestAlgorithm algorithm, byte[] state) {
        return ResumableDigests.restore(algorithm, state);
    }
}
