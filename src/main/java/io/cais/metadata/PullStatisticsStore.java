package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;

/**
 * Pull counts and last pull times of manifests ({@code manifest_pull}) and tags ({@code tag_pull}): tables without
 * triggers, so that adding counts neither evicts manifest caches (V4) nor enqueues garbage-collection reviews (V9).
 */
@ApplicationScoped
public class PullStatisticsStore {

    /** Pulls of a manifest of a repository, and the last one. */
    public record ManifestPulls(long repositoryId, String digest, long pulls, OffsetDateTime lastPulledAt) {
    }

    /** Pulls of a tag of a repository, and the last one. */
    public record TagPulls(long repositoryId, String tag, long pulls, OffsetDateTime lastPulledAt) {
    }

    private static final Comparator<ManifestPulls> MANIFEST_ORDER = Comparator.comparingLong(ManifestPulls::repositoryId)
            .thenComparing(ManifestPulls::digest);
    private static final Comparator<TagPulls> TAG_ORDER = Comparator.comparingLong(TagPulls::repositoryId)
            .thenComparing(TagPulls::tag);

    @Inject
    Jdbc jdbc;

    /**
     * Adds a batch of counts, one transaction. Locking rule: every replica flushes at the same time and each upsert
     * locks its row, so a batch locks manifest rows and then tag rows, each in key order — two batches cannot
     * deadlock; counts add up and last_pulled_at only moves forward, so the order of commits changes nothing. A
     * count for a manifest or tag deleted since is dropped (the SELECT finds no row); one deleted between the SELECT
     * and the insert fails the batch (foreign key), which is written again with the next flush and then dropped.
     */
    @Transactional
    public void add(List<ManifestPulls> manifests, List<TagPulls> tags) {
        if (!manifests.isEmpty()) {
            jdbc.batch("INSERT INTO manifest_pull (manifest_id, pulls, last_pulled_at) "
                    + "SELECT id, ?, ? FROM manifest WHERE repository_id = ? AND digest = ? "
                    + "ON CONFLICT (manifest_id) DO UPDATE SET pulls = manifest_pull.pulls + EXCLUDED.pulls, "
                    + "last_pulled_at = GREATEST(manifest_pull.last_pulled_at, EXCLUDED.last_pulled_at)",
                    manifests.stream().sorted(MANIFEST_ORDER).map(m -> new Object[]{m.pulls(), m.lastPulledAt(),
                            m.repositoryId(), m.digest()}).toList());
        }
        if (!tags.isEmpty()) {
            jdbc.batch("INSERT INTO tag_pull (repository_id, name, pulls, last_pulled_at) "
                    + "SELECT repository_id, name, ?, ? FROM tag WHERE repository_id = ? AND name = ? "
                    + "ON CONFLICT (repository_id, name) DO UPDATE SET pulls = tag_pull.pulls + EXCLUDED.pulls, "
                    + "last_pulled_at = GREATEST(tag_pull.last_pulled_at, EXCLUDED.last_pulled_at)",
                    tags.stream().sorted(TAG_ORDER).map(t -> new Object[]{t.pulls(), t.lastPulledAt(),
                            t.repositoryId(), t.tag()}).toList());
        }
    }
}
