package io.cais.storage;

import io.cais.content.Digest;

import java.util.Optional;
import java.util.UUID;

/** Storage key layout shared by both stores: content-addressed blobs, per-upload segment folders. */
final class BlobKeys {

    private BlobKeys() {
    }

    /** {@code blobs/sha256/ab/abcdef…}: two-character fan-out keeps directories and listings small. */
    static String blob(Digest digest) {
        return "blobs/" + digest.algorithm().prefix() + "/" + digest.hex().substring(0, 2) + "/" + digest.hex();
    }

    /** The digest a blob key's parts name ({@code sha256}, {@code abcdef…}); empty for anything else under the prefix. */
    static Optional<Digest> digestOf(String algorithm, String hex) {
        try {
            return Optional.of(Digest.parse(algorithm + ":" + hex));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static String uploadFolder(String uploadId) {
        return "uploads/" + uploadId;
    }

    /** A fresh, never-reused segment name: position for readability, randomness so racing writers never collide. */
    static String newSegmentName(int position) {
        return String.format("%06d-%s", position, UUID.randomUUID().toString().substring(0, 8));
    }
}
