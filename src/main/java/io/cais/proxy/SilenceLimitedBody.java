package io.cais.proxy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An upstream's response body whose silence is bounded: the JDK HTTP client's request timeout ends when the headers
 * arrive, and a read of the body blocks for as long as the upstream keeps the connection open without sending. Here a
 * clock closes the body when one read has waited longer than the limit, and that read fails with a
 * {@link SocketTimeoutException}: the cold fetch is abandoned (its upload never becomes a blob, its fetch claim is
 * released) instead of holding a connection slot and every waiting client forever. Only time spent inside a read
 * counts, not the time the caller spends writing what it read to a slow client.
 */
final class SilenceLimitedBody extends FilterInputStream {

    private final long limitNanos;
    private final Duration limit;
    private final String upstream;
    private final ScheduledFuture<?> clock;
    /** When the read in progress started; 0 when no read is in progress. */
    private volatile long readingSince;
    private volatile boolean silenced;

    SilenceLimitedBody(InputStream body, Duration limit, ScheduledExecutorService clocks, String upstream) {
        super(body);
        this.limit = limit;
        this.limitNanos = limit.toNanos();
        this.upstream = upstream;
        long period = Math.max(50, limit.toMillis() / 4);
        clock = clocks.scheduleAtFixedRate(this::checkSilence, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public int read() throws IOException {
        startRead();
        try {
            return ended(in.read());
        } catch (IOException e) {
            throw silenced ? silence() : e;
        } finally {
            readingSince = 0;
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        startRead();
        try {
            return ended(in.read(buffer, offset, length));
        } catch (IOException e) {
            throw silenced ? silence() : e;
        } finally {
            readingSince = 0;
        }
    }

    /** Reads rather than skips, so that a skip is bounded like a read. */
    @Override
    public long skip(long n) throws IOException {
        byte[] discard = new byte[(int) Math.min(8192, Math.max(n, 0))];
        long skipped = 0;
        while (skipped < n) {
            int read = read(discard, 0, (int) Math.min(discard.length, n - skipped));
            if (read < 0) {
                break;
            }
            skipped += read;
        }
        return skipped;
    }

    @Override
    public void close() throws IOException {
        clock.cancel(false);
        super.close();
    }

    private void startRead() throws IOException {
        if (silenced) {
            throw silence();
        }
        readingSince = System.nanoTime() | 1; // never 0, which means "not reading"
    }

    private int ended(int read) {
        if (read < 0) {
            clock.cancel(false);
        }
        return read;
    }

    private void checkSilence() {
        long since = readingSince;
        if (since == 0 || System.nanoTime() - since < limitNanos) {
            return;
        }
        silenced = true;
        clock.cancel(false);
        try {
            in.close(); // wakes the blocked read, which then throws
        } catch (IOException ignored) {
            // the read fails either way
        }
    }

    private SocketTimeoutException silence() {
        return new SocketTimeoutException("upstream " + upstream + " sent nothing of the body for " + limit);
    }
}
