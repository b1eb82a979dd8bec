package io.cais.metadata;

/**
 * A stored manifest as served: the repository it belongs to, its digest, media type and exact bytes (null for a
 * HEAD answered from the database, which needs none).
 */
public record ManifestRecord(long repositoryId, String digest, String mediaType, long size, byte[] payload) {
}
