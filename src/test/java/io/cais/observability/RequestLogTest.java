package io.cais.observability;

import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** One line per request with method, route template, status, bytes and duration; no secrets and no query strings. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class RequestLogTest {

    private static final String SECRET = "s3cr3t-t0ken-value";

    private final List<ExtLogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            ExtLogRecord extended = (ExtLogRecord) record;
            extended.copyAll(); // keep the MDC of the logging thread, as an asynchronous handler would
            records.add(extended);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void capture() {
        Logger.getLogger(RequestLog.CATEGORY).addHandler(capture);
    }

    @AfterEach
    void release() {
        Logger.getLogger(RequestLog.CATEGORY).removeHandler(capture);
    }

    private static RequestSpecification request() {
        return given().urlEncodingEnabled(false).redirects().follow(false).header("Authorization", io.cais.testing.Admin.basic());
    }

    /** The line logged for the request to {@code path} (waits: the line is written when the response ends). */
    private ExtLogRecord lineFor(String method, String path) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (ExtLogRecord record : records) {
                if (path.equals(record.getMdc("http.path")) && method.equals(record.getMdc("http.method"))) {
                    return record;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no request log line for " + method + " " + path + " in " + records.stream()
                .map(ExtLogRecord::getFormattedMessage).toList());
    }

    @Test
    void pushAndPullAreLoggedWithRouteStatusBytesAndDuration() throws Exception {
        String repo = Blobs.repository("logged");
        byte[] blob = Blobs.random(5_000);
        String digest = Blobs.sha256(blob);

        request().contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest).then().statusCode(201);
        request().get("/v2/" + repo + "/blobs/" + digest).then().statusCode(200);

        ExtLogRecord push = lineFor("POST", "/v2/" + repo + "/blobs/uploads/");
        assertThat(push.getFormattedMessage())
                .startsWith("POST /v2/{name}/blobs/uploads/ 201 in=5000 ")
                .contains("path=/v2/" + repo + "/blobs/uploads/")
                .containsPattern(" \\d+\\.\\dms ");
        assertThat(push.getMdc("http.route")).isEqualTo("/v2/{name}/blobs/uploads/");
        assertThat(push.getMdc("http.status")).isEqualTo("201");
        assertThat(push.getMdc("http.bytes_in")).isEqualTo("5000");
        assertThat(push.getFormattedMessage()).contains(" account=admin ");
        assertThat(push.getMdc("account")).isEqualTo("admin");

        ExtLogRecord pull = lineFor("GET", "/v2/" + repo + "/blobs/" + digest);
        assertThat(pull.getFormattedMessage()).startsWith("GET /v2/{name}/blobs/{digest} 200 in=0 out=");
        assertThat(Long.parseLong(pull.getMdc("http.bytes_out"))).isGreaterThanOrEqualTo(blob.length);
        assertThat(Double.parseDouble(pull.getMdc("http.duration_ms"))).isGreaterThanOrEqualTo(0);
    }

    @Test
    void credentialsAndQueryStringsAreNeverLogged() throws Exception {
        String repo = Blobs.repository("secret");
        // Whatever the answer (a registry with authentication refuses the token), the line must not carry it.
        request().header("Authorization", "Bearer " + SECRET).get("/v2/" + repo + "/tags/list?n=5&password=" + SECRET);
        request().header("Authorization", "Basic " + SECRET).get("/v2/" + repo + "/no-such-endpoint?token=" + SECRET);

        assertThat(lineFor("GET", "/v2/" + repo + "/tags/list").getFormattedMessage()).startsWith("GET /v2/{name}/tags/list 4");
        assertThat(lineFor("GET", "/v2/" + repo + "/no-such-endpoint").getFormattedMessage()).startsWith("GET - 4");
        for (ExtLogRecord record : records) {
            assertThat(record.getFormattedMessage()).doesNotContain(SECRET).doesNotContain("?");
            assertThat(record.getMdcCopy().values()).noneMatch(value -> value.contains(SECRET));
        }
    }

    /** Hole 7: a failed login names the account it tried, never the secret it tried with. */
    @Test
    void failedLoginsLogTheAttemptedAccountButNeverTheSecret() throws Exception {
        String name = "intruder-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        given().header("Authorization", io.cais.testing.Admin.basic(name, SECRET)).get("/auth/token").then().statusCode(401);
        given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "password")
                .formParam("username", name).formParam("password", SECRET).post("/auth/token").then().statusCode(401);
        for (String method : List.of("GET", "POST")) {
            ExtLogRecord line = lineFor(method, "/auth/token");
            assertThat(line.getFormattedMessage()).contains(" 401 ").contains(" account=" + name + "(rejected) ").doesNotContain(SECRET);
            assertThat(line.getMdc("account")).isEqualTo(name + "(rejected)");
        }
    }

    @Test
    void healthProbesAndMetricScrapesAreNotLogged() throws Exception {
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        String repo = Blobs.repository("after-probes");
        given().get("/v2/" + repo + "/tags/list"); // a marker: its line is written after those of the requests above

        lineFor("GET", "/v2/" + repo + "/tags/list");
        assertThat(records).noneMatch(r -> r.getMdc("http.path").startsWith("/q/"));
    }
}
