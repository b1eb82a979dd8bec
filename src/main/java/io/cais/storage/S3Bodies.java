package io.cais.storage;

import io.minio.errors.ServerException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.impl.ContextInternal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Fetches blob objects from S3 for the response with Vert.x' HTTP client: the MinIO SDK only signs the GET (a
 * presigned URL), and the body arrives as Netty buffers on an event loop, ready to be written to the client's
 * connection with backpressure. Through the SDK (OkHttp, a blocking stream) every byte was copied into a buffer
 * of ours on a virtual thread and handed back to the event loop 256 KiB at a time: with S3, the client and Cais on
 * the same few cores, that CPU per byte was what made pulls slower than Distribution's.
 */
final class S3Bodies {

    /**
     * Largest buffer the body is handed over in. Vert.x' default, 8 KiB, splits each read from the socket into
     * pieces, and each piece is a write to the client's connection, flushed (a system call) on its own.
     */
    private static final int MAX_CHUNK = 256 * 1024;

    private final Vertx vertx;
    private final StorageConfig.S3 config;
    /**
     * One client per event loop, used only from requests on that loop: its connections to S3 are then opened on
     * the same loop as the client's connection, and every buffer is written to the response on the thread that read
     * it. With one shared pool, a pooled connection of another loop hands each buffer over to the response's loop.
     */
    private final Map<Object, HttpClient> clients = new ConcurrentHashMap<>();
    private final Duration readTimeout;
    private final long connectTimeoutMillis;

    S3Bodies(Vertx vertx, StorageConfig.S3 config) {
        this.vertx = vertx;
        this.config = config;
        this.readTimeout = config.readTimeout();
        this.connectTimeoutMillis = config.connectTimeout().toMillis();
    }

    /** The client of the calling request's event loop (a Vert.x context is current on its virtual thread too). */
    private HttpClient client() {
        Context context = Vertx.currentContext();
        // A thread without a context (none in a request) shares one more client.
        Object loop = context instanceof ContextInternal internal ? internal.nettyEventLoop() : S3Bodies.class;
        return clients.computeIfAbsent(loop, ignored -> vertx.createHttpClient(
                new HttpClientOptions().setConnectTimeout((int) connectTimeoutMillis).setKeepAlive(true)
                        .setMaxChunkSize(MAX_CHUNK),
                new PoolOptions().setHttp1MaxSize(config.maxConnections())));
    }

    /**
     * GETs {@code length} bytes from {@code offset} of the object at the presigned {@code url} and waits for the
     * status line (on the caller's virtual thread), so that a store that is down or silent fails the request as
     * before, within the connect and read timeouts, while its status can still be 503.
     */
    BlobBody open(URI url, long offset, long length) throws IOException {
        // No RequestOptions connect timeout: in Vert.x that is the wait for a pooled connection, which is queueing
        // behind this replica's own pulls, not a silent store (the TCP connect is bounded by the client's options).
        // Timed at connect-timeout, a node scale-up storm of 200 pulls failed dozens of layers with 503 (bench/run).
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url.toString())
                // Vert.x' idle timeout: the longest wait for the status line (the body's silences: see WatchedBody).
                .setIdleTimeout(readTimeout.toMillis())
                .putHeader("Range", "bytes=" + offset + "-" + (offset + length - 1));
        Context[] context = new Context[1];
        Future<HttpClientResponse> sent = client().request(request).compose(r -> r.send().map(response -> {
            response.pause(); // nothing flows until the response is ready to take it
            context[0] = Vertx.currentContext();
            return response;
        }));
        HttpClientResponse response = await(sent);
        if (!isTheRange(response, offset, length)) {
            response.request().reset();
            String message = "S3 answered " + response.statusCode() + " to GET " + url.getPath();
            if (response.statusCode() >= 500) {
                throw new IOException(message, new ServerException(message, response.statusCode(), null));
            }
            throw new IOException(message);
        }
        // Vert.x' idle timeout ended with the status line: the body's silences are timed by the body itself.
        WatchedBody body = new WatchedBody(response, context[0], readTimeout);
        return new BlobBody(body, length, context[0], () -> context[0].runOnContext(abort -> body.abort()));
    }

    /** A 206, or a 200 of exactly the bytes asked for (a store may ignore a range that is the whole object). */
    private static boolean isTheRange(HttpClientResponse response, long offset, long length) {
        return response.statusCode() == 206
                || response.statusCode() == 200 && offset == 0
                && String.valueOf(length).equals(response.getHeader("Content-Length"));
    }

    private static <T> T await(Future<T> future) throws IOException {
        try {
            return future.toCompletionStage().toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for S3");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TimeoutException) {
                SocketTimeoutException timeout = new SocketTimeoutException("S3 did not answer in time: " + cause.getMessage());
                timeout.initCause(cause);
                throw timeout;
            }
            throw new IOException("S3 request failed: " + cause, cause);
        }
    }

}
