package io.cais.error;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.testing.Blobs;
import io.cais.testing.DedicatedPostgres;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.cais.testing.S3ProxyProcess;
import io.cais.testing.Signals;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A dependency that is down is not an internal error: with PostgreSQL or the S3 store stopped, requests get 503
 * {@code UNAVAILABLE} with {@code Retry-After} at once, and the log has one line when the outage starts and one
 * when it ends. With either frozen (SIGSTOP, what a network partition looks like), a request fails the same way
 * within the configured timeouts instead of waiting for the freeze to end. Real servers in processes of their own.
 */
class OutageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Beyond the configured timeouts: JVM, scheduling and the 2-core machine's other load. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    @Test
    void postgresFrozenOrStoppedAnswers503WithinTheTimeouts() throws Exception {
        Path work = Files.createTempDirectory("cais-outage-db");
        try (DedicatedPostgres postgres = DedicatedPostgres.start(work.resolve("pg"))) {
            Map<String, String> config = postgres.registryConfig();
            config.put("cais.storage.filesystem.root", work.resolve("blobs").toString());
            config.put("cais.database.connect-timeout", "1");
            config.put("cais.database.socket-timeout", "2");
            config.put("cais.database.statement-timeout", "1");
            config.put("quarkus.datasource.jdbc.acquisition-timeout", "2s");
            Duration bound = Duration.ofSeconds(2).plus(SLACK);
            try (RegistryProcess registry = RegistryProcess.start(work.resolve("cais"), config)) {
                String blob = pushBlob(registry, "db-outage");

                Signals.freeze(postgres.pid());
                try {
                    assertUnavailableWithin(registry, "HEAD", blob, bound, "PostgreSQL");
                } finally {
                    Signals.thaw(postgres.pid());
                }
                awaitStatus(registry, "HEAD", blob, 200);
                awaitLog(registry, "PostgreSQL available again", 1);

                postgres.stop();
                for (int i = 0; i < 3; i++) {
                    assertUnavailableWithin(registry, "HEAD", blob, bound, "PostgreSQL");
                }
                assertUnavailableWithin(registry, "GET", "/v2/_catalog", bound, "PostgreSQL");
                assertUnavailableWithin(registry, "GET", blob.replace("/blobs/", "/manifests/").replaceAll("sha256:.*", "latest"),
                        bound, "PostgreSQL");
                postgres.start();
                awaitStatus(registry, "HEAD", blob, 200);
                awaitLog(registry, "PostgreSQL available again", 2);

                String log = registry.log();
                assertThat(count(log, "PostgreSQL unavailable: answering 503")).as("one line per outage:\n" + log).isEqualTo(2);
                assertThat(count(log, "PostgreSQL available again")).isEqualTo(2);
                assertThat(answeredDuringLastOutage(log, "PostgreSQL")).isGreaterThanOrEqualTo(5);
                assertThat(log).doesNotContain("failed unexpectedly");
            }
        }
    }

    @Test
    void aPoolWithNoFreeConnectionWhilePostgresAnswersIsLoggedAsThePoolNotAsAnOutage() throws Exception {
        Path work = Files.createTempDirectory("cais-outage-pool");
        try (DedicatedPostgres postgres = DedicatedPostgres.start(work.resolve("pg"))) {
            Map<String, String> config = postgres.registryConfig();
            config.put("cais.storage.filesystem.root", work.resolve("blobs").toString());
            config.putAll(Map.of("quarkus.datasource.jdbc.max-size", "2", "quarkus.datasource.jdbc.acquisition-timeout", "1s",
                    // The requests below wait for a lock far longer than the pool waits for a connection.
                    "cais.database.lock-timeout", "60", "cais.database.statement-timeout", "60",
                    "cais.database.socket-timeout", "90"));
            try (RegistryProcess registry = RegistryProcess.start(work.resolve("cais"), config);
                 Connection locker = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "");
                 ExecutorService clients = Executors.newFixedThreadPool(2)) {
                pushBlob(registry, "pool");
                locker.setAutoCommit(false);
                try (Statement lock = locker.createStatement()) {
                    lock.execute("LOCK TABLE repository IN ACCESS EXCLUSIVE MODE");
                }
                // Two listings wait for the lock, each holding one of the pool's two connections.
                List<Future<HttpResponse<byte[]>>> waiting = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    waiting.add(clients.submit(() -> Http.send("GET", registry.url("/v2/_catalog"), null)));
                }
                awaitLockWaiters(locker, 2);

                assertUnavailableWithin(registry, "GET", "/v2/_catalog", Duration.ofSeconds(1).plus(SLACK), "PostgreSQL");
                awaitLog(registry, "PostgreSQL connection pool exhausted: all 2 connections stayed busy", 1);
                locker.rollback();
                for (Future<HttpResponse<byte[]>> listing : waiting) {
                    assertThat(listing.get().statusCode()).isEqualTo(200);
                }
                awaitLog(registry, "PostgreSQL connection pool has free connections again", 1);
                assertThat(registry.log()).doesNotContain("PostgreSQL unavailable").doesNotContain("failed unexpectedly");
            }
        }
    }

    /** Waits until {@code count} other sessions wait for a lock. */
    private static void awaitLockWaiters(Connection connection, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (Statement query = connection.createStatement();
                 ResultSet rows = query.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) {
                rows.next();
                if (rows.getInt(1) >= count) {
                    return;
                }
            }
            assertThat(System.nanoTime()).as("sessions waiting for the lock").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void storeFrozenOrKilledAnswers503WithinTheTimeouts() throws Exception {
        Path work = Files.createTempDirectory("cais-outage-s3");
        try (S3ProxyProcess s3 = S3ProxyProcess.start(work.resolve("s3"))) {
            Map<String, String> config = s3.registryConfig("outage");
            config.put("quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"));
            config.put("quarkus.datasource.username", "postgres");
            config.put("cais.storage.s3.connect-timeout", "PT1S");
            // Not lower: a freshly started S3Proxy on a loaded machine takes seconds for its first answers.
            config.put("cais.storage.s3.read-timeout", "PT4S");
            config.put("cais.storage.s3.write-timeout", "PT4S");
            Duration bound = Duration.ofSeconds(4).plus(SLACK);
            try (RegistryProcess registry = RegistryProcess.start(work.resolve("cais"), config)) {
                String blob = pushBlob(registry, "s3-outage");

                Signals.freeze(s3.pid());
                try {
                    assertUnavailableWithin(registry, "GET", blob, bound, "blob store");
                } finally {
                    Signals.thaw(s3.pid());
                }
                awaitStatus(registry, "GET", blob, 200);
                awaitLog(registry, "blob store available again", 1);

                s3.kill();
                for (int i = 0; i < 3; i++) {
                    assertUnavailableWithin(registry, "GET", blob, bound, "blob store");
                }
                byte[] another = Blobs.random(1000);
                HttpResponse<byte[]> push = Http.send("POST", registry.url("/v2/" + repository(blob)
                        + "/blobs/uploads/?digest=" + Blobs.sha256(another)), another, "Content-Type", "application/octet-stream");
                assertUnavailable(push, "blob store");
                s3.start();
                awaitStatus(registry, "GET", blob, 200);
                awaitLog(registry, "blob store available again", 2);

                String log = registry.log();
                assertThat(count(log, "blob store unavailable: answering 503")).as("one line per outage:\n" + log).isEqualTo(2);
                assertThat(count(log, "blob store available again")).isEqualTo(2);
                assertThat(answeredDuringLastOutage(log, "blob store")).isGreaterThanOrEqualTo(4);
                assertThat(log).doesNotContain("failed unexpectedly");
            }
        }
    }

    /** Pushes a small blob and returns its path ({@code /v2/<repo>/blobs/<digest>}). */
    private static String pushBlob(RegistryProcess registry, String prefix) throws Exception {
        String repository = Blobs.repository(prefix);
        byte[] content = Blobs.random(100_000);
        String digest = Blobs.sha256(content);
        HttpResponse<byte[]> pushed = Http.send("POST", registry.url("/v2/" + repository + "/blobs/uploads/?digest=" + digest),
                content, "Content-Type", "application/octet-stream");
        assertThat(pushed.statusCode()).isEqualTo(201);
        return "/v2/" + repository + "/blobs/" + digest;
    }

    private static String repository(String blobPath) {
        return blobPath.substring("/v2/".length(), blobPath.indexOf("/blobs/"));
    }

    private static void assertUnavailableWithin(RegistryProcess registry, String method, String path, Duration bound,
                                                String dependency) throws Exception {
        long start = System.nanoTime();
        HttpResponse<byte[]> response = Http.send(method, registry.url(path), null);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertUnavailable(response, method.equals("HEAD") ? null : dependency);
        assertThat(took).as("%s %s answered after %s", method, path, took).isLessThan(bound);
    }

    private static void assertUnavailable(HttpResponse<byte[]> response, String dependency) throws Exception {
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isPositive());
        if (dependency != null) {
            JsonNode error = JSON.readTree(response.body()).path("errors").path(0);
            assertThat(error.path("code").asText()).isEqualTo("UNAVAILABLE");
            assertThat(error.path("detail").path("unavailable").asText()).isEqualTo(dependency);
        }
    }

    private static void awaitStatus(RegistryProcess registry, String method, String path, int status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            last = Http.send(method, registry.url(path), null).statusCode();
            if (last == status) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(method + " " + path + " still answers " + last + " after 30 s");
    }

    private static void awaitLog(RegistryProcess registry, String line, int times) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline && count(registry.log(), line) < times) {
            Thread.sleep(100);
        }
        assertThat(count(registry.log(), line)).as(registry.log()).isEqualTo(times);
    }

    /** The number of 503 answers the log's last end-of-outage line of {@code dependency} reports. */
    private static int answeredDuringLastOutage(String log, String dependency) {
        Matcher matcher = Pattern.compile(Pattern.quote(dependency) + " available again after \\d+ ms \\((\\d+) requests answered 503\\)")
                .matcher(log);
        int answered = -1;
        while (matcher.find()) {
            answered = Integer.parseInt(matcher.group(1));
        }
        return answered;
    }

    private static int count(String text, String what) {
        Matcher matcher = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (matcher.find()) {
            n++;
        }
        return n;
    }
}
