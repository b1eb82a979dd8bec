package io.cais.distribution;

import io.cais.error.Dependency;
import io.cais.error.Outages;
import io.cais.observability.TransferMetrics;
import io.cais.storage.BlobBody;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.ReadStream;
import jakarta.inject.Inject;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.Provider;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveResourceInfo;
import org.jboss.resteasy.reactive.server.spi.ServerMessageBodyWriter;
import org.jboss.resteasy.reactive.server.spi.ServerRequestContext;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes a {@link BlobBody} to the client's connection: each buffer the store's stream delivers is written to the
 * response as it is, and the stream is paused while the connection's write queue is full (so a 1 GiB pull holds a
 * few buffers, not the blob). The status line and headers go out with the first buffer, as Quarkus REST set them.
 *
 * <p>When the store fails in the middle (it died, or went silent for longer than its read timeout), the status line
 * and length are long sent: the only honest answer left is to cut the connection, so the client knows its copy is
 * incomplete. The outage is logged once, like any other. When the client goes away first, the store's stream is
 * dropped.
 */
@Provider
@Produces(MediaType.WILDCARD)
public class BlobBodyWriter implements ServerMessageBodyWriter<BlobBody> {

    @Inject
    TransferMetrics metrics;

    @Inject
    Outages outages;

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, ResteasyReactiveResourceInfo target, MediaType mediaType) {
        return BlobBody.class.isAssignableFrom(type);
    }

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return BlobBody.class.isAssignableFrom(type);
    }

    @Override
    public void writeResponse(BlobBody body, Type genericType, ServerRequestContext context) {
        // Quarkus REST's own context, as its file writer casts it too: the only way to the Vert.x request.
        HttpServerRequest request = ((ResteasyReactiveRequestContext) context).serverRequest()
                .unwrap(HttpServerRequest.class);
        // Quarkus REST copies the response's headers into Vert.x' only as they are sent, but Vert.x refuses a write
        // that is not chunked unless its length is set before.
        request.response().putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length()));
        Relay relay = new Relay(body, request.response(), request);
        body.context().runOnContext(ignored -> relay.start());
    }

    @Override
    public void writeTo(BlobBody body, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                        MultivaluedMap<String, Object> httpHeaders, OutputStream entityStream) throws IOException {
        throw new UnsupportedOperationException("a blob body is written by writeResponse only");
    }

    /** One body on its way. Its handlers run on the store stream's context; the response's are sent there too. */
    private final class Relay {
        private final BlobBody body;
        private final ReadStream<Buffer> in;
        private final HttpServerResponse out;
        private final HttpServerRequest request;
        private final AtomicBoolean finished = new AtomicBoolean();
        private long sent;

        Relay(BlobBody body, HttpServerResponse out, HttpServerRequest request) {
            this.body = body;
            this.in = body.stream();
            this.out = out;
            this.request = request;
        }

        void start() {
            out.drainHandler(ignored -> body.context().runOnContext(resume -> {
                if (!finished.get()) {
                    in.resume();
                }
            }));
            out.closeHandler(ignored -> body.context().runOnContext(closed -> clientGone()));
            if (out.closed()) {
                clientGone(); // gone before the handler was set: it will not fire
                return;
            }
            in.handler(buffer -> {
                sent += buffer.length();
                out.write(buffer);
                if (out.writeQueueFull()) {
                    in.pause();
                }
            });
            in.exceptionHandler(this::storeFailed);
            in.endHandler(ignored -> {
                if (sent != body.length()) {
                    storeFailed(new IOException("the blob store ended the body after " + sent + " of "
                            + body.length() + " bytes"));
                } else if (finish()) {
                    out.end();
                }
            });
            in.resume();
        }

        private void storeFailed(Throwable failure) {
            if (finish()) {
                outages.failed(Dependency.BLOB_STORE, failure);
                request.connection().close();
            }
        }

        private void clientGone() {
            if (finish()) {
                body.abort().run();
            }
        }

        /** Marks the body done, once: counts what was sent. */
        private boolean finish() {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            metrics.pulled(sent);
            return true;
        }
    }
}
