package io.cais.distribution;

import io.agroal.api.AgroalDataSource;
import io.cais.content.MediaTypes;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.PrometheusText;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

import static io.cais.distribution.BlobApiContract.request;
import static io.cais.distribution.Manifests.pushImage;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Resolved manifests are cached in memory, and a cached answer is never wrong for longer than a change takes to be
 * announced: changes made through this replica are seen at once; changes made anywhere else (another replica, SQL)
 * arrive by PostgreSQL notification; without a listening connection the cache is not used at all.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class ManifestCacheTest {

    /** Generous: a notification normally arrives within milliseconds; the cache's max age is minutes. */
    private static final Duration NOTIFIED_WITHIN = Duration.ofSeconds(5);

    @Inject
    AgroalDataSource dataSource;

    @Test
    void repeatedResolutionIsAnsweredFromMemory() {
        String repo = Blobs.repository("cache");
        String digest = pushImage(repo, "latest");
        awaitListening();
        digestOf(repo, "latest");
        double hits = metric("cais_manifest_cache_hits_total");

        assertThat(digestOf(repo, "latest")).isEqualTo(digest);
        assertThat(headDigestOf(repo, "latest")).isEqualTo(digest);
        assertThat(digestOf(repo, digest)).isEqualTo(digest);
        assertThat(metric("cais_manifest_cache_hits_total") - hits).isGreaterThanOrEqualTo(2);
    }

    @Test
    void tagMovedByPushIsServedAtOnce() {
        String repo = Blobs.repository("cache");
        String first = pushImage(repo, "stable");
        assertThat(cached(repo, "stable")).isEqualTo(first);

        String second = pushImage(repo, "stable");

        assertThat(digestOf(repo, "stable")).isEqualTo(second);
        assertThat(headDigestOf(repo, "stable")).isEqualTo(second);
    }

    @Test
    void manifestDeletedByDigestIsGoneAtOnce() {
        String repo = Blobs.repository("cache");
        String digest = pushImage(repo, "doomed");
        awaitListening();
        assertThat(digestOf(repo, digest)).isEqualTo(digest);
        assertThat(digestOf(repo, "doomed")).isEqualTo(digest);

        request().delete("/v2/" + repo + "/manifests/" + digest).then().statusCode(202);

        request().get("/v2/" + repo + "/manifests/" + digest).then().statusCode(404);
        request().head("/v2/" + repo + "/manifests/doomed").then().statusCode(404);
    }

    @Test
    void tagMovedInTheDatabaseByAnotherWriterIsSeenWithoutRestart() throws SQLException {
        String repo = Blobs.repository("cache");
        String old = pushImage(repo, "prod");
        String replacement = pushImage(repo, "candidate");
        assertThat(cached(repo, "prod")).isEqualTo(old);

        moveTagBehindTheApi(repo, "prod", replacement);

        assertThat(eventually(() -> digestOf(repo, "prod"), replacement)).isEqualTo(replacement);
    }

    @Test
    void tagDeletedInTheDatabaseByAnotherWriterIsGoneWithoutRestart() throws SQLException {
        String repo = Blobs.repository("cache");
        pushImage(repo, "gone");
        cached(repo, "gone");

        sql("DELETE FROM tag t USING repository r WHERE t.repository_id = r.id AND r.name = ? AND t.name = 'gone'", repo);

        assertThat(eventually(() -> String.valueOf(request().head("/v2/" + repo + "/manifests/gone").statusCode()), "404"))
                .isEqualTo("404");
    }

    @Test
    void lostListenerConnectionNeverLeavesAStaleAnswerAndListeningResumes() throws SQLException {
        String repo = Blobs.repository("cache");
        String old = pushImage(repo, "app");
        String next = pushImage(repo, "next");
        assertThat(cached(repo, "app")).isEqualTo(old);

        // The listener's session dies; a change committed now is announced to nobody.
        sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                + "WHERE application_name = 'cais-change-listener'");
        moveTagBehindTheApi(repo, "app", next);
        assertThat(eventually(() -> digestOf(repo, "app"), next)).isEqualTo(next);

        // A new connection listens again, and changes keep arriving through it.
        assertThat(cached(repo, "app")).isEqualTo(next);
        moveTagBehindTheApi(repo, "app", old);
        assertThat(eventually(() -> digestOf(repo, "app"), old)).isEqualTo(old);
    }

    /**
     * A reader that must see a change before its notification could arrive asks for the database's answer with
     * {@code Cache-Control: no-cache}. Shown with a change that is never announced (triggers off for the writing
     * session), so the cached answer is stale for certain.
     */
    @Test
    void cacheControlNoCacheBypassesTheCache() throws SQLException {
        String repo = Blobs.repository("cache");
        String old = pushImage(repo, "live");
        String replacement = pushImage(repo, "next");
        assertThat(cached(repo, "live")).isEqualTo(old);

        try (Connection connection = dataSource.getConnection(); var statement = connection.createStatement()) {
            statement.execute("SET session_replication_role = replica"); // no triggers, so no notification
            try (PreparedStatement move = connection.prepareStatement("UPDATE tag t SET manifest_id = "
                    + "(SELECT id FROM manifest WHERE repository_id = t.repository_id AND digest = ?) "
                    + "FROM repository r WHERE t.repository_id = r.id AND r.name = ? AND t.name = 'live'")) {
                move.setString(1, replacement);
                move.setString(2, repo);
                assertThat(move.executeUpdate()).isEqualTo(1);
            } finally {
                statement.execute("RESET session_replication_role");
            }
        }

        assertThat(digestOf(repo, "live")).as("the cached, unannounced answer").isEqualTo(old);
        for (String directive : new String[] {"no-cache", "max-age=0", "no-store"}) {
            assertThat(request().header("Cache-Control", directive).accept(MediaTypes.OCI_MANIFEST)
                    .get("/v2/" + repo + "/manifests/live").then().statusCode(200).extract().header("Docker-Content-Digest"))
                    .as("GET with Cache-Control: %s", directive).isEqualTo(replacement);
        }
        assertThat(request().header("Cache-Control", "no-cache").accept(MediaTypes.OCI_MANIFEST)
                .head("/v2/" + repo + "/manifests/live").then().statusCode(200).extract().header("Docker-Content-Digest"))
                .isEqualTo(replacement);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /** Resolves the reference once the cache serves, twice: the second answer comes from memory. */
    private static String cached(String repo, String reference) {
        awaitListening();
        String first = digestOf(repo, reference);
        assertThat(digestOf(repo, reference)).isEqualTo(first);
        return first;
    }

    private static String digestOf(String repo, String reference) {
        return request().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/" + reference)
                .then().statusCode(200).extract().header("Docker-Content-Digest");
    }

    private static String headDigestOf(String repo, String reference) {
        return request().accept(MediaTypes.OCI_MANIFEST).head("/v2/" + repo + "/manifests/" + reference)
                .then().statusCode(200).extract().header("Docker-Content-Digest");
    }

    /** Polls until the value is as expected or the notification deadline passes; returns the last value. */
    private static String eventually(Supplier<String> value, String expected) {
        Instant deadline = Instant.now().plus(NOTIFIED_WITHIN);
        String last = value.get();
        while (!expected.equals(last) && Instant.now().isBefore(deadline)) {
            sleep();
            last = value.get();
        }
        return last;
    }

    private static void awaitListening() {
        assertThat(eventually(() -> String.valueOf(metric("cais_manifest_cache_listening")), "1.0"))
                .as("the change listener is connected").isEqualTo("1.0");
    }

    private static double metric(String name) {
        return PrometheusText.value(given().get("/q/metrics").then().statusCode(200).extract().asString(), name);
    }

    /** As an operator's SQL or another writer would: not through this replica's API. */
    private void moveTagBehindTheApi(String repo, String tag, String digest) throws SQLException {
        sql("UPDATE tag t SET manifest_id = (SELECT id FROM manifest WHERE repository_id = t.repository_id AND digest = ?) "
                + "FROM repository r WHERE t.repository_id = r.id AND r.name = ? AND t.name = ?", digest, repo, tag);
    }

    private void sql(String statement, String... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement prepared = connection.prepareStatement(statement)) {
            for (int i = 0; i < parameters.length; i++) {
                prepared.setString(i + 1, parameters[i]);
            }
            prepared.execute();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
