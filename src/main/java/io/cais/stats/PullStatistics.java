package io.cais.stats;

import io.cais.metadata.PullStatisticsStore;
import io.cais.metadata.PullStatisticsStore.ManifestPulls;
import io.cais.metadata.PullStatisticsStore.TagPulls;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How often and when each tag and manifest was pulled. A manifest {@code HEAD}/{@code GET} — answered from the cache
 * or the database alike — adds to a map in memory ({@link PendingTallies}); each replica adds its counts to PostgreSQL
 * every {@code cais.pull-statistics.flush-interval} and at shutdown. No request waits for a write; a replica that
 * crashes loses at most that interval's counts.
 */
@ApplicationScoped
public class PullStatistics {

    /** Distinct tags and manifests counted between writes; beyond, pulls of new ones are not counted. */
    static final int MAX_PENDING = 100_000;
    /** Rows per transaction. */
    private static final int BATCH = 1000;

    /** What a pull counts for: a manifest (by digest) or a tag, of a repository (by id). */
    sealed interface Key permits ManifestKey, TagKey {
    }

    record ManifestKey(long repositoryId, String digest) implements Key {
    }

    record TagKey(long repositoryId, String tag) implements Key {
    }

    @Inject
    PullStatisticsStore store;

    @Inject
    Clock clock;

    /** The scheduler reads the interval by name; injected so that the mapping, and its default, is registered. */
    @Inject
    PullStatisticsConfig config;

    private final PendingTallies<Key> pending = new PendingTallies<>("tag and manifest pull(s)", MAX_PENDING, BATCH,
            this::write);

    /** A manifest of the repository was served (by digest), and {@code tag} named it (null when pulled by digest). */
    public void pulled(long repositoryId, String digest, String tag) {
        long now = clock.millis();
        pending.add(new ManifestKey(repositoryId, digest), now);
        if (tag != null) {
            pending.add(new TagKey(repositoryId, tag), now);
        }
    }

    /** Writes what was counted since the last write; returns once it is written (a write under way included). */
    @Scheduled(every = "${cais.pull-statistics.flush-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void flush() {
        pending.flush();
    }

    void stop(@Observes ShutdownEvent event) {
        flush();
    }

    private void write(Map<Key, PendingTallies.Tally> batch) {
        List<ManifestPulls> manifests = new ArrayList<>();
        List<TagPulls> tags = new ArrayList<>();
        batch.forEach((key, tally) -> {
            switch (key) {
                case ManifestKey m -> manifests.add(new ManifestPulls(m.repositoryId(), m.digest(), tally.count(), time(tally.last())));
                case TagKey t -> tags.add(new TagPulls(t.repositoryId(), t.tag(), tally.count(), time(tally.last())));
            }
        });
        store.add(manifests, tags);
    }

    private static OffsetDateTime time(long millis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }
}
