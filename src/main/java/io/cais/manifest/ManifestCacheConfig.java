package io.cais.manifest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** The cache of resolved manifests on the pull path. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.manifest-cache")
public interface ManifestCacheConfig {

    /**
     * Serve manifest HEAD and GET from memory when the same repository and reference were resolved before and
     * nothing in that repository changed since (changes reach every replica through PostgreSQL notifications).
     */
    @WithDefault("true")
    boolean enabled();

    /** Memory the cached manifests may take, counted in manifest bytes plus a small overhead per entry. */
    @WithDefault("33554432")
    long maxBytes();

    /** Longest time an entry is served without reading the database again, a bound on any missed change. */
    @WithDefault("PT5M")
    Duration maxAge();
}
