package io.cais.sweep;

/** Keeps the bytes a check reads from the store under a rate, so that re-hashing does not starve pulls and pushes. */
final class RehashThrottle {

    private final long bytesPerSecond;
    private final long start = System.nanoTime();
    private long bytes;

    RehashThrottle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Counts {@code read} more bytes and sleeps as long as the reading is ahead of the rate. */
    void read(long read) {
        if (bytesPerSecond <= 0) {
            return;
        }
        bytes += read;
        long dueNanos = (long) (bytes * 1e9 / bytesPerSecond);
        long aheadMillis = (dueNanos - (System.nanoTime() - start)) / 1_000_000;
        if (aheadMillis > 0) {
            try {
                Thread.sleep(aheadMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while re-hashing", e);
            }
        }
    }
}
