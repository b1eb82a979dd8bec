package io.cais.storage;

import java.io.IOException;

/** The chunk would take the upload past the most parts the store can join into one blob; nothing of it was kept. */
public final class UploadTooLargeException extends IOException {

    private final long maxBytes;

    public UploadTooLargeException(int maxParts, long maxBytes) {
        super("a blob can have at most " + maxParts + " parts in this store, " + maxBytes + " bytes");
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }
}
