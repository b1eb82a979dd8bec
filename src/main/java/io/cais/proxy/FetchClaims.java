package io.cais.proxy;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.FetchClaimStore;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One fetch for many across replicas: before a replica asks the upstream for a manifest or blob, it claims it in
 * PostgreSQL ({@link FetchClaimStore}). A replica that finds another's live claim polls, with backoff, until the
 * content is stored (or pending) and serves it from there; when the claim is released or goes stale without the
 * content, it claims and fetches itself. Within one replica the in-flight maps of {@link PullThrough} come first, so
 * one request per replica polls. The claims this replica holds get a heartbeat every {@code cais.proxy.claim-heartbeat}.
 */
@ApplicationScoped
public class FetchClaims {

    private static final Logger LOG = Logger.getLogger(FetchClaims.class);
    private static final Duration FIRST_POLL = Duration.ofMillis(20);
    private static final Duration LONGEST_POLL = Duration.ofSeconds(1);

    /** This process: a new identity per start, so no claim of an earlier run is ever taken for its own. */
    private final String replica = UUID.randomUUID().toString();
    private final AtomicInteger held = new AtomicInteger();

    @Inject
    FetchClaimStore store;

    @Inject
    ProxyConfig config;

    /** Either the content another request stored meanwhile ({@code found}), or this replica's claim to fetch it. */
    public record Turn<T>(T found, Claim claim) {
    }

    /** A held claim; closing it releases it (the fetch is done, or failed). */
    public final class Claim implements AutoCloseable {
        private final String repository;
        private final String resource;
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Claim(String repository, String resource) {
            this.repository = repository;
            this.resource = resource;
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                held.decrementAndGet();
                try {
                    store.release(repository, resource, replica);
                } catch (RuntimeException e) {
                    // Not fatal: without heartbeats the claim is stale after cais.proxy.claim-expiry.
                    LOG.warnf(e, "could not release the fetch claim of %s %s", repository, resource);
                }
            }
        }
    }

    /** This replica's identity in claims and pre-fetch jobs. */
    public String replica() {
        return replica;
    }

    /**
     * Waits, for at most {@code wait}, until {@code stored} finds the content or this replica holds the claim of
     * {@code resource} ({@code manifests/<reference>}, {@code blobs/<digest>}).
     */
    public <T> Turn<T> awaitOrClaim(String repository, String resource, Supplier<Optional<T>> stored, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        Duration pause = FIRST_POLL;
        while (true) {
            Optional<T> found = stored.get();
            if (found.isPresent()) {
                return new Turn<>(found.get(), null);
            }
            if (store.claim(repository, resource, replica, config.claimExpiry())) {
                held.incrementAndGet();
                Claim claim = new Claim(repository, resource);
                // The previous holder may have stored it and released between our look and our claim.
                Optional<T> meanwhile = stored.get();
                if (meanwhile.isPresent()) {
                    claim.close();
                    return new Turn<>(meanwhile.get(), null);
                }
                return new Turn<>(null, claim);
            }
            if (System.nanoTime() + pause.toNanos() > deadline) {
                throw new RegistryException(ErrorCode.UNAVAILABLE,
                        "timed out waiting for another replica's fetch from the upstream", resource);
            }
            sleep(pause);
            pause = pause.multipliedBy(2).compareTo(LONGEST_POLL) > 0 ? LONGEST_POLL : pause.multipliedBy(2);
        }
    }

    @Scheduled(every = "${cais.proxy.claim-heartbeat}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        if (held.get() > 0) {
            store.refresh(replica);
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while waiting for the upstream");
        }
    }
}
