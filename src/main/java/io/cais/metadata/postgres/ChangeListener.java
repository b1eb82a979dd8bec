package io.cais.metadata.postgres;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.PGProperty;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Keeps what each replica remembers true on every replica: holds one database connection that LISTENs to the
 * channels of every {@link ChangeSubscriber} (the manifest cache, the signing keys), whose triggers announce
 * changes on commit, and hands each notification to its subscriber. When the connection fails, subscribers are
 * told they are deaf (they stop trusting what they remember) until a new connection listens again.
 *
 * <p>The connection is its own, not the pool's: it is held for the life of the process, and one that broke must
 * be thrown away rather than handed back to the pool. It shows in {@code pg_stat_activity} under the
 * application name {@value #APPLICATION_NAME}.
 */
@ApplicationScoped
public class ChangeListener {

    static final String APPLICATION_NAME = "cais-change-listener";
    private static final String ADDITIONAL_PROPERTIES = "quarkus.datasource.jdbc.additional-jdbc-properties.";
    private static final Logger LOG = Logger.getLogger(ChangeListener.class);
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
    @Any
    Instance<ChangeSubscriber> subscribers;

    @Inject
    Config config;

    private final Map<String, ChangeSubscriber> byChannel = new java.util.LinkedHashMap<>();
    private volatile boolean running;
    private boolean failing;
    private Thread thread;

    void start(@Observes StartupEvent event) {
        subscribers.forEach(subscriber -> byChannel.put(subscriber.channel(), subscriber));
        running = true;
        thread = Thread.ofPlatform().daemon().name(APPLICATION_NAME).start(this::run);
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
                    for (String channel : byChannel.keySet()) {
                        statement.execute("LISTEN " + channel);
                    }
                }
                byChannel.values().forEach(ChangeSubscriber::listening);
                if (failing) {
                    LOG.infof("listening to %s again: caches trusted again", byChannel.keySet());
                    failing = false;
                }
                listen(connection);
            } catch (Exception e) {
                byChannel.values().forEach(ChangeSubscriber::deaf);
                if (running) {
                    // Once per outage: while the database is away, retries every second would flood the log.
                    if (!failing) {
                        LOG.warnf("caches bypassed and signing keys read from the database: the change listener lost its "
                                + "database connection (%s); retrying every %d ms", e.toString(), RETRY_MILLIS);
                        failing = true;
                    }
                    pause();
                }
            }
        }
        byChannel.values().forEach(ChangeSubscriber::deaf);
    }

    private Connection connect() throws SQLException {
        Properties properties = connectionProperties(config, username, password);
        Connection connection = new org.postgresql.Driver().connect(url, properties);
        if (connection == null) {
            throw new SQLException("not a PostgreSQL JDBC URL: " + url);
        }
        return connection;
    }

    /**
     * The datasource's own connection settings — user, password and every
     * {@code quarkus.datasource.jdbc.additional-jdbc-properties.*} (TLS mode and certificates, timeouts, server
     * options) — so that the listener reaches the database exactly as the pool does; then its own name and a
     * socket timeout longer than its quiet period.
     */
    static Properties connectionProperties(Config config, Optional<String> username, Optional<String> password) {
        Properties properties = new Properties();
        for (String name : config.getPropertyNames()) {
            if (name.startsWith(ADDITIONAL_PROPERTIES)) {
                config.getOptionalValue(name, String.class)
                        .ifPresent(value -> properties.setProperty(name.substring(ADDITIONAL_PROPERTIES.length()), value));
            }
        }
        username.ifPresent(user -> PGProperty.USER.set(properties, user));
        password.ifPresent(secret -> PGProperty.PASSWORD.set(properties, secret));
        PGProperty.APPLICATION_NAME.set(properties, APPLICATION_NAME);
        PGProperty.SOCKET_TIMEOUT.set(properties, NETWORK_TIMEOUT_MILLIS / 1000);
        return properties;
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
                ChangeSubscriber subscriber = byChannel.get(notification.getName());
                if (subscriber != null) {
                    subscriber.notified(notification.getParameter());
                }
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
