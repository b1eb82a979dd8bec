package io.cais.proxy;

import io.cais.content.Descriptor;
import io.cais.content.Digest;
import io.cais.content.ManifestParser;
import io.cais.content.ParsedManifest;
import io.cais.content.Reference;
import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.BlobLinkStore;
import io.cais.metadata.ManifestRecord;
import io.cais.metadata.PrefetchJobStore;
import io.cais.metadata.PrefetchJobStore.ImageProgress;
import io.cais.metadata.PrefetchJobStore.Runner;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ahead of time: fetches a list of images ({@code library/nginx:1.27}, {@code library/alpine@sha256:…}) of an upstream
 * into its cache namespace before any node asks — every platform of an index, every config and layer — through the
 * same {@link PullThrough} paths as a pull, on a virtual thread of the replica that accepted the job. The job and its
 * per-image progress are kept in PostgreSQL ({@link PrefetchJobStore}) for a day, so every replica answers its
 * progress; the running replica refreshes the job's heartbeat. When that replica stops (a rolling update, a crash),
 * another takes the job over once the heartbeat is older than {@code cais.proxy.claim-expiry} and goes on from the
 * first unfinished image; a job whose runner stops after {@link PrefetchJobStore#MAX_ADOPTIONS} takeovers reads as
 * {@code abandoned}.
 */
@ApplicationScoped
public class Prefetch {

    private static final Logger LOG = Logger.getLogger(Prefetch.class);
    private static final int MAX_IMAGES = 1000;

    /**
     * What a job did so far; {@code state} is {@code running}, {@code done}, {@code failed} (some image failed) or
     * {@code abandoned} (its runner stopped after the last takeover allowed); {@code replica} identifies the process
     * that runs it.
     */
    public record Progress(String id, String upstream, String state, int images, int imagesDone, int manifests, int blobs,
                           long bytes, List<String> errors, Instant startedAt, Instant finishedAt, String replica,
                           List<ImageProgress> imageProgress) {

        static Progress of(PrefetchJobStore.Job job) {
            List<ImageProgress> images = job.images();
            return new Progress(job.id().toString(), job.upstream(), job.state(), images.size(),
                    (int) images.stream().filter(image -> image.state().equals("done") || image.state().equals("failed"))
                            .count(),
                    images.stream().mapToInt(ImageProgress::manifests).sum(),
                    images.stream().mapToInt(ImageProgress::blobs).sum(),
                    images.stream().mapToLong(ImageProgress::bytes).sum(),
                    images.stream().filter(image -> image.error() != null).map(image -> image.image() + ": " + image.error())
                            .toList(),
                    job.startedAt().toInstant(), job.finishedAt() == null ? null : job.finishedAt().toInstant(),
                    job.replica(), images);
        }
    }

    @Inject
    Upstreams upstreams;

    @Inject
    PullThrough pull;

    @Inject
    BlobLinkStore links;

    @Inject
    PrefetchJobStore jobs;

    @Inject
    FetchClaims claims;

    @Inject
    ProxyConfig config;

    /** The jobs this process runs, each with the runner it runs it as: their heartbeats are refreshed. */
    private final Map<UUID, Runner> running = new ConcurrentHashMap<>();

    /** A fenced write was refused: the job was taken over while this runner was silent. */
    private static final class TakenOver extends RuntimeException {
        TakenOver(UUID id) {
            super("pre-fetch " + id + " was taken over by another runner while this one was silent", null, false, false);
        }
    }

    /** Starts a job; the image names are checked first (400 for a bad one, nothing started). */
    public Progress start(String upstreamName, List<String> images) {
        Upstream upstream = upstreams.named(upstreamName).orElseThrow(() -> Upstreams.unknown(upstreamName));
        if (images == null || images.isEmpty() || images.size() > MAX_IMAGES) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "images is a list of 1 to " + MAX_IMAGES
                    + " image names of the upstream, e.g. library/nginx:1.27");
        }
        images.forEach(image -> parse(upstream, image));
        UUID id = UUID.randomUUID();
        List<String> list = List.copyOf(images);
        Runner runner = new Runner(claims.replica(), 0);
        jobs.create(id, upstreamName, runner.replica(), list);
        launch(upstream, id, list, List.of(), runner);
        return progress(upstreamName, id.toString()).orElseThrow();
    }

    /** The job's progress, on any replica. */
    public Optional<Progress> progress(String upstream, String id) {
        UUID job;
        try {
            job = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return jobs.find(upstream, job, config.claimExpiry()).map(Progress::of);
    }

    @Scheduled(every = "${cais.proxy.claim-heartbeat}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        running.forEach(jobs::refresh);
    }

    /**
     * Takes over a job whose replica stopped, one per run, so that the work of several stopped replicas spreads over
     * the replicas left.
     */
    @Scheduled(every = "${cais.proxy.claim-heartbeat}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void adoptStale() {
        try {
            jobs.adoptStale(claims.replica(), config.claimExpiry()).ifPresent(this::resume);
        } catch (RuntimeException e) {
            LOG.debugf(e, "could not look for pre-fetch jobs to take over; the next run tries again");
        }
    }

    /** Runs a job taken over; when its upstream was deleted meanwhile, its unfinished images fail saying so. */
    private void resume(PrefetchJobStore.Adopted job) {
        LOG.infof("pre-fetch %s taken over from a replica that stopped", job.id());
        Optional<Upstream> upstream = upstreams.named(job.upstream());
        if (upstream.isPresent()) {
            launch(upstream.get(), job.id(), job.images(), job.finished(), job.runner());
            return;
        }
        for (int position = 0; position < job.images().size(); position++) {
            if (!job.finished().get(position)) {
                jobs.finishImage(job.id(), position, job.runner(), "upstream " + job.upstream() + " was deleted");
            }
        }
        jobs.finish(job.id(), job.runner());
    }

    private void launch(Upstream upstream, UUID id, List<String> images, List<Boolean> finished, Runner runner) {
        running.put(id, runner);
        Thread.ofVirtual().name("prefetch-" + id).start(() -> run(upstream, id, images, finished, runner));
    }

    /** Fetches every image not {@code finished} (by position; an empty list: none is). */
    private void run(Upstream upstream, UUID id, List<String> images, List<Boolean> finished, Runner runner) {
        try {
            for (int position = 0; position < images.size(); position++) {
                if (!finished.isEmpty() && finished.get(position)) {
                    continue;
                }
                fenced(jobs.startImage(id, position, runner), id);
                String image = images.get(position);
                String error = null;
                try {
                    ImageName name = parse(upstream, image);
                    ManifestRecord root = pull.manifest(name.repository(), name.reference(), true, false).manifest();
                    fetchContent(id, position, runner, name.repository(), root);
                    pull.storePending(name.repository());
                } catch (TakenOver e) {
                    throw e;
                } catch (RuntimeException e) {
                    error = e instanceof RegistryException registry ? registry.getMessage() : e.toString();
                    LOG.warnf("pre-fetch %s of %s: %s", id, image, error);
                }
                fenced(jobs.finishImage(id, position, runner, error), id);
            }
            fenced(jobs.finish(id, runner), id);
            LOG.infof("pre-fetch %s finished", id);
        } catch (TakenOver e) {
            LOG.warnf("%s; this one stops", e.getMessage());
        } catch (RuntimeException e) {
            // PostgreSQL is gone: the job's heartbeat stops with this thread, and another replica takes it over.
            LOG.errorf(e, "pre-fetch %s stopped", id);
        } finally {
            running.remove(id, runner);
        }
    }

    private static void fenced(boolean written, UUID id) {
        if (!written) {
            throw new TakenOver(id);
        }
    }

    /** Every child of an index, every blob of an image manifest. */
    private void fetchContent(UUID id, int position, Runner runner, String repository, ManifestRecord manifest) {
        fenced(jobs.addProgress(id, position, runner, 1, 0, 0), id);
        ParsedManifest parsed = ManifestParser.parse(manifest.payload(), manifest.mediaType());
        for (Descriptor child : parsed.children()) {
            fetchContent(id, position, runner, repository, pull.manifest(repository,
                    new Reference.ByDigest(child.digest()), true, false).manifest());
        }
        for (Descriptor blob : parsed.blobs()) {
            if (links.linkedSize(repository, blob.digest()).isEmpty()
                    && pull.blob(repository, blob.digest()) instanceof PullThrough.BlobFetch.Streaming cold) {
                try {
                    cold.body().write(OutputStream.nullOutputStream());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            fenced(jobs.addProgress(id, position, runner, 0, 1, blob.size()), id);
        }
    }

    private record ImageName(String repository, Reference reference) {
    }

    /** {@code <path>:<tag>}, {@code <path>@<digest>} or {@code <path>} (tag latest), in the upstream's names. */
    private static ImageName parse(Upstream upstream, String image) {
        if (image == null) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "an image name is null");
        }
        String path = image;
        Reference reference;
        int at = image.indexOf('@');
        int colon = image.lastIndexOf(':');
        if (at > 0) {
            path = image.substring(0, at);
            reference = new Reference.ByDigest(Digest.parse(image.substring(at + 1)));
        } else if (colon > image.lastIndexOf('/')) {
            path = image.substring(0, colon);
            reference = Reference.parse(image.substring(colon + 1));
        } else {
            reference = new Reference.Tag("latest");
        }
        return new ImageName(RepositoryName.require(upstream.namespace() + "/" + path), reference);
    }
}
