package io.cais.retention;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Retention. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.retention")
public interface RetentionConfig {

    /** Whether this replica runs the namespaces' rules on its own; on-demand runs work either way. */
    @WithDefault("true")
    boolean enabled();

    /** How often each replica tries to run every namespace's rules (one replica at a time per namespace). */
    @WithDefault("1h")
    String interval();

    /** A manifest pulled within this window is never deleted by retention, whatever the rules say. */
    @WithDefault("P30D")
    Duration protectionWindow();
}
