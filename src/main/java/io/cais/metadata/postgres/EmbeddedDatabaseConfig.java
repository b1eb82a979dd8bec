package io.cais.metadata.postgres;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The embedded PostgreSQL that runs when no {@code quarkus.datasource.jdbc.url} is configured. These values
 * are read before Quarkus starts (the datasource needs the server running); the mapping documents them and
 * keeps Quarkus from flagging them as unknown.
 */
@ConfigMapping(prefix = "cais.embedded-database")
public interface EmbeddedDatabaseConfig {

    String DEFAULT_DATA_DIR = "data/postgres";
    String DEFAULT_PORT = "5433";

    /** Data directory; kept across restarts. */
    @WithDefault(DEFAULT_DATA_DIR)
    String dataDir();

    /** Loopback port the embedded server listens on. */
    @WithDefault(DEFAULT_PORT)
    int port();
}
