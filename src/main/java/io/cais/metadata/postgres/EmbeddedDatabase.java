package io.cais.metadata.postgres;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.Optional;

/**
 * Starts a real PostgreSQL from the jar when no external database is configured, so that the registry runs
 * with nothing installed but a JDK. Production points {@code quarkus.datasource.jdbc.url} at its own server.
 *
 * <p>The library behind it is made for throw-away test databases; this one keeps a registry's data, so it runs as
 * any PostgreSQL should: {@code fsync}, {@code synchronous_commit} and {@code full_page_writes} on (the library
 * turns the first two off, and an acknowledged push could then be lost in a crash), and its superuser needs a
 * password over TCP ({@link EmbeddedCredentials}), not the library's trust for any local process.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class);
    private static final String JDBC_URL = "quarkus.datasource.jdbc.url";
    static final String SUPERUSER = "postgres";

    private final EmbeddedPostgres postgres;
    private final String password;

    private EmbeddedDatabase(EmbeddedPostgres postgres, String password) {
        this.postgres = postgres;
        this.password = password;
    }

    /** Starts the embedded server and points the datasource at it, unless a JDBC URL is configured. */
    public static Optional<EmbeddedDatabase> startIfNeeded() throws IOException {
        SmallRyeConfig config = bootstrapConfig();
        if (config.getOptionalValue(JDBC_URL, String.class).isPresent()) {
            return Optional.empty();
        }
        if (!bundled()) {
            throw new IllegalStateException("this build of Cais has no embedded PostgreSQL (the production build): set "
                    + JDBC_URL + " (QUARKUS_DATASOURCE_JDBC_URL) to your PostgreSQL");
        }
        Path dataDir = Path.of(config.getOptionalValue("cais.embedded-database.data-dir", String.class)
                .orElse(EmbeddedDatabaseConfig.DEFAULT_DATA_DIR)).toAbsolutePath();
        int port = config.getOptionalValue("cais.embedded-database.port", Integer.class)
                .orElse(Integer.parseInt(EmbeddedDatabaseConfig.DEFAULT_PORT));
        LOG.infof("no %s configured: starting embedded PostgreSQL in %s on port %d", JDBC_URL, dataDir, port);
        EmbeddedDatabase database = start(dataDir, port);
        System.setProperty(JDBC_URL, database.jdbcUrl());
        System.setProperty("quarkus.datasource.username", SUPERUSER);
        System.setProperty("quarkus.datasource.password", database.password());
        return Optional.of(database);
    }

    /** Starts (creating it on first use) the durable, password-protected server of {@code dataDir}. */
    public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
        Files.createDirectories(dataDir);
        EmbeddedCredentials credentials = EmbeddedCredentials.prepare(dataDir);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setServerConfig("listen_addresses", "127.0.0.1")
                // The library starts the server with -F (fsync off) and synchronous_commit off: durability back on.
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setDataDirectoryCustomizer(credentials::beforeServerStarts);
        credentials.configure(builder);
        EmbeddedPostgres postgres = builder.start();
        try {
            credentials.afterServerStarted(() -> postgres.getPostgresDatabase().getConnection());
        } catch (IOException | RuntimeException e) {
            postgres.close();
            throw e;
        }
        return new EmbeddedDatabase(postgres, credentials.password());
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    public String password() {
        return password;
    }

    /** Runs one statement as the superuser (tests read settings this way). */
    public String show(String setting) {
        try (Connection connection = postgres.getPostgresDatabase(java.util.Map.of("password", password)).getConnection();
             Statement statement = connection.createStatement();
             var row = statement.executeQuery("SHOW " + setting)) {
            row.next();
            return row.getString(1);
        } catch (SQLException e) {
            throw new UncheckedIOException(new IOException("cannot read setting " + setting, e));
        }
    }

    /** Whether the embedded PostgreSQL is part of this build; the production build leaves it out (pom.xml). */
    private static boolean bundled() {
        try {
            Class.forName("io.zonky.test.db.postgres.embedded.EmbeddedPostgres", false, EmbeddedDatabase.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
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
