package io.cais.manifest;

import io.cais.content.Reference;
import io.cais.metadata.ManifestRecord;
import io.cais.metadata.ManifestStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Optional;

/**
 * The pull hot path: resolve {@code <name>:<tag>} or {@code <name>@<digest>} to the stored manifest. Every kubelet
 * with {@code imagePullPolicy: Always} does this on every pod start, so a repeated resolution comes from
 * {@link ManifestCache}, and a first one is one indexed query ({@link ManifestStore#find}).
 */
@ApplicationScoped
public class ManifestLookup {

    @Inject
    ManifestStore store;

    @Inject
    ManifestCache cache;

    /** The manifest; its bytes are included when asked for, and always when it comes from or goes to the cache. */
    public Optional<ManifestRecord> find(String repository, Reference reference, boolean withPayload) {
        return find(repository, reference, withPayload, false);
    }

    /**
     * As {@link #find(String, Reference, boolean)}; with {@code fresh}, the cache is not consulted, so the answer
     * is what PostgreSQL holds now — for a reader that must see another replica's change before its notification
     * arrives. What is read is cached as any other read.
     */
    public Optional<ManifestRecord> find(String repository, Reference reference, boolean withPayload, boolean fresh) {
        ManifestCache.Key key = new ManifestCache.Key(repository, reference.toString());
        ManifestRecord cached = fresh ? null : cache.get(key);
        if (cached != null) {
            return Optional.of(cached);
        }
        boolean caching = cache.active();
        long generation = cache.generation();
        Optional<ManifestRecord> found = store.find(repository, reference, withPayload || caching);
        if (caching) {
            found.ifPresent(record -> cache.put(key, record, generation));
        }
        return found;
    }
}
