package io.cais.upload;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Upload housekeeping. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.upload")
public interface UploadConfig {

    /** An upload untouched for this long is abandoned: its session and stored segments are deleted. */
    @WithDefault("PT24H")
    Duration expiry();

    /**
     * How often each replica looks for abandoned uploads (replicas never pick the same ones). The scheduler reads it
     * by name ({@link UploadJanitor}); this is its one default.
     */
    @WithDefault("15m")
    String cleanupInterval();
}
