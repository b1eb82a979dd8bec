package io.cais.manifest;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.PGProperty;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;

/**
 * Keeps {@link ManifestCache} true on every replica: holds one database connection that LISTENs to the changes
 * the V4 triggers announce, and evicts the repository each notification names. When the connection fails, the
 * cache is bypassed until a new connection listens again (notifications sent meanwhile are lost to it).
 *
 * <p>The connection is its own, not the pool's: it is held for the life of the process, and one that broke must
 * be thrown away rather than handed back to the pool. It shows in {@code pg_stat_activity} under the
 * application name {@value #APPLICATION_NAME}.
 */
@ApplicationScoped
public class ManifestChangeListener {

    static final String CHANNEL = "cais_manifest_change";
    static final String APPLICATION_NAME = "cais-manifest-change-listener";
    private static final Logger LOG = Logger.getLogger(ManifestChangeListener.class);
    /** How long to wait for a notification before proving the connection alive with a round trip. */
    private static final int QUIET_MILLIS = 5_000;
    /** A connection that answers nothing for this long is dead, even if TCP never says so. */
    private static final int NETWORK_TIMEOUT_MILLIS = 15_000;
    private static final long RETRY_MILLIS = 1_000;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String url;

    @ConfigProperty(name = "quarkus.datasource.username")
    Optional<String> username;

    @ConfigProperty(name = "quarkus.datasource.password")
    Optional<String> password;

    @Inject
    ManifestCache cache;

    private volatile boolean running;
    private boolean failing;
    private Thread thread;

    void start(@Observes StartupEvent event) {
        if (!cache.enabled()) {
            return;
        }
        running = true;
        thread = Thread.ofPlatform().daemon().name("cais-manifest-change-listener").start(this::run);
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        while (running) {
            try (Connection connection = connect()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + CHANNEL);
                }
                cache.listening();
                if (failing) {
                    LOG.infof("manifest cache serving again: listening to %s", CHANNEL);
                    failing = false;
                }
                listen(connection);
            } catch (Exception e) {
                cache.deaf();
                if (running) {
                    // Once per outage: while the database is away, retries every second would flood the log.
                    if (!failing) {
                        LOG.warnf("manifest cache bypassed: change listener lost its database connection (%s); "
                                + "retrying every %d ms", e.toString(), RETRY_MILLIS);
                        failing = true;
                    }
                    pause();
                }
            }
        }
        cache.deaf();
    }

    private Connection connect() throws SQLException {
        Properties properties = new Properties();
        username.ifPresent(user -> PGProperty.USER.set(properties, user));
        password.ifPresent(secret -> PGProperty.PASSWORD.set(properties, secret));
        PGProperty.APPLICATION_NAME.set(properties, APPLICATION_NAME);
        PGProperty.SOCKET_TIMEOUT.set(properties, NETWORK_TIMEOUT_MILLIS / 1000);
        Connection connection = new org.postgresql.Driver().connect(url, properties);
        if (connection == null) {
            throw new SQLException("not a PostgreSQL JDBC URL: " + url);
        }
        return connection;
    }

    private void listen(Connection connection) throws Exception {
        PGConnection postgres = connection.unwrap(PGConnection.class);
        while (running) {
            PGNotification[] notifications = postgres.getNotifications(QUIET_MILLIS);
            if (notifications == null || notifications.length == 0) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SELECT 1");
                }
                continue;
            }
            for (PGNotification notification : notifications) {
                cache.evict(Long.parseLong(notification.getParameter()));
            }
        }
    }

    private void pause() {
        try {
            Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
