package io.cais.console;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** The web console under {@code /ui}. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.console")
public interface ConsoleConfig {

    /** How long a console sign-in lasts; a password change ends every session of the user at once. */
    @WithDefault("PT8H")
    Duration sessionLifetime();

    /** Rows per page of the repository and tag lists (the page asks for at most 500). */
    @WithDefault("50")
    int pageSize();
}
