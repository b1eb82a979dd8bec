package io.cais.storage;

import java.io.IOException;

/** The store refuses more concurrent work of this kind for now (a memory bound); the request may be retried. */
public final class StoreBusyException extends IOException {

    private final int retryAfterSeconds;

    public StoreBusyException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
