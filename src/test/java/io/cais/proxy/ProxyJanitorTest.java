package io.cais.proxy;

import io.agroal.api.AgroalDataSource;
import io.cais.metadata.FetchClaimStore;
import io.cais.metadata.PendingManifestStore;
import io.cais.metadata.PrefetchJobStore;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the pull-through cache leaves behind is deleted: expired pending manifests, stale fetch claims, jobs of dead
 * replicas; and a pre-fetch job taken over from a replica refuses that replica's writes.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class ProxyJanitorTest {

    @Inject
    ProxyJanitor janitor;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    PendingManifestStore pendingManifests;

    @Inject
    FetchClaimStore claims;

    @Inject
    PrefetchJobStore prefetchJobs;

    @Test
    void thePullThroughCachesExpiredPendingManifestsStaleClaimsAndJobsOfDeadReplicasAreCleanedUp() throws Exception {
        String repo = Blobs.repository("janitor-proxy");
        byte[] manifest = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        pendingManifests.put(repo, "old", "sha256:old", "application/vnd.oci.image.manifest.v1+json", null, manifest);
        pendingManifests.put(repo, "new", "sha256:new", "application/vnd.oci.image.manifest.v1+json", null, manifest);
        assertThat(claims.claim(repo, "blobs/sha256:stale", "dead-replica", Duration.ofSeconds(30))).isTrue();
        assertThat(claims.claim(repo, "blobs/sha256:live", "live-replica", Duration.ofSeconds(30))).isTrue();
        UUID silent = UUID.randomUUID();
        UUID running = UUID.randomUUID();
        prefetchJobs.create(silent, "janitor.example", "dead-replica", List.of("library/a:1"));
        prefetchJobs.create(running, "janitor.example", "live-replica", List.of("library/b:1"));
        execute("UPDATE proxy_pending_manifest SET fetched_at = now() - interval '31 minutes' WHERE repository = '" + repo
                + "' AND reference = 'old'");
        execute("UPDATE proxy_fetch_claim SET heartbeat = now() - interval '1 minute' WHERE replica = 'dead-replica'");
        execute("UPDATE prefetch_job SET heartbeat = now() - interval '1 minute', adoptions = "
                + PrefetchJobStore.MAX_ADOPTIONS + " WHERE replica = 'dead-replica'");

        assertThat(pendingManifests.find(repo, "old")).as("past its lifetime, never served").isEmpty();
        assertThat(prefetchJobs.find("janitor.example", silent, Duration.ofSeconds(30)).orElseThrow().state())
                .as("a job silent and taken over too often reads as abandoned at once").isEqualTo("abandoned");

        janitor.purgeLeftovers();

        assertThat(count("SELECT count(*) FROM proxy_pending_manifest WHERE repository = '" + repo + "'")).isEqualTo(1);
        assertThat(pendingManifests.find(repo, "new")).isPresent();
        assertThat(count("SELECT count(*) FROM proxy_fetch_claim WHERE repository = '" + repo + "'")).isEqualTo(1);
        assertThat(claims.claim(repo, "blobs/sha256:live", "other", Duration.ofSeconds(30))).as("the live claim stays").isFalse();
        PrefetchJobStore.Job abandoned = prefetchJobs.find("janitor.example", silent, Duration.ofSeconds(30)).orElseThrow();
        assertThat(abandoned.state()).isEqualTo("abandoned");
        assertThat(abandoned.finishedAt()).isNotNull();
        assertThat(prefetchJobs.find("janitor.example", running, Duration.ofSeconds(30)).orElseThrow().state())
                .isEqualTo("running");
    }

    @Test
    void aPrefetchJobsWritesAreRefusedToTheRunnerItWasTakenOverFrom() throws Exception {
        UUID job = UUID.randomUUID();
        PrefetchJobStore.Runner stalled = new PrefetchJobStore.Runner("stalled-replica", 0);
        prefetchJobs.create(job, "fenced.example", stalled.replica(), List.of("library/a:1", "library/b:1"));
        assertThat(prefetchJobs.startImage(job, 0, stalled)).isTrue();
        assertThat(prefetchJobs.addProgress(job, 0, stalled, 1, 2, 300)).isTrue();
        // Taken over by the same replica (it missed its own heartbeats): a new runner all the same.
        execute("UPDATE prefetch_job SET adoptions = 1 WHERE id = '" + job + "'");
        PrefetchJobStore.Runner adopting = new PrefetchJobStore.Runner("stalled-replica", 1);

        assertThat(prefetchJobs.addProgress(job, 0, stalled, 1, 1, 100)).isFalse();
        assertThat(prefetchJobs.finishImage(job, 0, stalled, null)).isFalse();
        assertThat(prefetchJobs.startImage(job, 1, stalled)).isFalse();
        assertThat(prefetchJobs.finish(job, stalled)).isFalse();
        PrefetchJobStore.Job stored = prefetchJobs.find("fenced.example", job, Duration.ofSeconds(30)).orElseThrow();
        assertThat(stored.state()).isEqualTo("running");
        assertThat(stored.images().get(0)).isEqualTo(new PrefetchJobStore.ImageProgress("library/a:1", "running", 1, 2, 300, null));

        assertThat(prefetchJobs.startImage(job, 0, adopting)).as("the new runner starts the image again").isTrue();
        stored = prefetchJobs.find("fenced.example", job, Duration.ofSeconds(30)).orElseThrow();
        assertThat(stored.images().get(0)).isEqualTo(new PrefetchJobStore.ImageProgress("library/a:1", "running", 0, 0, 0, null));
        assertThat(prefetchJobs.finish(job, adopting)).isTrue();
        assertThat(prefetchJobs.find("fenced.example", job, Duration.ofSeconds(30)).orElseThrow().state()).isEqualTo("done");
    }

    private void execute(String sql) throws Exception {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            assertThat(statement.executeUpdate()).isPositive();
        }
    }

    private long count(String sql) throws Exception {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql);
             java.sql.ResultSet result = statement.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }
}
