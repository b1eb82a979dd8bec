package io.cais.gc;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Online garbage collection. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.gc")
public interface GcConfig {

    /** Whether this replica's workers collect on their own; {@code POST /api/v1/gc} works either way. */
    @WithDefault("true")
    boolean enabled();

    /**
     * How long after a reference disappeared (or a blob was linked) its review is due: a layer pushed before its
     * manifest, an image pushed by digest before its tag, stays at least this long.
     */
    @WithDefault("PT24H")
    Duration reviewDelay();

    /** How often each replica's worker takes due reviews. The scheduler reads it by name ({@link GcWorker}). */
    @WithDefault("1m")
    String interval();

    /** Reviews per transaction: small, so that no push waits long for a collector's lock. */
    @WithDefault("100")
    int batchSize();
}
