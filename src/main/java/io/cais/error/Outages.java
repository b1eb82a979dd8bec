package io.cais.error;

import io.agroal.api.AgroalDataSource;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outages of this replica's dependencies, for the log: one line when requests start failing because a
 * dependency is down, one when it answers again — not a stack trace per request. The end is found by probing
 * the dependency every {@code cais.outage.probe-interval} while it is down (one virtual thread per outage).
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
        LOG.warnf("%s unavailable: answering 503 until it is back (%s)", dependency.label(), rootCause(cause));
        Thread.ofVirtual().name("cais-outage-" + dependency.name().toLowerCase()).start(() -> awaitRecovery(dependency));
    }

    /** Whether requests are failing because {@code dependency} is down (until a probe finds it back). */
    public boolean isDown(Dependency dependency) {
        synchronized (current) {
            return current.containsKey(dependency);
        }
    }

    private void awaitRecovery(Dependency dependency) {
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
                LOG.infof("%s available again after %d ms (%d requests answered 503)", dependency.label(),
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
