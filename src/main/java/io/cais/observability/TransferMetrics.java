package io.cais.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Blob traffic of this replica, recorded where the bytes stream: {@code cais_blobs_pushed_bytes_total},
 * {@code cais_blobs_pulled_bytes_total} and {@code cais_uploads_in_progress}. No tag names a repository, so the
 * number of series does not grow with the registry.
 */
@Startup // registered at start, so the series exist (at 0) before the first transfer
@ApplicationScoped
public class TransferMetrics {

    private final Counter pushed;
    private final Counter pulled;
    private final AtomicInteger inProgress = new AtomicInteger();

    TransferMetrics(MeterRegistry registry) {
        pushed = Counter.builder("cais.blobs.pushed").baseUnit("bytes")
                .description("Blob bytes received by uploads (chunks and monolithic pushes)").register(registry);
        pulled = Counter.builder("cais.blobs.pulled").baseUnit("bytes")
                .description("Blob bytes sent to clients (presigned redirects are not counted: the bucket sends those)")
                .register(registry);
        Gauge.builder("cais.uploads.in.progress", inProgress, AtomicInteger::get)
                .description("Upload requests whose body is streaming into the blob store on this replica")
                .register(registry);
    }

    public void pushed(long bytes) {
        pushed.increment(bytes);
    }

    public void pulled(long bytes) {
        pulled.increment(bytes);
    }

    /** Counts one upload body streaming until the returned handle is closed. */
    public Streaming uploadStreaming() {
        inProgress.incrementAndGet();
        return inProgress::decrementAndGet;
    }

    /** An upload body in progress; closing it ends it. */
    public interface Streaming extends AutoCloseable {
        @Override
        void close();
    }
}
