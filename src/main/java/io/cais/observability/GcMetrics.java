package io.cais.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What this replica's garbage collector deleted ({@code cais_gc_manifests_deleted_total}, {@code …_links_…},
 * {@code …_blobs_…}, {@code …_objects_…}, {@code cais_gc_freed_bytes_total}), its failures
 * ({@code cais_gc_failures_total}), and the reviews due across the registry when it last looked
 * ({@code cais_gc_reviews_due}).
 */
@Startup // the series exist (at 0) before the first collection
@ApplicationScoped
public class GcMetrics {

    private final Counter manifests;
    private final Counter links;
    private final Counter blobs;
    private final Counter objects;
    private final Counter bytes;
    private final Counter failures;
    private final AtomicLong due = new AtomicLong();

    GcMetrics(MeterRegistry registry) {
        manifests = Counter.builder("cais.gc.manifests.deleted").description("Manifests deleted by the garbage collector")
                .register(registry);
        links = Counter.builder("cais.gc.links.deleted").description("Repository blob links deleted by the garbage collector")
                .register(registry);
        blobs = Counter.builder("cais.gc.blobs.deleted").description("Blob rows deleted by the garbage collector")
                .register(registry);
        objects = Counter.builder("cais.gc.objects.deleted").description("Stored blob objects deleted by the garbage collector")
                .register(registry);
        bytes = Counter.builder("cais.gc.freed").baseUnit("bytes").description("Bytes of stored objects deleted by the garbage collector")
                .register(registry);
        failures = Counter.builder("cais.gc.failures")
                .description("Garbage collection steps or object deletions that failed (retried later)").register(registry);
        Gauge.builder("cais.gc.reviews.due", due, AtomicLong::get)
                .description("Reviews due when this replica's collector last looked").register(registry);
    }

    public void deleted(long manifestCount, long linkCount, long blobCount, long objectCount, long byteCount) {
        manifests.increment(manifestCount);
        links.increment(linkCount);
        blobs.increment(blobCount);
        objects.increment(objectCount);
        bytes.increment(byteCount);
    }

    public void failed(long count) {
        failures.increment(count);
    }

    public void due(long count) {
        due.set(count);
    }
}
