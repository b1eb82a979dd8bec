package io.cais.observability;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Health checks. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.health")
public interface HealthConfig {

    /**
     * How long the readiness check waits for the blob store to answer before reporting it DOWN; a store that
     * hangs must not hang the probe too.
     */
    @WithDefault("PT5S")
    Duration storeTimeout();
}
