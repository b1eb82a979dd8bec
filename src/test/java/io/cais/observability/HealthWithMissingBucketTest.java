package io.cais.observability;

import io.cais.testing.PostgresTestResource;
import io.cais.testing.S3MissingBucketProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** A blob store that fails its probe (S3 without its bucket) makes the replica not ready, but still live. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
@TestProfile(S3MissingBucketProfile.class)
class HealthWithMissingBucketTest {

    private static final String STORE = "checks.find { it.name == '" + BlobStoreHealthCheck.NAME + "' }";
    private static final String DATABASE = "checks.find { it.name == 'Database connections health check' }";

    @Test
    void readyReportsDownWhenTheStoreProbeFails() {
        given().get("/q/health/ready").then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body(STORE + ".status", equalTo("DOWN"))
                .body(STORE + ".data.type", equalTo("s3"))
                .body(STORE + ".data.error", containsString(S3MissingBucketProfile.BUCKET))
                .body(DATABASE + ".status", equalTo("UP"));
    }

    @Test
    void liveStaysUpWhenTheStoreIsDown() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }
}
