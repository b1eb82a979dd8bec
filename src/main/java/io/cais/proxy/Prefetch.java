package io.cais.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ahead of time: fetches a list of images ({@code library/nginx:1.27}, {@code library/alpine@sha256:…}) of an upstream
 * into its cache namespace before any node asks — every platform of an index, every config and layer — through the
 * same {@link PullThrough} paths as a pull, on a virtual thread. The job's progress is kept in this replica's memory
 * for a day.
 */
@ApplicationScoped
public class Prefetch {

    private static final Logger LOG = Logger.getLogger(Prefetch.class);
    private static final int MAX_IMAGES = 1000;

    /** What a job did so far; {@code state} is {@code running}, {@code done} or {@code failed} (some image failed). */
    public record Progress(String id, String upstream, String state, int images, int imagesDone, int manifests, int blobs,
                           long bytes, List<String> errors, Instant startedAt, Instant finishedAt) {
    }

    private static final class Job {
        final String id = UUID.randomUUID().toString();
        final String upstream;
        final List<String> images;
        final Instant startedAt = Instant.now();
        final AtomicInteger imagesDone = new AtomicInteger();
        final AtomicInteger manifests = new AtomicInteger();
        final AtomicInteger blobs = new AtomicInteger();
        final AtomicLong bytes = new AtomicLong();
        final List<String> errors = Collections.synchronizedList(new ArrayList<>());
        volatile Instant finishedAt;

        Job(String upstream, List<String> images) {
            this.upstream = upstream;
            this.images = images;
        }

        Progress progress() {
            String state = finishedAt == null ? "running" : errors.isEmpty() ? "done" : "failed";
            return new Progress(id, upstream, state, images.size(), imagesDone.get(), manifests.get(), blobs.get(),
                    bytes.get(), List.copyOf(errors), startedAt, finishedAt);
        }
    }

    @Inject
    Upstreams upstreams;

    @Inject
    PullThrough pull;

    @Inject
    BlobLinkStore links;

    private final Cache<String, Job> jobs = Caffeine.newBuilder().maximumSize(1000).expireAfterWrite(Duration.ofDays(1)).build();

    /** Starts a job; the image names are checked first (400 for a bad one, nothing started). */
    public Progress start(String upstreamName, List<String> images) {
        Upstream upstream = upstreams.named(upstreamName).orElseThrow(() -> Upstreams.unknown(upstreamName));
        if (images == null || images.isEmpty() || images.size() > MAX_IMAGES) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "images is a list of 1 to " + MAX_IMAGES
                    + " image names of the upstream, e.g. library/nginx:1.27");
        }
        images.forEach(image -> parse(upstream, image));
        Job job = new Job(upstreamName, List.copyOf(images));
        jobs.put(job.id, job);
        Thread.ofVirtual().name("prefetch-" + job.id).start(() -> run(upstream, job));
        return job.progress();
    }

    public Optional<Progress> progress(String upstream, String id) {
        return Optional.ofNullable(jobs.getIfPresent(id)).filter(job -> job.upstream.equals(upstream)).map(Job::progress);
    }

    private void run(Upstream upstream, Job job) {
        for (String image : job.images) {
            try {
                ImageName name = parse(upstream, image);
                ManifestRecord root = pull.manifest(name.repository(), name.reference(), true, false).manifest();
                fetchContent(job, name.repository(), root);
                pull.storePending(name.repository());
            } catch (RuntimeException e) {
                String why = e instanceof RegistryException registry ? registry.getMessage() : e.toString();
                job.errors.add(image + ": " + why);
                LOG.warnf("pre-fetch %s of %s: %s", job.id, image, why);
            }
            job.imagesDone.incrementAndGet();
        }
        job.finishedAt = Instant.now();
        LOG.infof("pre-fetch %s finished: %s", job.id, job.progress());
    }

    /** Every child of an index, every blob of an image manifest. */
    private void fetchContent(Job job, String repository, ManifestRecord manifest) {
        job.manifests.incrementAndGet();
        ParsedManifest parsed = ManifestParser.parse(manifest.payload(), manifest.mediaType());
        for (Descriptor child : parsed.children()) {
            fetchContent(job, repository, pull.manifest(repository, new Reference.ByDigest(child.digest()), true, false)
                    .manifest());
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
            job.blobs.incrementAndGet();
            job.bytes.addAndGet(blob.size());
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
