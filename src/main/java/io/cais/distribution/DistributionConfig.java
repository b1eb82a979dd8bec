package io.cais.distribution;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Limits of the distribution API. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.distribution")
public interface DistributionConfig {

    /** Largest manifest accepted, in bytes; larger pushes get 413 (Distribution and Zot use 4 MiB too). */
    @WithDefault("4194304")
    int maxManifestSize();

    /**
     * Largest page of the tag list, catalog and referrers; a client asking for more ({@code n}) gets this many
     * and a Link to the next page. Bounds the memory a single request can make the registry allocate.
     */
    @WithDefault("1000")
    int maxPageSize();
}
