package io.cais.sweep;

import io.agroal.api.AgroalDataSource;
import io.cais.metadata.SweepStore;
import io.cais.content.Digest;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The race the digest lock closes: a push finds a stray copy of its blob already stored and keeps it, while the
 * sweep, which saw no row, removes that copy. The push must end with its blob stored, not with a row and no object.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class SweepRaceTest {

    @Inject
    SweepStore sweeps;

    @Inject
    AgroalDataSource dataSource;

    @Test
    void aPushThatKeptAStrayObjectWhichTheSweepRemovesStoresItsBlobAgain() throws Exception {
        String repo = Blobs.repository("sweep-race");
        StoreSweepContract.push(repo, Blobs.random(10)); // warm: the racing push must reach its commit quickly
        byte[] content = Blobs.random(4000);
        String digest = Blobs.sha256(content);
        Path file = FilesystemStoreSweepTest.blobFile(digest);
        Files.createDirectories(file.getParent());
        Files.write(file, content); // the stray copy of an earlier, crashed push
        CountDownLatch locked = new CountDownLatch(1);
        AtomicBoolean pushWaited = new AtomicBoolean();

        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Boolean> sweep = executor.submit(() -> sweeps.removeIfUnrecorded(Digest.parse(digest), () -> {
                locked.countDown();
                // The push has kept the stray copy and now waits for the digest's lock to record it.
                pushWaited.set(waitForAnAdvisoryLockWaiter());
                Files.delete(file);
            }));
            assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
            Future<Integer> push = executor.submit(() -> StoreSweepContract.request()
                    .contentType("application/octet-stream").body(content)
                    .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest).statusCode());

            assertThat(sweep.get(60, TimeUnit.SECONDS)).isTrue();
            assertThat(push.get(60, TimeUnit.SECONDS)).isEqualTo(201);
        }

        assertThat(pushWaited).as("the push waited for the sweep's lock").isTrue();
        assertThat(file).exists();
        assertThat(StoreSweepContract.request().get("/v2/" + repo + "/blobs/" + digest).then().statusCode(200)
                .extract().asByteArray()).isEqualTo(content);
    }

    private boolean waitForAnAdvisoryLockWaiter() throws java.io.IOException {
        try {
            return advisoryLockWaiterWithin(TimeUnit.SECONDS.toNanos(30));
        } catch (java.sql.SQLException | InterruptedException e) {
            throw new java.io.IOException(e);
        }
    }

    private boolean advisoryLockWaiterWithin(long nanos) throws java.sql.SQLException, InterruptedException {
        long deadline = System.nanoTime() + nanos;
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet waiting = statement.executeQuery(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")) {
                    waiting.next();
                    if (waiting.getInt(1) > 0) {
                        return true;
                    }
                }
                Thread.sleep(10);
            }
        }
        return false;
    }
}
