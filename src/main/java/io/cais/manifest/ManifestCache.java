package io.cais.manifest;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cais.metadata.ManifestRecord;
import io.cais.metadata.postgres.ChangeSubscriber;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Resolved manifests by repository and reference, so that resolving a tag again costs no database round trip
 * (kubelets with {@code imagePullPolicy: Always} resolve the same tags over and over).
 *
 * <p>Replicas stay consistent because every change that can alter a resolution notifies all of them on commit
 * (database triggers, {@link io.cais.metadata.postgres.ChangeListener}), and the replica that made a change evicts at once. While
 * the listener is not connected, changes could be missed, so the cache is bypassed entirely.
 *
 * <p>Entries are indexed by repository, and each repository has its own last-change stamp: an eviction touches only
 * that repository's entries, so steady pushes in one tenant do not stop caching for the others. A read that raced
 * with an eviction of its repository must not store what it read: callers take {@link #generation()} (a stamp from
 * one monotonic clock) before reading the database, and {@link #put} stores only if neither the repository (by name
 * or id) nor the whole cache changed since.
 */
@ApplicationScoped
public class ManifestCache implements ChangeSubscriber {

    /** Notified by the V4 triggers on tag and manifest changes. */
    static final String CHANNEL = "cais_manifest_change";

    /** Rough heap cost of an entry beyond its manifest bytes (key, strings, record, map node). */
    private static final int ENTRY_OVERHEAD = 256;

    public record Key(String repository, String reference) {
    }

    private final boolean enabled;
    private final Cache<Key, ManifestRecord> entries;
    /** The cached keys of each repository, so that evicting one repository never scans the others. */
    private final Map<String, Set<Key>> byRepository = new ConcurrentHashMap<>();
    /** Repository ids (what notifications name) to names (what keys hold), for the repositories cached here. */
    private final Map<Long, String> names = new ConcurrentHashMap<>();
    /** Stamps of the last change per repository name and per repository id, and of the last reset of everything. */
    private final Map<String, Long> changedByName = new ConcurrentHashMap<>();
    private final Map<Long, Long> changedById = new ConcurrentHashMap<>();
    private final AtomicLong clock = new AtomicLong();
    private volatile long reset;
    private final Counter hits;
    private final Counter misses;
    private volatile boolean listening;

    @Inject
    ManifestCache(ManifestCacheConfig config, MeterRegistry registry) {
        enabled = config.enabled();
        entries = Caffeine.newBuilder()
                .maximumWeight(config.maxBytes())
                .weigher((Key key, ManifestRecord record) -> ENTRY_OVERHEAD + key.repository().length()
                        + key.reference().length() + (record.payload() == null ? 0 : record.payload().length))
                .expireAfterWrite(config.maxAge())
                .evictionListener((Key key, ManifestRecord record, com.github.benmanes.caffeine.cache.RemovalCause cause) -> unindex(key))
                .build();
        hits = Counter.builder("cais.manifest.cache.hits")
                .description("Manifest HEAD/GET answered from this replica's memory").register(registry);
        misses = Counter.builder("cais.manifest.cache.misses")
                .description("Manifest HEAD/GET that read the database (not cached, or the cache bypassed)").register(registry);
        Gauge.builder("cais.manifest.cache.listening", this, cache -> cache.listening ? 1 : 0)
                .description("1 while the change listener is connected and the cache serves; 0 while it is bypassed")
                .register(registry);
        Gauge.builder("cais.manifest.cache.entries", this, ManifestCache::size)
                .description("Manifests cached on this replica").register(registry);
    }

    public boolean enabled() {
        return enabled;
    }

    /** Whether entries are served: enabled and the change listener connected. */
    public boolean active() {
        return enabled && listening;
    }

    /** The cached manifest (with its bytes), or null when there is none or the cache is bypassed. */
    public ManifestRecord get(Key key) {
        ManifestRecord record = listening ? entries.getIfPresent(key) : null;
        (record != null ? hits : misses).increment();
        return record;
    }

    /** Taken before reading the database; {@link #put} needs it. */
    public long generation() {
        return clock.get();
    }

    /** Stores what was read, unless its repository (or everything) changed since {@code readGeneration} was taken. */
    public synchronized void put(Key key, ManifestRecord record, long readGeneration) {
        if (listening && reset <= readGeneration
                && changedByName.getOrDefault(key.repository(), 0L) <= readGeneration
                && changedById.getOrDefault(record.repositoryId(), 0L) <= readGeneration) {
            entries.put(key, record);
            byRepository.computeIfAbsent(key.repository(), name -> ConcurrentHashMap.newKeySet()).add(key);
            names.put(record.repositoryId(), key.repository());
        }
    }

    /** Forgets the repository's entries: something in it changed (on this replica or, by notification, another). */
    public synchronized void evict(long repositoryId) {
        changedById.put(repositoryId, clock.incrementAndGet());
        String name = names.get(repositoryId);
        if (name != null) {
            drop(name);
        }
    }

    /** As {@link #evict(long)}, by name: the replica that made the change knows it by name. */
    public synchronized void evict(String repository) {
        changedByName.put(repository, clock.incrementAndGet());
        drop(repository);
    }

    private void drop(String repository) {
        Set<Key> keys = byRepository.remove(repository);
        if (keys != null) {
            entries.invalidateAll(keys);
        }
    }

    /** An entry Caffeine dropped for size or age: forget it in the index too. */
    private void unindex(Key key) {
        Set<Key> keys = byRepository.get(key.repository());
        if (keys != null) {
            keys.remove(key);
        }
    }

    public long size() {
        return entries.estimatedSize();
    }

    @Override
    public String channel() {
        return CHANNEL;
    }

    /** The payload is the id of the repository whose tags or manifests changed (V4 triggers). */
    @Override
    public void notified(String payload) {
        evict(Long.parseLong(payload));
    }

    /** The listener is connected and listening: start from nothing, since changes may have been missed before. */
    @Override
    public synchronized void listening() {
        clear();
        listening = enabled;
    }

    /** The listener lost its connection: bypass the cache until it is back. */
    @Override
    public synchronized void deaf() {
        listening = false;
        clear();
    }

    private void clear() {
        reset = clock.incrementAndGet();
        entries.invalidateAll();
        byRepository.clear();
        names.clear();
        changedByName.clear();
        changedById.clear();
    }
}
