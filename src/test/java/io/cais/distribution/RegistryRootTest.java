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

    /** Forwarded headers are ignored unless forwarding from a trusted proxy is configured: anyone can send them. */
    @Test
    void forwardedHeadersDoNotMoveTheRealmByDefault() {
        given().header("X-Forwarded-Proto", "https").header("X-Forwarded-Host", "evil.example.com").get("/v2/").then().statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer realm=\"http://localhost:"));
    }

    /** An HTTP/1.0 request may carry no Host header: the challenge names the address it arrived at. */
    @Test
    void requestWithoutHostHeaderIsChallengedWithTheAddressItCameTo() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", io.restassured.RestAssured.port)) {
            socket.getOutputStream().write("GET /v2/ HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            org.assertj.core.api.Assertions.assertThat(response).startsWith("HTTP/1.0 401")
                    .contains("WWW-Authenticate: Bearer realm=\"http://127.0.0.1:" + io.restassured.RestAssured.port + "/auth/token\"")
                    .contains("\"UNAUTHORIZED\"");
        }
    }
}
