package io.cais.observability;

import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

/** Liveness and readiness of a registry whose database and blob store (filesystem) are both there. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class HealthTest {

    @Test
    void liveIsUp() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void readyIsUpWithDatabaseAndStore() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems("Database connections health check", BlobStoreHealthCheck.NAME))
                .body("checks.find { it.name == '" + BlobStoreHealthCheck.NAME + "' }.status", equalTo("UP"))
                .body("checks.find { it.name == '" + BlobStoreHealthCheck.NAME + "' }.data.type", equalTo("filesystem"));
    }
}
