package io.cais.platform;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;

/**
 * Starts a real PostgreSQL from the jar when no external database is configured, so that the registry runs
 * with nothing installed but a JDK. Production points {@code quarkus.datasource.jdbc.url} at its own server.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class);
    private static final String JDBC_URL = "quarkus.datasource.jdbc.url";

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts the embedded server and points the datasource at it, unless a JDBC URL is configured. */
    public static Optional<EmbeddedDatabase> startIfNeeded() throws IOException {
        SmallRyeConfig config = bootstrapConfig();
        if (config.getOptionalValue(JDBC_URL, String.class).isPresent()) {
            return Optional.empty();
        }
        Path dataDir = Path.of(config.getOptionalValue("cais.embedded-database.data-dir", String.class)
                .orElse(EmbeddedDatabaseConfig.DEFAULT_DATA_DIR)).toAbsolutePath();
        int port = config.getOptionalValue("cais.embedded-database.port", Integer.class)
                .orElse(Integer.parseInt(EmbeddedDatabaseConfig.DEFAULT_PORT));
        Files.createDirectories(dataDir);
        LOG.infof("no %s configured: starting embedded PostgreSQL in %s on port %d", JDBC_URL, dataDir, port);
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .start();
        System.setProperty(JDBC_URL, postgres.getJdbcUrl("postgres", "postgres"));
        System.setProperty("quarkus.datasource.username", "postgres");
        return Optional.of(new EmbeddedDatabase(postgres));
    }

    /** The configuration sources Quarkus will read, as far as they can be known before it starts. */
    private static SmallRyeConfig bootstrapConfig() throws IOException {
        String profile = Optional.ofNullable(System.getProperty("quarkus.profile"))
                .or(() -> Optional.ofNullable(System.getenv("QUARKUS_PROFILE")))
                .orElse("prod");
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder().addDefaultSources().withProfile(profile);
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (URL url : Collections.list(loader.getResources("application.properties"))) {
            builder.withSources(new PropertiesConfigSource(url, 250));
        }
        Path external = Path.of("config", "application.properties");
        if (Files.isRegularFile(external)) {
            builder.withSources(new PropertiesConfigSource(external.toUri().toURL(), 260));
        }
        return builder.build();
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
