package io.cais.sweep;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** The store sweep. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.sweep")
public interface SweepConfig {

    /** Whether replicas sweep periodically (one at a time); {@code POST /api/v1/sweep} works either way. */
    @WithDefault("true")
    boolean enabled();

    /** How often each replica tries to sweep. The scheduler reads it by name ({@link StoreSweep}); this is its one default. */
    @WithDefault("6h")
    String interval();

    /**
     * Objects younger than this are never swept: one may belong to a commit whose row is about to be written, or to
     * a chunk whose row is being updated.
     */
    @WithDefault("PT24H")
    Duration graceDelay();
}
