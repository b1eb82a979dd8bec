package io.cais.auth;

import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Images;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.ServiceAccountSigner;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasKey;

/**
 * Workload identity at the token endpoint and on /v2: a pod's service-account token, signed by a cluster key the
 * namespace uploaded and presented as the password of "workload", gets what the namespace's rules map its subject to
 * — and a token that does not prove a mapped workload of that namespace gets nothing.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class WorkloadIdentityAuthTest {

    private ServiceAccountSigner cluster;
    private String namespace;
    private String repository;

    /** A private namespace trusting a cluster, whose service accounts in Kubernetes namespace "payments" may pull. */
    @BeforeEach
    void trustACluster() {
        cluster = ServiceAccountSigner.rsa();
        namespace = AdminApi.namespace("payments", "private");
        AdminApi.trustPullsFrom(namespace, cluster, "payments");
        repository = namespace + "/api";
        Images.push(repository, "1.0");
    }

    private static String workload(String token) {
        return Admin.basic("workload", token);
    }

    private static JsonPath tokenEndpoint(String jwt, String scope) {
        return given().header("Authorization", workload(jwt)).queryParam("scope", scope).get("/auth/token")
                .then().statusCode(200).extract().jsonPath();
    }

    @Test
    void mappedServiceAccountPullsWithTheTokenItGetsForItsOwnToken() {
        String jwt = cluster.token("payments", "api");
        JsonPath answer = tokenEndpoint(jwt, "repository:" + repository + ":pull,push");
        String token = answer.getString("token");
        assertThat(TokenAuthTest.access(token)).containsExactly(
                Map.of("type", "repository", "name", repository, "actions", List.of("pull")));
        assertThat(answer.getMap("")).doesNotContainKey("refresh_token");
        given().header("Authorization", "Bearer " + token).head("/v2/" + repository + "/manifests/1.0").then().statusCode(200);
        given().header("Authorization", "Bearer " + token).get("/v2/" + repository + "/manifests/1.0").then().statusCode(200);
        given().header("Authorization", "Bearer " + token).contentType("application/octet-stream").body(new byte[]{1})
                .post("/v2/" + repository + "/blobs/uploads/").then().statusCode(401);
    }

    @Test
    void oauth2PasswordGrantAndTokenExchangeTakeTheWorkloadTokenToo() {
        String jwt = cluster.token("payments", "api");
        String scope = "repository:" + repository + ":pull";
        JsonPath password = given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "password")
                .formParam("username", "workload").formParam("password", jwt).formParam("service", "cais")
                .formParam("client_id", "containerd-client").formParam("scope", scope)
                .post("/auth/token").then().statusCode(200).body("$", not(hasKey("refresh_token"))).extract().jsonPath();
        assertThat(TokenAuthTest.access(password.getString("access_token"))).containsExactly(
                Map.of("type", "repository", "name", repository, "actions", List.of("pull")));
        String exchanged = given().contentType("application/x-www-form-urlencoded")
                .formParam("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange").formParam("subject_token", jwt)
                .formParam("subject_token_type", "urn:ietf:params:oauth:token-type:jwt").formParam("scope", scope)
                .post("/auth/token").then().statusCode(200).extract().jsonPath().getString("access_token");
        given().header("Authorization", "Bearer " + exchanged).get("/v2/" + repository + "/manifests/1.0").then().statusCode(200);
    }

    @Test
    void directBasicWithTheWorkloadTokenPullsButCannotPush() {
        String jwt = cluster.token("payments", "api");
        given().header("Authorization", workload(jwt)).get("/v2/" + repository + "/manifests/1.0").then().statusCode(200);
        given().header("Authorization", workload(jwt)).post("/v2/" + repository + "/blobs/uploads/").then().statusCode(403)
                .body("errors[0].code", equalTo("DENIED"));
    }

    @Test
    void es256SignedTokensOfAnotherIssuerVerifyToo() {
        ServiceAccountSigner ci = ServiceAccountSigner.ec();
        AdminApi.trust(namespace, "ci", ci);
        AdminApi.workloadRule(namespace, "ci", "system:serviceaccount:builds:*", List.of("pull"), List.of("api"));
        given().header("Authorization", workload(ci.token("builds", "runner"))).get("/v2/" + repository + "/manifests/1.0")
                .then().statusCode(200);
    }

    @Test
    void theRegistryTokenNeverOutlivesTheWorkloadToken() {
        JwtClaims shortLived = cluster.claims("payments", "api");
        long expiry = Instant.now().getEpochSecond() + 100;
        shortLived.setExpirationTime(NumericDate.fromSeconds(expiry));
        JsonPath answer = tokenEndpoint(cluster.sign(shortLived), "repository:" + repository + ":pull");
        assertThat(answer.getLong("expires_in")).isBetween(1L, 100L);
        assertThat(TokenAuthTest.claims(answer.getString("token")).getLong("exp")).isLessThanOrEqualTo(expiry);

        JsonPath longLived = tokenEndpoint(cluster.token("payments", "api"), "repository:" + repository + ":pull");
        assertThat(longLived.getLong("expires_in")).as("capped by cais.auth.token-lifetime").isEqualTo(300L);
    }

    @Test
    void tokensThatDoNotProveAMappedWorkloadAreRefused() {
        Map<String, String> refused = new LinkedHashMap<>();
        JwtClaims wrongAudience = cluster.claims("payments", "api");
        wrongAudience.setAudience("https://kubernetes.default.svc");
        refused.put("wrong audience", cluster.sign(wrongAudience));
        JwtClaims expired = cluster.claims("payments", "api");
        expired.setIssuedAt(NumericDate.fromSeconds(Instant.now().getEpochSecond() - 7200));
        expired.setNotBefore(NumericDate.fromSeconds(Instant.now().getEpochSecond() - 7200));
        expired.setExpirationTime(NumericDate.fromSeconds(Instant.now().getEpochSecond() - 3600));
        refused.put("expired", cluster.sign(expired));
        JwtClaims early = cluster.claims("payments", "api");
        early.setNotBefore(NumericDate.fromSeconds(Instant.now().getEpochSecond() + 600));
        refused.put("not yet valid", cluster.sign(early));
        refused.put("unknown issuer", ServiceAccountSigner.rsa().token("payments", "api"));
        refused.put("right issuer, another key", cluster.rotated().token("payments", "api"));
        refused.put("unmapped subject", cluster.token("frontend", "web"));
        String good = cluster.token("payments", "api");
        String[] parts = good.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        refused.put("tampered", parts[0] + "." + b64(payload.replace("system:serviceaccount:payments:api",
                "system:serviceaccount:payments:apj")) + "." + parts[2]);
        refused.put("unsigned", b64("{\"alg\":\"none\"}") + "." + parts[1] + ".");
        refused.put("not a token", "not-a-token");

        refused.forEach((why, jwt) -> {
            given().header("Authorization", workload(jwt)).queryParam("scope", "repository:" + repository + ":pull")
                    .get("/auth/token").then().statusCode(401).body("errors[0].code", equalTo("UNAUTHORIZED"));
            assertThat(given().header("Authorization", workload(jwt)).get("/v2/" + repository + "/manifests/1.0")
                    .statusCode()).as(why).isEqualTo(401);
        });
        given().header("Authorization", workload(good)).get("/v2/" + repository + "/manifests/1.0").then().statusCode(200);
    }

    @Test
    void aWorkloadMappedInOneNamespaceGetsNothingInAnother() {
        // Another tenant trusts the same issuer name with keys of its own, and maps every service account.
        String other = AdminApi.namespace("other", "private");
        ServiceAccountSigner impostor = ServiceAccountSigner.rsa(cluster.issuer());
        AdminApi.trust(other, "prod", impostor);
        AdminApi.workloadRule(other, "prod", "*", List.of("pull", "push"), List.of("*"));
        Images.push(other + "/secret", "1.0");

        String ours = cluster.token("payments", "api");
        assertThat(TokenAuthTest.access(tokenEndpoint(ours, "repository:" + other + "/secret:pull").getString("token")))
                .containsExactly(Map.of("type", "repository", "name", other + "/secret", "actions", List.of()));
        given().header("Authorization", workload(ours)).get("/v2/" + other + "/secret/manifests/1.0").then().statusCode(403);
        // Nor does the other tenant's key open this namespace, whatever subject it signs.
        String theirs = impostor.token("payments", "api");
        given().header("Authorization", workload(theirs)).get("/v2/" + other + "/secret/manifests/1.0").then().statusCode(200);
        given().header("Authorization", workload(theirs)).get("/v2/" + repository + "/manifests/1.0").then().statusCode(403);
        // And a namespace that trusts nobody is closed to both.
        given().header("Authorization", workload(ours)).get("/v2/tests/anything/manifests/1.0").then().statusCode(403);
    }

    @Test
    void replacingTheKeySetTakesEffectAtOnce() {
        String before = cluster.token("payments", "api");
        given().header("Authorization", workload(before)).get("/v2/" + repository + "/manifests/1.0").then().statusCode(200);

        ServiceAccountSigner rotated = cluster.rotated();
        AdminApi.asAdmin().body(rotated.jwks()).put("/api/v1/namespaces/" + namespace + "/trusted-issuers/prod/jwks")
                .then().statusCode(200);
        given().header("Authorization", workload(before)).get("/v2/" + repository + "/manifests/1.0").then().statusCode(401);
        given().header("Authorization", workload(rotated.token("payments", "api"))).get("/v2/" + repository + "/manifests/1.0")
                .then().statusCode(200);

        AdminApi.asAdmin().delete("/api/v1/namespaces/" + namespace + "/trusted-issuers/prod").then().statusCode(204);
        given().header("Authorization", workload(rotated.token("payments", "api"))).get("/v2/" + repository + "/manifests/1.0")
                .then().statusCode(401);
    }

    @Test
    void workloadTokensNeverAdministerAndTheirUsernameIsReserved() {
        given().header("Authorization", workload(cluster.token("payments", "api"))).get("/api/v1/namespaces")
                .then().statusCode(401);
        AdminApi.asAdmin().body(Map.of("name", "workload", "password", "a-long-password")).post("/api/v1/users")
                .then().statusCode(400).body("errors[0].code", equalTo("NAME_INVALID"));
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
