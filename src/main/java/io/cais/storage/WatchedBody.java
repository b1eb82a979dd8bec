package io.cais.storage;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.streams.ReadStream;

import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * An S3 response body whose read timeout counts only the time the body is wanted: not while the reader paused it
 * because its client is slow. (Vert.x' own idle timeout counts both, so a client that reads slower than S3 sends
 * would be cut after the timeout; the SDK's socket timeout only ever counted a blocked read.) When S3 stays silent
 * that long, the request to S3 is reset and the reader's exception handler gets a {@link SocketTimeoutException}.
 * Every call runs on the response's context, as its handlers do.
 */
final class WatchedBody implements ReadStream<Buffer> {

    private final HttpClientResponse response;
    private final Context context;
    private final long timeoutNanos;
    private Handler<Throwable> exceptionHandler;
    private long lastWanted = System.nanoTime();
    private boolean paused = true;
    private long timer = -1;
    private boolean over;

    WatchedBody(HttpClientResponse response, Context context, Duration timeout) {
        this.response = response;
        this.context = context;
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        response.handler(handler == null ? null : buffer -> {
            lastWanted = System.nanoTime();
            handler.handle(buffer);
        });
        return this;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        exceptionHandler = handler;
        response.exceptionHandler(failure -> {
            stop();
            if (exceptionHandler != null) {
                exceptionHandler.handle(failure);
            }
        });
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> handler) {
        response.endHandler(end -> {
            stop();
            if (handler != null) {
                handler.handle(end);
            }
        });
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        paused = true;
        response.pause();
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        if (paused) {
            paused = false;
            lastWanted = System.nanoTime(); // the silence counts from now
        }
        if (timer < 0 && !over) {
            long period = Math.max(50, Duration.ofNanos(timeoutNanos).toMillis() / 4);
            timer = context.owner().setPeriodic(period, tick -> checkSilence());
        }
        response.resume();
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        response.fetch(amount);
        return this;
    }

    /** Drops the body: the connection to S3 is closed, not left with unread bytes. */
    void abort() {
        stop();
        response.request().reset();
    }

    private void checkSilence() {
        if (over || paused || System.nanoTime() - lastWanted < timeoutNanos) {
            return;
        }
        abort();
        if (exceptionHandler != null) {
            exceptionHandler.handle(new SocketTimeoutException("S3 sent nothing of the blob for "
                    + Duration.ofNanos(timeoutNanos)));
        }
    }

    private void stop() {
        over = true;
        if (timer >= 0) {
            context.owner().cancelTimer(timer);
            timer = -1;
        }
    }
}
