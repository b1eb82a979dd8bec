package io.cais.storage;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A range of a stored blob as a paused Vert.x stream: its buffers can go to the response as they arrive, on the
 * event loop, with no blocking stream and no copy into a buffer of ours. The store already answered (status line
 * and headers): a failure after this is one in the middle of the body. {@link #abort} drops the stream (the
 * client went away) and releases what it holds. The stream's handlers run on {@code context}, and so must every
 * call on the stream.
 */
public record BlobBody(ReadStream<Buffer> stream, long length, Context context, Runnable abort) {
}
