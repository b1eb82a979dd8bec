package io.cais.metadata;

import java.util.UUID;

/**
 * An upload in progress. The row is the whole state of the upload — offset, running hash state at that offset,
 * and the storage layout — so any replica can take the next chunk.
 */
public record UploadSession(UUID id, long repositoryId, long byteOffset, String hashAlgorithm, byte[] hashState,
                            String storageLayout) {
}
