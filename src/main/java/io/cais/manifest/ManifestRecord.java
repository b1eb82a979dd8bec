package io.cais.manifest;

/** A stored manifest as served: its digest, media type and exact bytes (null for a HEAD, which needs none). */
public record ManifestRecord(String digest, String mediaType, long size, byte[] payload) {
}
