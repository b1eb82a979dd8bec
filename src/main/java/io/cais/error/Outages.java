package io.cais.error;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.AgroalConnectionFactoryConfiguration;
import io.agroal.api.configuration.AgroalConnectionPoolConfiguration;
import io.agroal.api.security.SimplePassword;
import io.cais.storage.BlobStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outages of this replica's dependencies, for the log: one line when requests start failing because a
 * dependency is down, one when it answers again — not a stack trace per request. The end is found by probing
 * the dependency every {@code cais.outage.probe-interval} while it is down (one virtual thread per outage). A
 * connection pool that found no free connection in time is told apart from a database that is down by a connection
 * opened beside the pool: the operator's fix differs (pool size or slow statements, not the server).
 */
@ApplicationScoped
public class Outages {

    private static final Logger LOG = Logger.getLogger(Outages.class);
    /** A probe must not hang on a frozen dependency: at most this long per attempt. */
    private static final int PROBE_TIMEOUT_SECONDS = 2;

    @Inject
    OutageConfig config;

    @Inject
    Instance<AgroalDataSource> dataSource;

    @Inject
    Instance<BlobStore> store;

    private final Map<Dependency, Outage> current = new EnumMap<>(Dependency.class);
    private volatile boolean stopped;

    private static final class Outage {
        final long startNanos = System.nanoTime();
        final AtomicLong failures = new AtomicLong(1);
    }

    /** A request failed because {@code dependency} is unavailable. */
    public void failed(Dependency dependency, Throwable cause) {
        synchronized (current) {
            Outage outage = current.get(dependency);
            if (outage != null) {
                outage.failures.incrementAndGet();
                return;
            }
            current.put(dependency, new Outage());
        }
        Thread.ofVirtual().name("cais-outage-" + dependency.name().toLowerCase()).start(() -> {
            boolean poolOnly = dependency == Dependency.DATABASE && Unavailability.isPoolExhaustion(cause)
                    && answersOutsidePool();
            if (poolOnly) {
                AgroalConnectionPoolConfiguration pool = dataSource.get().getConfiguration().connectionPoolConfiguration();
                LOG.warnf("PostgreSQL connection pool exhausted: all %d connections stayed busy for %s while PostgreSQL "
                        + "itself answers; answering 503 until one is free (raise quarkus.datasource.jdbc.max-size, "
                        + "or look for slow statements) (%s)", pool.maxSize(), pool.acquisitionTimeout(), rootCause(cause));
            } else {
                LOG.warnf("%s unavailable: answering 503 until it is back (%s)", dependency.label(), rootCause(cause));
            }
            awaitRecovery(dependency, poolOnly ? "PostgreSQL connection pool has free connections again"
                    : dependency.label() + " available again");
        });
    }

    /** Whether requests are failing because {@code dependency} is down (until a probe finds it back). */
    public boolean isDown(Dependency dependency) {
        synchronized (current) {
            return current.containsKey(dependency);
        }
    }

    private void awaitRecovery(Dependency dependency, String recovered) {
        long pause = Math.max(50, config.probeInterval().toMillis());
        while (!stopped) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
            if (answers(dependency)) {
                Outage outage;
                synchronized (current) {
                    outage = current.remove(dependency);
                }
                LOG.infof("%s after %d ms (%d requests answered 503)", recovered,
                        Duration.ofNanos(System.nanoTime() - outage.startNanos).toMillis(), outage.failures.get());
                return;
            }
        }
    }

    private boolean answers(Dependency dependency) {
        try {
            switch (dependency) {
                case DATABASE -> {
                    try (Connection connection = dataSource.get().getConnection()) {
                        return connection.isValid(PROBE_TIMEOUT_SECONDS);
                    }
                }
                case BLOB_STORE -> store.get().probe();
            }
            return true;
        } catch (Exception | LinkageError stillDown) {
            return false;
        }
    }

    /**
     * Whether PostgreSQL answers a connection of its own, opened beside the pool with the pool's URL, credentials and
     * driver properties: the pool finding no free connection in time is then its size against the load (or slow
     * statements), not the database being down (a frozen or stopped server fails this within the probe timeout).
     */
    private boolean answersOutsidePool() {
        try {
            AgroalConnectionFactoryConfiguration factory = dataSource.get().getConfiguration()
                    .connectionPoolConfiguration().connectionFactoryConfiguration();
            Properties properties = new Properties();
            properties.putAll(factory.jdbcProperties());
            if (factory.principal() != null) {
                properties.setProperty("user", factory.principal().getName());
            }
            for (Object credential : factory.credentials()) {
                if (credential instanceof SimplePassword password) {
                    properties.setProperty("password", password.getWord());
                }
            }
            String seconds = Integer.toString(PROBE_TIMEOUT_SECONDS);
            properties.setProperty("connectTimeout", seconds);
            properties.setProperty("loginTimeout", seconds);
            properties.setProperty("socketTimeout", seconds);
            try (Connection connection = new org.postgresql.Driver().connect(factory.jdbcUrl(), properties)) {
                return connection != null && connection.isValid(PROBE_TIMEOUT_SECONDS);
            }
        } catch (Exception | LinkageError notAnswering) {
            return false;
        }
    }

    private static String rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.toString();
    }

    @PreDestroy
    void stop() {
        stopped = true;
    }
}
