package io.cais.distribution;

import io.cais.testing.Admin;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** The API version check and the error contract shared by every endpoint. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class RegistryRootTest {

    @Test
    void baseEndpointAnswersAuthenticatedCallersWithTheApiVersion() {
        given().header("Authorization", Admin.basic()).get("/v2/").then().statusCode(200)
                .header("Docker-Distribution-API-Version", "registry/2.0")
                .contentType(startsWith("application/json"));
    }

    @Test
    void baseEndpointChallengesAnonymousCallers() {
        given().get("/v2/").then().statusCode(401)
                .header("Docker-Distribution-API-Version", "registry/2.0")
                .header("WWW-Authenticate", startsWith("Bearer realm=\"http://localhost:"))
                .header("WWW-Authenticate", org.hamcrest.Matchers.containsString("/auth/token\",service=\"cais\""))
                .body("errors[0].code", equalTo("UNAUTHORIZED"));
    }

    @Test
    void unknownEndpointIsAnOciErrorDocument() {
        given().get("/v2/some/repo/nothing-here").then().statusCode(404)
                .contentType(startsWith("application/json"))
                .header("Docker-Distribution-API-Version", "registry/2.0")
                .body("errors[0].code", equalTo("NOT_FOUND"))
                .body("errors[0].message", startsWith("no such endpoint"));
    }

    @Test
    void wrongMethodIsUnsupported() {
        given().put("/v2/").then().statusCode(405)
                .contentType(startsWith("application/json"))
                .body("errors[0].code", equalTo("UNSUPPORTED"));
    }
}
