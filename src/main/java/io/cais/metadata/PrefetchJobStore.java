package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Pre-fetch jobs of the pull-through cache and their per-image progress ({@code prefetch_job},
 * {@code prefetch_image}), so that every replica answers a job's progress. The job runs on the replica that accepted
 * it, which is the only writer of its rows and refreshes its heartbeat; a running job whose heartbeat is older than
 * the claim expiry reads as {@code abandoned}, and {@code ProxyJanitor} records it so.
 *
 * <p>Locking: every write is one statement on one job's rows, by its one writer (or by the janitor, only once the
 * writer is silent, and only while the row still says {@code running}), so nothing waits but for a row's statement.
 */
@ApplicationScoped
public class PrefetchJobStore {

    /** How long a finished job's progress is kept. */
    public static final Duration KEPT = Duration.ofDays(1);

    public record ImageProgress(String image, String state, int manifests, int blobs, long bytes, String error) {
    }

    public record Job(UUID id, String upstream, String replica, String state, OffsetDateTime startedAt,
                      OffsetDateTime finishedAt, List<ImageProgress> images) {
    }

    private record JobRow(UUID id, String upstream, String replica, String state, OffsetDateTime startedAt,
                          OffsetDateTime finishedAt) {
    }

    @Inject
    Jdbc jdbc;

    /** Records a new running job of this replica with its images, in one transaction. */
    @Transactional
    public void create(UUID id, String upstream, String replica, List<String> images) {
        jdbc.update("INSERT INTO prefetch_job (id, upstream, replica) VALUES (?, ?, ?)", id, upstream, replica);
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            rows.add(new Object[]{id, i, images.get(i)});
        }
        jdbc.batch("INSERT INTO prefetch_image (job_id, position, image) VALUES (?, ?, ?)", rows);
    }

    /** The job with its images; a running job whose replica is silent for longer than {@code expiry} is abandoned. */
    public Optional<Job> find(String upstream, UUID id, Duration expiry) {
        return jdbc.first("SELECT id, upstream, replica, CASE WHEN state = 'running' AND heartbeat < now() - "
                                + "make_interval(secs => ?) THEN 'abandoned' ELSE state END, started_at, finished_at "
                                + "FROM prefetch_job WHERE id = ? AND upstream = ?",
                        row -> new JobRow(row.getObject(1, UUID.class), row.getString(2), row.getString(3),
                                row.getString(4), row.getObject(5, OffsetDateTime.class),
                                row.getObject(6, OffsetDateTime.class)),
                        FetchClaimStore.seconds(expiry), id, upstream)
                .map(job -> new Job(job.id(), job.upstream(), job.replica(), job.state(), job.startedAt(),
                        job.finishedAt(), images(job.id())));
    }

    private List<ImageProgress> images(UUID id) {
        return jdbc.list("SELECT image, state, manifests, blobs, bytes, error FROM prefetch_image WHERE job_id = ? "
                        + "ORDER BY position",
                row -> new ImageProgress(row.getString(1), row.getString(2), row.getInt(3), row.getInt(4),
                        row.getLong(5), row.getString(6)), id);
    }

    /** Marks the image started. */
    public void startImage(UUID id, int position) {
        jdbc.update("UPDATE prefetch_image SET state = 'running' WHERE job_id = ? AND position = ?", id, position);
    }

    /** Adds what the image's fetch did since the last call. */
    public void addProgress(UUID id, int position, int manifests, int blobs, long bytes) {
        jdbc.update("UPDATE prefetch_image SET manifests = manifests + ?, blobs = blobs + ?, bytes = bytes + ? "
                + "WHERE job_id = ? AND position = ?", manifests, blobs, bytes, id, position);
    }

    /** Ends the image: done, or failed with why. */
    public void finishImage(UUID id, int position, String error) {
        jdbc.update("UPDATE prefetch_image SET state = ?, error = ? WHERE job_id = ? AND position = ?",
                error == null ? "done" : "failed", error, id, position);
    }

    /** Ends the job: failed when any image failed, done otherwise. */
    public void finish(UUID id) {
        jdbc.update("UPDATE prefetch_job SET finished_at = now(), heartbeat = now(), state = CASE WHEN EXISTS "
                + "(SELECT 1 FROM prefetch_image WHERE job_id = ? AND state = 'failed') THEN 'failed' ELSE 'done' END "
                + "WHERE id = ? AND state = 'running'", id, id);
    }

    /** Refreshes the heartbeat of the replica's running jobs. */
    public void refresh(String replica) {
        jdbc.update("UPDATE prefetch_job SET heartbeat = now() WHERE replica = ? AND state = 'running'", replica);
    }

    /**
     * Records running jobs silent for longer than {@code expiry} as abandoned, and deletes jobs finished longer than
     * {@link #KEPT} ago; returns how many rows changed.
     */
    public int expire(Duration expiry) {
        return jdbc.update("UPDATE prefetch_job SET state = 'abandoned', finished_at = now() WHERE state = 'running' "
                        + "AND heartbeat < now() - make_interval(secs => ?)", FetchClaimStore.seconds(expiry))
                + jdbc.update("DELETE FROM prefetch_job WHERE finished_at < now() - make_interval(secs => ?)",
                FetchClaimStore.seconds(KEPT));
    }
}
