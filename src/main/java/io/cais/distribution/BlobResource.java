package io.cais.distribution;

import io.cais.alias.ArchAliases;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.content.Digest;
import io.cais.content.RepositoryName;
import io.cais.error.Dependency;
import io.cais.error.ErrorCode;
import io.cais.error.Outages;
import io.cais.error.RegistryException;
import io.cais.metadata.BlobLinkStore;
import io.cais.observability.TransferMetrics;
import io.cais.proxy.PullThrough;
import io.cais.storage.BlobBody;
import io.cais.storage.BlobContent;
import io.cais.storage.BlobStore;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.PathPart;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Blob reads and deletes: {@code HEAD|GET|DELETE /v2/<name>/blobs/<digest>}. */
@Path("/v2")
@RunOnVirtualThread
public class BlobResource {

    private static final String OCTET_STREAM = "application/octet-stream";
    private static final Logger LOG = Logger.getLogger(BlobResource.class);
    /** As large as the response's output buffer (quarkus.rest.output-buffer-size): one hand-over per read. */
    private static final int RELAY_BUFFER = 256 * 1024;
    /** How long a cut waits to see its connection closed: a loopback close takes microseconds. */
    private static final Duration CUT_WAIT = Duration.ofSeconds(2);

    @Inject
    BlobLinkStore links;

    @Inject
    BlobStore store;

    @Inject
    ArchAliases aliases;

    @Inject
    TransferMetrics metrics;

    @Inject
    Outages outages;

    @Inject
    PullThrough proxy;

    @HEAD
    @Authorize(Rule.REPOSITORY_PULL)
    @Path("{name: .+}/blobs/{digest: [^/]+}")
    public Response head(@PathParam("name") String name, @PathParam("digest") String digestParam,
                         @HeaderParam("If-None-Match") String ifNoneMatch) {
        String repository = RepositoryName.require(name);
        Digest digest = Digest.parse(digestParam);
        long size = proxy.caches(repository) && links.linkedSize(repository, digest).isEmpty()
                ? proxy.upstreamSize(repository, digest).orElseThrow(() -> unknown(digest))
                : linkedSize(repository, digest);
        if (ConditionalRequests.notModified(ifNoneMatch, digest.toString())) {
            return notModified(digest);
        }
        return blobHeaders(Response.ok(), digest, size).build();
    }

    @GET
    @Authorize(Rule.REPOSITORY_PULL)
    @Path("{name: .+}/blobs/{digest: [^/]+}")
    public Response get(@PathParam("name") String name, @PathParam("digest") String digestParam,
                        @HeaderParam("Range") String rangeHeader, @HeaderParam("If-None-Match") String ifNoneMatch,
                        @Context HttpServerRequest httpRequest) throws IOException {
        String repository = RepositoryName.require(name);
        Digest digest = Digest.parse(digestParam);
        if (ConditionalRequests.notModified(ifNoneMatch, digest.toString())) {
            linkedSize(repository, digest);
            return notModified(digest);
        }
        if (proxy.caches(repository) && links.linkedSize(repository, digest).isEmpty()) {
            PullThrough.BlobFetch fetch = proxy.blob(repository, digest);
            if (fetch instanceof PullThrough.BlobFetch.Streaming cold) {
                if (rangeHeader == null) {
                    return coldBlob(digest, cold, httpRequest);
                }
                cold.body().write(OutputStream.nullOutputStream()); // a range of a cold blob: store it whole first
            }
        }
        long size = linkedSize(repository, digest);
        Optional<URI> redirect = store.redirect(digest);
        if (redirect.isPresent()) {
            return Response.temporaryRedirect(redirect.get())
                    .header(RegistryHeaders.CONTENT_DIGEST, digest.toString()).build();
        }
        Optional<ByteRange> range = ByteRange.parse(rangeHeader, size);
        long offset = range.map(ByteRange::offset).orElse(0L);
        long length = range.map(ByteRange::length).orElse(size);
        Response.ResponseBuilder response = range.isPresent()
                ? Response.status(206).header("Content-Range", range.get().contentRange(size))
                : Response.ok();
        Optional<BlobBody> body = store.openBody(digest, offset, length);
        if (body.isPresent()) {
            return blobHeaders(response.entity(body.get()), digest, length).build(); // see BlobBodyWriter
        }
        BlobContent content = store.read(digest, offset, length);
        Object entity = switch (content) {
            case BlobContent.FileRegion file -> {
                metrics.pulled(file.length()); // sent by the kernel (sendfile): counted when handed over
                yield new PathPart(file.path(), file.offset(), file.length());
            }
            case BlobContent.Stream stream -> (StreamingOutput) out -> relay(stream.stream(), out, httpRequest);
        };
        return blobHeaders(response.entity(entity), digest, length).build();
    }

    /**
     * A blob streamed from the upstream while it is stored; its length when the upstream gave one, else chunked. When
     * the fetch fails after part of the blob reached the client, the connection is cut as in {@link #relay}; before
     * that, the client gets the error JSON.
     */
    private Response coldBlob(Digest digest, PullThrough.BlobFetch.Streaming cold, HttpServerRequest httpRequest) {
        StreamingOutput body = out -> {
            try {
                cold.body().write(out);
            } catch (IOException | RuntimeException e) {
                if (httpRequest.response().headWritten()) {
                    cut(httpRequest);
                }
                throw e;
            }
        };
        Response.ResponseBuilder response = blobHeaders(Response.ok(body), digest, cold.length());
        if (cold.length() < 0) {
            response.header(HttpHeaders.CONTENT_LENGTH, null);
        }
        return response.build();
    }

    @DELETE
    @Authorize(Rule.REPOSITORY_DELETE)
    @Path("{name: .+}/blobs/{digest: [^/]+}")
    public Response delete(@PathParam("name") String name, @PathParam("digest") String digestParam) {
        String repository = RepositoryName.require(name);
        Digest digest = Digest.parse(digestParam);
        if (!links.unlink(repository, digest)) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to repository", digest.toString());
        }
        return Response.accepted().header(HttpHeaders.CONTENT_LENGTH, 0)
                .header(RegistryHeaders.CONTENT_DIGEST, digest.toString()).build();
    }

    /**
     * Copies a stored blob's stream to the client. When the store fails in the middle (it died, or went silent for
     * longer than its read timeout), the status line and length are long sent: the only honest answer left is to
     * cut the connection, so the client knows its copy is incomplete, and to end the request here, so it does not
     * stay counted in flight (which held up shutdown for the whole shutdown timeout). The outage is logged once,
     * like any other, not as an unexpected error per request.
     */
    private void relay(InputStream stored, OutputStream out, HttpServerRequest httpRequest) throws IOException {
        byte[] buffer = new byte[RELAY_BUFFER];
        long sent = 0;
        try (stored) {
            while (true) {
                int n;
                try {
                    // The S3 client's stream returns at most 8 KiB per read; fill the buffer instead, so each write
                    // to the response is one large piece rather than many small ones.
                    n = stored.readNBytes(buffer, 0, buffer.length);
                } catch (IOException storeFailed) {
                    outages.failed(Dependency.BLOB_STORE, storeFailed);
                    cut(httpRequest);
                    throw new RegistryException(ErrorCode.UNAVAILABLE, "the blob store failed while the blob was sent");
                }
                if (n == 0) {
                    return;
                }
                out.write(buffer, 0, n);
                sent += n;
            }
        } finally {
            metrics.pulled(sent);
        }
    }

    /**
     * Closes the connection and waits until Vert.x has seen it closed. Only that close ends the request for Quarkus'
     * in-flight count: RESTEasy answers the exception we throw next with {@code response.reset()}, which on HTTP/1.1
     * marks the response closed at once, and a response already marked closed fires no handler when its connection
     * goes — so if the reset came first, the request stayed counted until the shutdown timeout.
     */
    private static void cut(HttpServerRequest httpRequest) {
        HttpServerResponse response = httpRequest.response();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        response.closeHandler(ignored -> closed.complete(null));
        if (response.closed()) {
            return; // the client went first, and that close ended the request
        }
        httpRequest.connection().close();
        try {
            closed.get(CUT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.debugf("the connection of a cut blob stream was not seen closed within %s", CUT_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Response.ResponseBuilder blobHeaders(Response.ResponseBuilder response, Digest digest, long length) {
        return response
                .header(HttpHeaders.CONTENT_LENGTH, length)
                .header(HttpHeaders.CONTENT_TYPE, OCTET_STREAM)
                .header(RegistryHeaders.CONTENT_DIGEST, digest.toString())
                .header(HttpHeaders.ETAG, ConditionalRequests.etag(digest.toString()))
                .header(HttpHeaders.CACHE_CONTROL, ConditionalRequests.IMMUTABLE)
                .header("Accept-Ranges", "bytes");
    }

    private static Response notModified(Digest digest) {
        return Response.notModified().header(RegistryHeaders.CONTENT_DIGEST, digest.toString())
                .header(HttpHeaders.ETAG, ConditionalRequests.etag(digest.toString()))
                .header(HttpHeaders.CACHE_CONTROL, ConditionalRequests.IMMUTABLE).build();
    }

    /** The size of a blob the repository links, or that its name serves as an arch alias. */
    private long linkedSize(String name, Digest digest) {
        OptionalLong size = links.linkedSize(name, digest);
        if (size.isEmpty()) {
            size = aliases.blobSize(name, digest);
        }
        if (size.isEmpty()) {
            throw unknown(digest);
        }
        return size.getAsLong();
    }

    private static RegistryException unknown(Digest digest) {
        return new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to repository", digest.toString());
    }
}
