package io.cais.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The store sweep on this replica: {@code cais_sweep_objects_found_total}, {@code cais_sweep_objects_deleted_total}
 * and {@code cais_sweep_deleted_bytes_total}, tagged by {@code kind} (stray blob, orphan upload, stale multipart
 * upload). Dry runs count what they find, never deletions. Objects found again and again mean deletions fail.
 */
@Startup // registered at start, so the series exist (at 0) before the first sweep
@ApplicationScoped
public class SweepMetrics {

    /** What the sweep found: an object of the store that no row knows. */
    public enum Kind { STRAY_BLOB, ORPHAN_UPLOAD, STALE_MULTIPART_UPLOAD }

    private final Map<Kind, Counter> found = new EnumMap<>(Kind.class);
    private final Map<Kind, Counter> deleted = new EnumMap<>(Kind.class);
    private final Map<Kind, Counter> bytesDeleted = new EnumMap<>(Kind.class);

    SweepMetrics(MeterRegistry registry) {
        for (Kind kind : Kind.values()) {
            String tag = kind.name().toLowerCase(Locale.ROOT);
            found.put(kind, Counter.builder("cais.sweep.objects.found").tag("kind", tag)
                    .description("Objects of the blob store that no row knows, found by the sweep").register(registry));
            deleted.put(kind, Counter.builder("cais.sweep.objects.deleted").tag("kind", tag)
                    .description("Objects the sweep deleted (or aborted, for multipart uploads)").register(registry));
            bytesDeleted.put(kind, Counter.builder("cais.sweep.deleted").tag("kind", tag).baseUnit("bytes")
                    .description("Bytes the sweep freed").register(registry));
        }
    }

    public void found(Kind kind) {
        found.get(kind).increment();
    }

    public void deleted(Kind kind, long bytes) {
        deleted.get(kind).increment();
        bytesDeleted.get(kind).increment(bytes);
    }
}
