package io.cais.error;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How Cais answers while PostgreSQL or the blob store is down. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.outage")
public interface OutageConfig {

    /** Sent as {@code Retry-After} (whole seconds) with every 503 answer during an outage. */
    @WithDefault("PT5S")
    Duration retryAfter();

    /** How often a dependency that failed is probed until it answers again, which ends the outage in the log. */
    @WithDefault("PT1S")
    Duration probeInterval();
}
