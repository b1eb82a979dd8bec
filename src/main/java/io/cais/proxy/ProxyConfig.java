package io.cais.proxy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** The pull-through cache. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.proxy")
public interface ProxyConfig {

    /**
     * How long a cached tag is served without asking the upstream: after this, the next pull of the tag sends one
     * {@code HEAD} upstream (per replica) and follows the tag when it moved.
     */
    @WithDefault("PT5M")
    Duration tagRevalidation();

    /** Longest time to open a connection to an upstream. */
    @WithDefault("PT5S")
    Duration connectTimeout();

    /** Longest wait for an upstream's response headers (a manifest, a HEAD, a token, the start of a blob). */
    @WithDefault("PT30S")
    Duration requestTimeout();

    /**
     * Longest silence of an upstream inside a response body (a manifest, a blob, a token): the transfer is abandoned,
     * a blob's partial upload is discarded, and the client being streamed the blob loses its connection.
     */
    @WithDefault("PT30S")
    Duration readTimeout();

    /**
     * How long a request waits for one of its upstream's connections ({@code maxConcurrency}) before it is
     * answered 429.
     */
    @WithDefault("PT30S")
    Duration concurrencyWait();

    /** How long this replica trusts its copy of the upstream list; changes made on another replica show after this. */
    @WithDefault("PT10S")
    Duration upstreamRefresh();

    /**
     * Base64 of a 128, 192 or 256 bit AES key that seals upstream passwords in the database (AES-GCM). Without one,
     * passwords are stored as given (never returned by the API either way).
     */
    Optional<String> credentialsKey();

    /**
     * How often a replica refreshes the heartbeat of its fetch claims (a manifest or blob it fetches from the upstream
     * while other replicas wait for it) and of its running pre-fetch jobs, and looks for a job to take over.
     */
    @WithDefault("PT5S")
    Duration claimHeartbeat();

    /**
     * A fetch claim or pre-fetch job whose heartbeat is older than this is given up: another replica fetches the
     * content itself, or takes the job over. Longer than {@code claim-heartbeat}.
     */
    @WithDefault("PT30S")
    Duration claimExpiry();
}
