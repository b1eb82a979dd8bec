package io.cais.stats;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Pull statistics of tags and manifests. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.pull-statistics")
public interface PullStatisticsConfig {

    /** How often each replica adds the pulls it counted to PostgreSQL (and at shutdown). */
    @WithDefault("PT5S")
    Duration flushInterval();
}
