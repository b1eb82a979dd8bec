package io.cais.proxy;

import io.agroal.api.AgroalDataSource;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The upstream list every pull consults ("is this a cache namespace?"), remembered per replica. When it is due, the
 * pulls in flight must not all read it: each took a pooled connection at once, and under a node scale-up storm the
 * pool ran dry and the replica answered 503.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class UpstreamsTest {

    private static final int PULLS = 16;

    @Inject
    Upstreams upstreams;

    @Inject
    AgroalDataSource dataSource;

    /**
     * The table is locked, so that a read of the list waits in PostgreSQL where it can be counted: with the list
     * forgotten, of the pulls asking at once exactly one reads it; the others wait for that read, and all answer.
     */
    @Test
    void pullsAskingAtOnceForAForgottenUpstreamListReadItOnce() throws Exception {
        assertThat(upstreams.forRepository("library/app")).isEmpty();
        ConcurrentLinkedQueue<Object> answers = new ConcurrentLinkedQueue<>();
        List<Thread> pulls = new ArrayList<>();
        try (Connection blocker = dataSource.getConnection(); Statement statement = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            statement.execute("LOCK TABLE upstream IN ACCESS EXCLUSIVE MODE");
            upstreams.forget();
            for (int i = 0; i < PULLS; i++) {
                pulls.add(Thread.ofVirtual().start(() -> {
                    try {
                        answers.add(upstreams.forRepository("team/app"));
                    } catch (RuntimeException e) {
                        answers.add(e);
                    }
                }));
            }
            // The first read reaches the lock quickly; any other would follow it within a moment (cais.database.lock-timeout
            // is 2 s, so the lock is released well before).
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (readsWaiting() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(300);
            assertThat(readsWaiting()).isEqualTo(1);
            blocker.rollback();
        }
        for (Thread pull : pulls) {
            pull.join();
        }
        assertThat(answers).hasSize(PULLS).allMatch(Optional.empty()::equals);
    }

    /** Sessions of ours waiting for a lock in a read of the upstream list. */
    private int readsWaiting() throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             var rows = statement.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                     + "AND query LIKE '%FROM upstream%' AND pid <> pg_backend_pid()")) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
