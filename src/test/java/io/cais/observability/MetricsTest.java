package io.cais.observability;

import io.cais.testing.Blobs;
import io.cais.testing.PrometheusText;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * /q/metrics in the Prometheus format: blob bytes pushed and pulled, uploads in progress, connection pool usage,
 * and request counts and latencies per route template — never per repository name.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class MetricsTest {

    @TestHTTPResource("/")
    URL base;

    private static final String BLOB_ROUTE = "uri=\"/v2/{name}/blobs/{digest}\"";

    private static RequestSpecification request() {
        return given().urlEncodingEnabled(false).redirects().follow(false).header("Authorization", io.cais.testing.Admin.basic());
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static double value(String metrics, String name) {
        return PrometheusText.value(metrics, name);
    }

    @Test
    void pushAndPullCountBlobBytesAndRequestsPerRouteTemplate() {
        String before = metrics();
        String repo = Blobs.repository("metrics");
        byte[] monolithic = Blobs.random(10_000);
        byte[] chunked = Blobs.random(3_000);

        request().contentType("application/octet-stream").body(monolithic)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + Blobs.sha256(monolithic)).then().statusCode(201);
        String location = request().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(202)
                .extract().header("Location");
        request().contentType("application/octet-stream").body(chunked).patch(location).then().statusCode(202);
        request().put(location + "?digest=" + Blobs.sha256(chunked)).then().statusCode(201);
        request().get("/v2/" + repo + "/blobs/" + Blobs.sha256(monolithic)).then().statusCode(200);
        request().header("Range", "bytes=0-99").get("/v2/" + repo + "/blobs/" + Blobs.sha256(chunked))
                .then().statusCode(206);
        request().head("/v2/" + repo + "/blobs/" + Blobs.sha256(chunked)).then().statusCode(200);

        String after = metrics();
        assertThat(value(after, "cais_blobs_pushed_bytes_total") - value(before, "cais_blobs_pushed_bytes_total"))
                .isEqualTo(monolithic.length + chunked.length);
        assertThat(value(after, "cais_blobs_pulled_bytes_total") - value(before, "cais_blobs_pulled_bytes_total"))
                .isEqualTo(monolithic.length + 100);
        assertThat(value(after, "cais_uploads_in_progress")).isZero();
        assertThat(after).containsPattern("http_server_requests_seconds_count\\{[^}]*method=\"GET\"[^}]*"
                + Pattern.quote(BLOB_ROUTE));
        assertThat(after).containsPattern("http_server_requests_seconds_count\\{[^}]*method=\"PATCH\"[^}]*"
                + Pattern.quote("uri=\"/v2/{name}/blobs/uploads/{uuid}\""));
        assertThat(after).contains("http_server_requests_seconds_sum{").contains("http_server_requests_seconds_max{");
        assertThat(after).containsPattern("http_server_requests_seconds_bucket\\{[^}]*" + Pattern.quote(BLOB_ROUTE)
                + ",le=\"0\\.1\"}");
        assertThat(after).doesNotContain(repo);
    }

    @Test
    void rejectedAndUnknownPathsDoNotBecomeUriTags() throws Exception {
        String name = "leak" + System.nanoTime();
        // Sent as written (REST Assured would normalise the //): RawPathGuard answers before any route matches.
        HttpResponse<String> rejected = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(base + "v2/" + name + "//x/blobs/sha256:" + "a".repeat(64))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(rejected.statusCode()).isEqualTo(400);
        request().get("/v2/" + name + "/nothing-here").then().statusCode(404);
        request().put("/v2/" + name + "/tags/list").then().statusCode(405);
        request().get("/v2/" + name + "/blobs/sha256:" + "b".repeat(64)).then().statusCode(404);

        String after = metrics();
        assertThat(after).doesNotContain(name);
        assertThat(after).containsPattern("http_server_requests_seconds_count\\{[^}]*status=\"404\"[^}]*"
                + Pattern.quote(BLOB_ROUTE));
    }

    @Test
    void tokenIssuesAndAuthFailuresAreCountedByReason() {
        given().header("Authorization", io.cais.testing.Admin.basic()).get("/auth/token?scope=repository:tests/x:pull")
                .then().statusCode(200);
        given().get("/v2/tests/x/tags/list").then().statusCode(401);
        given().header("Authorization", io.cais.testing.Admin.basic("admin", "wrong")).get("/v2/").then().statusCode(401);
        String metrics = metrics();
        assertThat(metrics).containsPattern("cais_auth_tokens_issued_total(\\{[^}]*\\})? [1-9]")
                .containsPattern("cais_auth_failures_total\\{[^}]*reason=\"unauthenticated\"[^}]*\\} [1-9]")
                .containsPattern("cais_auth_failures_total\\{[^}]*reason=\"invalid_credentials\"[^}]*\\} [1-9]");
    }

    /** Hole 7: failed logins at the token endpoint (Basic and the OAuth2 password grant) are counted too. */
    @Test
    void failedLoginsAtTheTokenEndpointAreCounted() {
        double before = invalidCredentials(metrics());
        given().header("Authorization", io.cais.testing.Admin.basic("admin", "wrong")).get("/auth/token").then().statusCode(401);
        given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "password")
                .formParam("username", "admin").formParam("password", "wrong").post("/auth/token").then().statusCode(401);
        assertThat(invalidCredentials(metrics())).isEqualTo(before + 2);
    }

    private static double invalidCredentials(String metrics) {
        var sample = java.util.regex.Pattern.compile("(?m)^cais_auth_failures_total\\{[^}]*reason=\"invalid_credentials\"[^}]*} (\\S+)$")
                .matcher(metrics);
        assertThat(sample.find()).as(metrics).isTrue();
        return Double.parseDouble(sample.group(1));
    }

    @Test
    void connectionPoolUsageIsExported() {
        String metrics = metrics();
        assertThat(metrics).contains("agroal_active_count{datasource=\"default\"")
                .contains("agroal_available_count{datasource=\"default\"")
                .contains("agroal_awaiting_count{datasource=\"default\"");
    }
}
