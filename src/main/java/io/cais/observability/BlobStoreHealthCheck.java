package io.cais.observability;

import io.cais.storage.BlobStore;
import io.cais.storage.StorageConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Readiness of the blob store: the bucket exists (S3) or the root is a writable directory (filesystem). A replica
 * that cannot reach its store stops receiving traffic but is not restarted: liveness does not look at it. The
 * database has its own readiness check, from the datasource ("Database connections health check").
 */
@Readiness
@ApplicationScoped
public class BlobStoreHealthCheck implements HealthCheck {

    static final String NAME = "Blob store";

    @Inject
    Instance<BlobStore> store;

    @Inject
    StorageConfig storage;

    @Inject
    HealthConfig config;

    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME)
                .withData("type", storage.type().name().toLowerCase());
        // The store itself is built on first use: a store that cannot even be built is DOWN, not an error page.
        Future<?> probe = probes.submit(() -> {
            store.get().probe();
            return null;
        });
        try {
            probe.get(config.storeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return response.up().build();
        } catch (TimeoutException e) {
            probe.cancel(true);
            return response.down().withData("error", "no answer within " + config.storeTimeout()).build();
        } catch (ExecutionException e) {
            return response.down().withData("error", String.valueOf(e.getCause().getMessage())).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return response.down().withData("error", "interrupted").build();
        }
    }

    @PreDestroy
    void stop() {
        probes.shutdownNow();
    }
}
