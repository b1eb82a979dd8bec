package io.cais.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cais.content.Descriptor;
import io.cais.content.Digest;
import io.cais.content.DigestAlgorithm;
import io.cais.content.ManifestParser;
import io.cais.content.ParsedManifest;
import io.cais.content.Reference;
import io.cais.distribution.DistributionConfig;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.manifest.ManifestLookup;
import io.cais.manifest.Manifests;
import io.cais.metadata.BlobLinkStore;
import io.cais.metadata.ManifestRecord;
import io.cais.metadata.PendingManifestStore;
import io.cais.metadata.PendingManifestStore.PendingManifest;
import io.cais.upload.UploadStatus;
import io.cais.upload.Uploads;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.StreamingOutput;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The pull-through cache: what a pull of a cache namespace's repository does when the content is not stored, or when
 * a cached tag is due for revalidation. Fetched content is stored as ordinary content through the same paths as a
 * push ({@link Uploads} for blobs, {@link Manifests} for manifests), so quotas, usage, garbage collection and roles
 * apply to it.
 *
 * <p>One fetch for many: on this replica, concurrent cold requests for the same manifest or blob share one upstream
 * request (an in-flight map): the first request's client is sent the blob while it is stored, the others wait and
 * then read it from the store. Across replicas, that first request claims the fetch in PostgreSQL
 * ({@link FetchClaims}); the first request of another replica waits for the content instead of fetching it again.
 *
 * <p>An image manifest references blobs that must be stored before it ({@code manifest_blob} rows refer to blob
 * rows), and a client fetches the manifest first: a fetched image manifest whose blobs are not all cached yet is
 * kept "pending" in PostgreSQL ({@link PendingManifestStore}), served by every replica, and stored by whichever
 * replica stores its last blob. An index is stored at once, without its children (only the platforms that are
 * pulled are ever fetched).
 */
@ApplicationScoped
public class PullThrough {

    private static final Logger LOG = Logger.getLogger(PullThrough.class);
    /**
     * How long a follower waits for the request that fetches what it wants — on this replica, or, through its claim,
     * on another — before it tries itself (here) or gives up with 503 (across replicas, while the claim stays live).
     */
    private static final Duration FOLLOWER_WAIT = Duration.ofMinutes(30);

    /** A manifest as served, with a {@code Warning} to send when it is a cached copy the upstream could not confirm. */
    public record Served(ManifestRecord manifest, String warning) {
    }

    /** A cold blob: this request streams it from the upstream while it is stored, or it is in the store now. */
    public sealed interface BlobFetch {
        record Streaming(long length, StreamingOutput body) implements BlobFetch {
        }

        record Stored() implements BlobFetch {
        }
    }

    /** A fetched manifest, as the push that stores it needs it. */
    private record Fetched(String repository, Reference reference, String contentType, byte[] body, ParsedManifest parsed) {
    }

    @Inject
    Upstreams upstreams;

    @Inject
    UpstreamClient client;

    @Inject
    ManifestLookup lookup;

    @Inject
    Manifests manifests;

    @Inject
    BlobLinkStore links;

    @Inject
    Uploads uploads;

    @Inject
    DistributionConfig distribution;

    @Inject
    ProxyConfig config;

    @Inject
    PendingManifestStore pending;

    @Inject
    FetchClaims claims;

    private final Map<String, CompletableFuture<ManifestRecord>> manifestsInFlight = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> blobsInFlight = new ConcurrentHashMap<>();
    private Cache<String, Boolean> revalidated;

    @jakarta.annotation.PostConstruct
    void start() {
        revalidated = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(config.tagRevalidation()).build();
    }

    /** Whether the repository belongs to a cache namespace. */
    public boolean caches(String repository) {
        return upstreams.forRepository(repository).isPresent();
    }

    /**
     * The manifest of a cache repository: stored (a tag revalidated when due), pending, or fetched now. By digest,
     * a cached manifest never goes upstream.
     */
    public Served manifest(String repository, Reference reference, boolean withBody, boolean fresh) {
        Upstream upstream = upstreams.forRepository(repository).orElseThrow();
        String key = key(repository, reference);
        Optional<ManifestRecord> stored = lookup.find(repository, reference, withBody, fresh);
        if (stored.isPresent()) {
            if (reference instanceof Reference.ByDigest || revalidated.asMap().putIfAbsent(key, Boolean.TRUE) != null) {
                return new Served(stored.get(), null);
            }
            return revalidate(upstream, repository, (Reference.Tag) reference, stored.get(), withBody);
        }
        // Asked after the stored one, so the hot path of a stored tag costs no query more. A tag that moved upstream
        // while its new manifest is pending is served as stored until this replica revalidates it and finds that one.
        Optional<ManifestRecord> waiting = pendingRecord(repository, reference);
        return new Served(waiting.orElseGet(() -> fetchShared(upstream, repository, reference, null)), null);
    }

    private Optional<ManifestRecord> pendingRecord(String repository, Reference reference) {
        return pending.find(repository, reference.toString()).map(PendingManifest::record);
    }

    /**
     * One {@code HEAD} upstream: the stored manifest when the tag still names it; the new one when the tag moved;
     * the stored one with a warning when the upstream cannot answer (429, 5xx, timeout, unreachable) or says the tag
     * is gone (404: the cached tag is kept and served — an upstream's deleted tag does not break a cluster's pulls;
     * delete it in Cais to drop it).
     */
    private Served revalidate(Upstream upstream, String repository, Reference.Tag tag, ManifestRecord stored,
                              boolean withBody) {
        String path = upstream.upstreamPath(repository);
        int status;
        Optional<String> digest;
        try {
            HttpResponse<InputStream> head = client.send(upstream, path, "manifests/" + tag.name(), true,
                    UpstreamClient.MANIFEST_ACCEPT);
            head.body().close();
            status = head.statusCode();
            digest = head.headers().firstValue("Docker-Content-Digest");
        } catch (IOException e) {
            return stale(upstream, repository, tag, stored, "unreachable (" + describe(e) + ")");
        } catch (RegistryException refused) {
            // Not asked: its connections are busy or its request rate is spent (UpstreamClient).
            return stale(upstream, repository, tag, stored, "not asked: " + refused.getMessage());
        }
        if (status == 404) {
            LOG.warnf("upstream %s no longer has %s:%s; serving the cached %s", upstream.name(), path, tag.name(),
                    stored.digest());
            return new Served(stored, warning(upstream, "the tag is gone upstream; serving the cached copy"));
        }
        if (status != 200) {
            return stale(upstream, repository, tag, stored, "answered " + status);
        }
        if (digest.isPresent() && digest.get().equals(stored.digest())) {
            return new Served(stored, null);
        }
        try {
            ManifestRecord moved = fetchShared(upstream, repository, tag, stored.digest());
            LOG.infof("tag %s:%s moved upstream from %s to %s", repository, tag.name(), stored.digest(), moved.digest());
            return new Served(moved, null);
        } catch (RegistryException e) {
            if (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.TOOMANYREQUESTS) {
                return stale(upstream, repository, tag, stored, e.getMessage());
            }
            throw e;
        }
    }

    private Served stale(Upstream upstream, String repository, Reference.Tag tag, ManifestRecord stored, String why) {
        LOG.warnf("serving the cached %s:%s (%s) unrevalidated: upstream %s %s", repository, tag.name(), stored.digest(),
                upstream.name(), why);
        return new Served(stored, warning(upstream, "upstream " + why + "; serving the cached copy"));
    }

    /** RFC 7234's "110 Response is Stale", with why. */
    private static String warning(Upstream upstream, String text) {
        return "110 cais \"" + text.replace('"', '\'') + " (upstream " + upstream.name() + ")\"";
    }

    /**
     * The manifest fetched by exactly one request on this replica; the others wait for its answer. That request
     * fetches it only when no other replica does: else it waits for what that one stores. {@code replacing}: the
     * stored digest a moved tag replaces (null for a cold fetch).
     */
    private ManifestRecord fetchShared(Upstream upstream, String repository, Reference reference, String replacing) {
        String key = key(repository, reference);
        CompletableFuture<ManifestRecord> mine = new CompletableFuture<>();
        CompletableFuture<ManifestRecord> running = manifestsInFlight.putIfAbsent(key, mine);
        if (running != null) {
            return await(running);
        }
        try {
            // Another request may have stored it between our miss and our claim: then it is not fetched again.
            FetchClaims.Turn<ManifestRecord> turn = claims.awaitOrClaim(repository, "manifests/" + reference,
                    () -> pendingRecord(repository, reference).or(() -> lookup.find(repository, reference, true, true)
                            .filter(stored -> !stored.digest().equals(replacing))), FOLLOWER_WAIT);
            ManifestRecord record;
            if (turn.found() != null) {
                record = turn.found();
            } else {
                try (FetchClaims.Claim claim = turn.claim()) {
                    record = fetch(upstream, repository, reference);
                }
            }
            mine.complete(record);
            return record;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            manifestsInFlight.remove(key, mine);
        }
    }

    private ManifestRecord fetch(Upstream upstream, String repository, Reference reference) {
        String path = upstream.upstreamPath(repository);
        byte[] body;
        String contentType;
        try {
            HttpResponse<InputStream> response = client.send(upstream, path, "manifests/" + reference, false,
                    UpstreamClient.MANIFEST_ACCEPT);
            try (InputStream in = response.body()) {
                if (response.statusCode() == 404) {
                    throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown to upstream " + upstream.name(),
                            Map.of("upstream", upstream.name(), "repository", path, "reference", reference.toString()));
                }
                if (response.statusCode() != 200) {
                    throw failure(upstream, response);
                }
                int max = distribution.maxManifestSize();
                body = in.readNBytes(max + 1);
                if (body.length > max) {
                    throw new RegistryException(ErrorCode.MANIFEST_INVALID, "the upstream's manifest is larger than the limit",
                            Map.of("maxBytes", max));
                }
                contentType = response.headers().firstValue("Content-Type").orElse(null);
            }
        } catch (IOException e) {
            throw unreachable(upstream, e);
        }
        Digest digest = Manifests.digestOf(body, reference instanceof Reference.ByDigest(Digest d) ? d.algorithm()
                : DigestAlgorithm.SHA256);
        if (reference instanceof Reference.ByDigest(Digest asked) && !asked.equals(digest)) {
            throw new RegistryException(ErrorCode.UNAVAILABLE, "upstream " + upstream.name()
                    + " sent a manifest that does not match the digest asked for", Map.of("actual", digest.toString()));
        }
        ParsedManifest parsed = ManifestParser.parse(body, contentType);
        ManifestRecord record = new ManifestRecord(0, digest.toString(), parsed.mediaType(), body.length, body);
        if (!store(new Fetched(repository, reference, contentType, body, parsed))) {
            pending.put(repository, reference.toString(), record.digest(), record.mediaType(), contentType, body);
            if (reference instanceof Reference.Tag) {
                // Clients resolve a tag, then ask for the manifest by its digest: that is served from here too.
                pending.put(repository, digest.toString(), record.digest(), record.mediaType(), contentType, body);
            }
            // A replica that stored the last blob before the rows above were written did not see them.
            storePending(repository);
        }
        if (reference instanceof Reference.Tag) {
            revalidated.put(key(repository, reference), Boolean.TRUE);
        }
        return record;
    }

    /** Stores the manifest when every blob it references is cached in the repository; false when not yet. */
    private boolean store(Fetched fetched) {
        for (Descriptor blob : fetched.parsed().blobs()) {
            if (links.linkedSize(fetched.repository(), blob.digest()).isEmpty()) {
                return false;
            }
        }
        try {
            manifests.putCached(fetched.repository(), fetched.reference(), fetched.contentType(), fetched.body());
            return true;
        } catch (RegistryException e) {
            if (e.code() == ErrorCode.MANIFEST_BLOB_UNKNOWN) {
                return false; // a blob was unlinked meanwhile: stored once it is cached again
            }
            throw e;
        }
    }

    /** Stores the repository's pending manifests whose blobs are all cached now, whichever replica fetched them. */
    void storePending(String repository) {
        for (PendingManifest waiting : pending.list(repository)) {
            try {
                Fetched fetched = new Fetched(repository, Reference.parse(waiting.reference()), waiting.contentType(),
                        waiting.payload(), ManifestParser.parse(waiting.payload(), waiting.contentType()));
                if (store(fetched)) {
                    pending.delete(repository, waiting.reference(), waiting.digest());
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "could not store the cached manifest %s %s", repository, waiting.reference());
            }
        }
    }

    /** The size the upstream reports for a blob (a HEAD of a cold blob stores nothing). */
    public OptionalLong upstreamSize(String repository, Digest digest) {
        Upstream upstream = upstreams.forRepository(repository).orElseThrow();
        try {
            HttpResponse<InputStream> head = client.send(upstream, upstream.upstreamPath(repository), "blobs/" + digest,
                    true, null);
            head.body().close();
            if (head.statusCode() == 404) {
                return OptionalLong.empty();
            }
            if (head.statusCode() != 200) {
                throw failure(upstream, head);
            }
            return head.headers().firstValueAsLong("Content-Length");
        } catch (IOException e) {
            throw unreachable(upstream, e);
        }
    }

    /**
     * A blob the repository does not link: streamed from the upstream while it is stored, by exactly one request of
     * all replicas; the others wait for it and then read the store.
     */
    public BlobFetch blob(String repository, Digest digest) {
        Upstream upstream = upstreams.forRepository(repository).orElseThrow();
        String key = repository + "@" + digest;
        while (true) {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> running = blobsInFlight.putIfAbsent(key, mine);
            if (running != null) {
                if (awaitBlob(running)) {
                    return new BlobFetch.Stored();
                }
                continue; // the fetching request never started: try again
            }
            boolean handedOver = false;
            try {
                FetchClaims.Turn<Long> turn = claims.awaitOrClaim(repository, "blobs/" + digest,
                        () -> links.linkedSize(repository, digest).stream().boxed().findFirst(), FOLLOWER_WAIT);
                if (turn.found() != null) {
                    return new BlobFetch.Stored();
                }
                FetchClaims.Claim claim = turn.claim();
                HttpResponse<InputStream> response;
                try {
                    response = open(upstream, repository, digest);
                } catch (RuntimeException e) {
                    claim.close();
                    throw e;
                }
                long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                StreamingOutput body = out -> {
                    try (claim) {
                        store(upstream, repository, digest, response.body(), out);
                        mine.complete(null);
                    } catch (IOException | RuntimeException e) {
                        mine.completeExceptionally(e);
                        throw e;
                    } finally {
                        blobsInFlight.remove(key, mine);
                    }
                };
                handedOver = true;
                return new BlobFetch.Streaming(length, body);
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                if (!handedOver) {
                    mine.complete(null);
                    blobsInFlight.remove(key, mine);
                }
            }
        }
    }

    private HttpResponse<InputStream> open(Upstream upstream, String repository, Digest digest) {
        try {
            HttpResponse<InputStream> response = client.send(upstream, upstream.upstreamPath(repository),
                    "blobs/" + digest, false, null);
            if (response.statusCode() == 200) {
                return response;
            }
            response.body().close();
            if (response.statusCode() == 404) {
                throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to upstream " + upstream.name(),
                        digest.toString());
            }
            throw failure(upstream, response);
        } catch (IOException e) {
            throw unreachable(upstream, e);
        }
    }

    /** Stores the upstream's bytes through an ordinary upload (digest checked), copying them to the client as they pass. */
    private void store(Upstream upstream, String repository, Digest digest, InputStream upstreamBody, OutputStream client)
            throws IOException {
        UploadStatus upload = uploads.start(repository, digest.algorithm());
        TeeToClient tee = new TeeToClient(upstreamBody, client);
        try (tee) {
            uploads.complete(repository, upload.id(), digest, tee, null);
        } catch (IOException | RuntimeException e) {
            if (tee.upstreamFailure() == null) {
                throw e;
            }
            // The partial upload goes now rather than at its expiry. Named for what failed: a client that has had
            // nothing of the blob yet is answered this; one that has, is cut off.
            cancelQuietly(repository, upload);
            LOG.warnf("upstream %s stopped sending %s of %s: %s", upstream.name(), digest, repository,
                    describe(tee.upstreamFailure()));
            throw new RegistryException(ErrorCode.UNAVAILABLE, "upstream " + upstream.name() + " stopped sending the blob ("
                    + describe(tee.upstreamFailure()) + "); retry", Map.of("upstream", upstream.name()));
        }
        storePending(repository);
    }

    private void cancelQuietly(String repository, UploadStatus upload) {
        try {
            uploads.cancel(repository, upload.id());
        } catch (RuntimeException e) {
            LOG.debugf(e, "the abandoned upload %s is left to expire", upload.id());
        }
    }

    private static ManifestRecord await(CompletableFuture<ManifestRecord> running) {
        try {
            return running.get(FOLLOWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RegistryException registry ? registry
                    : new RegistryException(ErrorCode.UNAVAILABLE, "fetching from the upstream failed");
        } catch (TimeoutException e) {
            throw new RegistryException(ErrorCode.UNAVAILABLE, "timed out waiting for the upstream");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while waiting for the upstream");
        }
    }

    /** True when the blob was stored by the request that fetched it; false when that one timed out (try again). */
    private static boolean awaitBlob(CompletableFuture<Void> running) {
        try {
            running.get(FOLLOWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RegistryException registry ? registry
                    : new RegistryException(ErrorCode.UNAVAILABLE, "fetching the blob from the upstream failed");
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while waiting for the upstream");
        }
    }

    private static RegistryException failure(Upstream upstream, HttpResponse<?> response) {
        int status = response.statusCode();
        if (status == 429) {
            // The upstream's own wait when it says one in seconds (an HTTP date is not passed on).
            String retryAfter = response.headers().firstValue("Retry-After").filter(s -> s.matches("[0-9]{1,6}")).orElse("10");
            return new RegistryException(ErrorCode.TOOMANYREQUESTS, "upstream " + upstream.name() + " is rate limiting",
                    upstream.name()).withHeaders(Map.of("Retry-After", retryAfter));
        }
        String why = status == 401 || status == 403 ? "refused Cais's credentials (" + status + ")" : "answered " + status;
        return new RegistryException(ErrorCode.UNAVAILABLE, "upstream " + upstream.name() + " " + why,
                Map.of("upstream", upstream.name(), "status", status));
    }

    private static RegistryException unreachable(Upstream upstream, IOException e) {
        LOG.warnf("upstream %s is unreachable: %s", upstream.name(), describe(e));
        return new RegistryException(ErrorCode.UNAVAILABLE, "upstream " + upstream.name()
                + " is unreachable and the content is not cached", Map.of("upstream", upstream.name()));
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private static String key(String repository, Reference reference) {
        return repository + " " + reference;
    }
}
