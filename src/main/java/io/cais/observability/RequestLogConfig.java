package io.cais.observability;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The request log. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.request-log")
public interface RequestLogConfig {

    /** Log one line per request (category {@code io.cais.request}); health probes and metric scrapes are left out. */
    @WithDefault("true")
    boolean enabled();
}
