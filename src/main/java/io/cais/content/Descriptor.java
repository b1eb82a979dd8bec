package io.cais.content;

/** An OCI content descriptor, as far as the registry needs it. */
public record Descriptor(String mediaType, Digest digest, long size) {
}
