package io.cais.observability;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Usage gauges. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.usage")
public interface UsageConfig {

    /**
     * How often each replica reads every namespace's stored bytes and quota into its gauges (one indexed query with
     * one row per namespace). The scheduler reads it by name ({@link UsageMetrics}); this is its one default.
     */
    @WithDefault("1m")
    String metricsInterval();
}
