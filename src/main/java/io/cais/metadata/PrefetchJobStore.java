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
 * {@code prefetch_image}), so that every replica answers a job's progress. The job runs on one replica at a time,
 * named in its row, which refreshes its heartbeat; a running job whose heartbeat is older than the claim expiry is
 * taken over by another replica ({@link #adoptStale}), which goes on from the first unfinished image. A job whose
 * runner stops after {@link #MAX_ADOPTIONS} takeovers is left {@code abandoned} ({@code ProxyJanitor} records it so).
 *
 * <p>Locking: every write is one autocommit statement on one job's rows. The runner's writes are fenced by its
 * {@link Runner} (an image or job row changes only while the job row still names that replica and generation, read
 * {@code FOR SHARE} so that a takeover waits for a fenced write in progress and the write never lands after it), so a
 * runner that stalled past the expiry and wakes after a takeover finds its writes refused and stops. A takeover is one
 * {@code UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) AND heartbeat < … RETURNING}: two replicas adopting at
 * once skip each other's row, and the outer {@code WHERE} re-checks the heartbeat on the committed row, so a job is
 * adopted once per silence. Nothing waits but for one row's statement.
 */
@ApplicationScoped
public class PrefetchJobStore {

    /** How long a finished job's progress is kept. */
    public static final Duration KEPT = Duration.ofDays(1);
    /** Takeovers after which a job whose replica stopped is left abandoned. */
    public static final int MAX_ADOPTIONS = 3;

    /**
     * Who runs a job: the replica, and how many takeovers the job had when it took it (0 for the replica that
     * accepted it). Both fence the runner's writes: a replica that took its own job over (it missed its heartbeats
     * while PostgreSQL failed over) is a new runner, and the thread still running the old turn stops.
     */
    public record Runner(String replica, int generation) {
    }

    /** A job taken over from a replica that stopped: its images, which of them are finished, and its new runner. */
    public record Adopted(UUID id, String upstream, List<String> images, List<Boolean> finished, Runner runner) {
    }

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

    /**
     * The job with its images; a running job whose replica is silent for longer than {@code expiry} and that no
     * replica will take over any more reads as abandoned.
     */
    public Optional<Job> find(String upstream, UUID id, Duration expiry) {
        return jdbc.first("SELECT id, upstream, replica, CASE WHEN state = 'running' AND adoptions >= ? AND heartbeat < "
                                + "now() - make_interval(secs => ?) THEN 'abandoned' ELSE state END, started_at, finished_at "
                                + "FROM prefetch_job WHERE id = ? AND upstream = ?",
                        row -> new JobRow(row.getObject(1, UUID.class), row.getString(2), row.getString(3),
                                row.getString(4), row.getObject(5, OffsetDateTime.class),
                                row.getObject(6, OffsetDateTime.class)),
                        MAX_ADOPTIONS, FetchClaimStore.seconds(expiry), id, upstream)
                .map(job -> new Job(job.id(), job.upstream(), job.replica(), job.state(), job.startedAt(),
                        job.finishedAt(), images(job.id())));
    }

    /**
     * Takes over one running job whose replica is silent for longer than {@code expiry} (the oldest), naming
     * {@code replica} as its runner; empty when there is none.
     */
    public Optional<Adopted> adoptStale(String replica, Duration expiry) {
        double seconds = FetchClaimStore.seconds(expiry);
        record Taken(UUID id, String upstream, int generation) {
        }
        return jdbc.first("UPDATE prefetch_job SET replica = ?, heartbeat = now(), adoptions = adoptions + 1 WHERE id = "
                                + "(SELECT id FROM prefetch_job WHERE state = 'running' AND adoptions < ? AND heartbeat < now() "
                                + "- make_interval(secs => ?) ORDER BY started_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                                + "AND state = 'running' AND heartbeat < now() - make_interval(secs => ?) "
                                + "RETURNING id, upstream, adoptions",
                        row -> new Taken(row.getObject(1, UUID.class), row.getString(2), row.getInt(3)),
                        replica, MAX_ADOPTIONS, seconds, seconds)
                .map(job -> {
                    List<ImageProgress> images = images(job.id());
                    return new Adopted(job.id(), job.upstream(), images.stream().map(ImageProgress::image).toList(),
                            images.stream().map(image -> image.state().equals("done") || image.state().equals("failed"))
                                    .toList(), new Runner(replica, job.generation()));
                });
    }

    private List<ImageProgress> images(UUID id) {
        return jdbc.list("SELECT image, state, manifests, blobs, bytes, error FROM prefetch_image WHERE job_id = ? "
                        + "ORDER BY position",
                row -> new ImageProgress(row.getString(1), row.getString(2), row.getInt(3), row.getInt(4),
                        row.getLong(5), row.getString(6)), id);
    }

    /** The job row still names the runner (the fence on the runner's writes; see the class comment). */
    private static final String RUN_BY = " AND EXISTS (SELECT 1 FROM prefetch_job WHERE id = ? AND replica = ? "
            + "AND adoptions = ? AND state = 'running' FOR SHARE)";

    /**
     * Marks the image started by {@code runner}, its counts reset (a job taken over starts its unfinished image
     * again); false when the job is no longer this runner's.
     */
    public boolean startImage(UUID id, int position, Runner runner) {
        return jdbc.update("UPDATE prefetch_image SET state = 'running', manifests = 0, blobs = 0, bytes = 0, error = NULL "
                + "WHERE job_id = ? AND position = ?" + RUN_BY, id, position, id, runner.replica(), runner.generation()) == 1;
    }

    /** Adds what the image's fetch did since the last call; false when the job is no longer this runner's. */
    public boolean addProgress(UUID id, int position, Runner runner, int manifests, int blobs, long bytes) {
        return jdbc.update("UPDATE prefetch_image SET manifests = manifests + ?, blobs = blobs + ?, bytes = bytes + ? "
                        + "WHERE job_id = ? AND position = ?" + RUN_BY, manifests, blobs, bytes, id, position, id,
                runner.replica(), runner.generation()) == 1;
    }

    /** Ends the image: done, or failed with why; false when the job is no longer this runner's. */
    public boolean finishImage(UUID id, int position, Runner runner, String error) {
        return jdbc.update("UPDATE prefetch_image SET state = ?, error = ? WHERE job_id = ? AND position = ?" + RUN_BY,
                error == null ? "done" : "failed", error, id, position, id, runner.replica(), runner.generation()) == 1;
    }

    /** Ends the job: failed when any image failed, done otherwise; false when the job is no longer this runner's. */
    public boolean finish(UUID id, Runner runner) {
        return jdbc.update("UPDATE prefetch_job SET finished_at = now(), heartbeat = now(), state = CASE WHEN EXISTS "
                + "(SELECT 1 FROM prefetch_image WHERE job_id = ? AND state = 'failed') THEN 'failed' ELSE 'done' END "
                + "WHERE id = ? AND state = 'running' AND replica = ? AND adoptions = ?", id, id, runner.replica(),
                runner.generation()) == 1;
    }

    /** Refreshes the heartbeat of a job while {@code runner} runs it. */
    public void refresh(UUID id, Runner runner) {
        jdbc.update("UPDATE prefetch_job SET heartbeat = now() WHERE id = ? AND replica = ? AND adoptions = ? "
                + "AND state = 'running'", id, runner.replica(), runner.generation());
    }

    /**
     * Records running jobs silent for longer than {@code expiry} that no replica takes over any more as abandoned,
     * and deletes jobs finished longer than {@link #KEPT} ago; returns how many rows changed.
     */
    public int expire(Duration expiry) {
        return jdbc.update("UPDATE prefetch_job SET state = 'abandoned', finished_at = now() WHERE state = 'running' "
                        + "AND adoptions >= ? AND heartbeat < now() - make_interval(secs => ?)", MAX_ADOPTIONS,
                FetchClaimStore.seconds(expiry))
                + jdbc.update("DELETE FROM prefetch_job WHERE finished_at < now() - make_interval(secs => ?)",
                FetchClaimStore.seconds(KEPT));
    }
}
