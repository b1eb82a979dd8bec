package io.cais.sweep;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The consistency check ({@code POST /api/v1/fsck}). Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.fsck")
public interface FsckConfig {

    /** Most bytes per second a re-hashing check reads from the store; 0 for no limit. */
    @WithDefault("52428800")
    long rehashRate();

    /** Fraction of blobs {@code rehash: "sample"} re-hashes, picked at random. */
    @WithDefault("0.01")
    double sampleRate();
}
