package io.cais.platform;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Request limits outside the blob routes. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.limits")
public interface LimitsConfig {

    /** The largest request body the admin API ({@code /api}) and the token endpoint ({@code /auth}) accept, in bytes. */
    @WithDefault("1048576")
    long maxApiBodySize();
}
