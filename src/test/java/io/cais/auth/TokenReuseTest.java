package io.cais.auth;

import io.cais.testing.AdminApi;
import io.cais.testing.Images;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kubelet's pull cycle logs in again for every pod start (containerd keeps no token): the token endpoint hands
 * back a token issued moments ago for the same robot, credential and scope instead of signing a new one, and that
 * reuse never lets a token live longer or survive a revoked credential. Tokens live 4 s here.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
@TestProfile(TokenReuseTest.ShortTokens.class)
class TokenReuseTest {

    private static final Duration LIFETIME = Duration.ofSeconds(4);
    /** The clock skew a token's expiry is allowed (Tokens.CLOCK_SKEW_SECONDS). */
    private static final Duration SKEW = Duration.ofSeconds(30);

    public static class ShortTokens implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("cais.auth.token-lifetime", "PT4S");
        }
    }

    @Test
    void loggingInAgainForTheSameScopeGetsTheSameTokenWhileItIsMostlyFresh() throws Exception {
        String ns = AdminApi.namespace("reuse", "private");
        AdminApi.Robot robot = AdminApi.robot(ns, "puller", List.of("pull"), List.of("*"), null);
        JsonPath first = login(robot.username(), robot.secret(), ns + "/app");
        JsonPath again = login(robot.username(), robot.secret(), ns + "/app");
        assertThat(again.getString("access_token")).isEqualTo(first.getString("access_token"));
        assertThat(again.getString("issued_at")).as("the token's own issue time").isEqualTo(first.getString("issued_at"));
        assertThat(again.getLong("expires_in")).isEqualTo(first.getLong("expires_in"));

        assertThat(login(robot.username(), robot.secret(), ns + "/other").getString("access_token"))
                .as("another scope").isNotEqualTo(first.getString("access_token"));

        Thread.sleep(LIFETIME.dividedBy(2).plusMillis(300).toMillis());
        JsonPath later = login(robot.username(), robot.secret(), ns + "/app");
        assertThat(later.getString("access_token")).as("past half its lifetime").isNotEqualTo(first.getString("access_token"));
        assertThat(expiry(later.getString("access_token"))).isGreaterThan(expiry(first.getString("access_token")));
    }

    @Test
    void aPasswordGrantWithoutOfflineAccessGetsNoRefreshToken() {
        String ns = AdminApi.namespace("online", "private");
        AdminApi.Robot robot = AdminApi.robot(ns, "puller", List.of("pull"), List.of("*"), null);
        assertThat(login(robot.username(), robot.secret(), ns + "/app").getMap("")).doesNotContainKey("refresh_token");
    }

    @Test
    void aRotatedSecretGetsNoReusedTokenAndTheOldTokenStopsPullingWithinItsLifetime() throws Exception {
        Puller puller = pulling("rotate", 1);
        String ns = puller.namespace(), repo = puller.repository(), reference = puller.reference(), old = puller.token();
        AdminApi.Robot robot = puller.robot();

        String rotated = AdminApi.asAdmin().post("/api/v1/namespaces/" + ns + "/robots/puller/secret")
                .then().statusCode(200).extract().jsonPath().getString("secret");
        refusedLogin(robot, repo);
        String fresh = login(robot.username(), rotated, repo).getString("access_token");
        assertThat(fresh).as("a new credential is never handed the old credential's token").isNotEqualTo(old);
        head(repo, reference, fresh, 200);

        assertThat(statusOnceExpired(repo, reference, old)).as("the old credential's token, reused and cached, still expires")
                .isEqualTo(401);
    }

    /**
     * Every cache of the kubelet cycle is warm here (the account row, the reused token, its verification, the body read
     * ahead on the event loop) when the robot is deleted: the next login must be refused at once, and the token it
     * was handed (again and again) must stop pulling within its lifetime.
     */
    @Test
    void aDeletedRobotIsRefusedAtOnceAndItsReusedTokenStopsPullingWithinItsLifetime() throws Exception {
        Puller puller = pulling("revoke", 3);
        String repo = puller.repository(), reference = puller.reference(), token = puller.token();
        AdminApi.Robot robot = puller.robot();

        AdminApi.asAdmin().delete("/api/v1/namespaces/" + puller.namespace() + "/robots/puller").then().statusCode(204);
        refusedLogin(robot, repo);
        given().auth().preemptive().basic(robot.username(), robot.secret()).head("/v2/" + repo + "/manifests/" + reference)
                .then().statusCode(401);

        assertThat(statusOnceExpired(repo, reference, token)).as("the deleted robot's token, reused and cached, still expires")
                .isEqualTo(401);
    }

    /** A robot that has pulled: logged in {@code cycles} times more, each time handed the same token, and pulled with it. */
    private record Puller(String namespace, String repository, String reference, AdminApi.Robot robot, String token) {
    }

    private static Puller pulling(String prefix, int cycles) {
        String ns = AdminApi.namespace(prefix, "private");
        String repo = ns + "/app";
        String reference = Images.push(repo, "v1");
        AdminApi.Robot robot = AdminApi.robot(ns, "puller", List.of("pull"), List.of("*"), null);
        String token = login(robot.username(), robot.secret(), repo).getString("access_token");
        for (int cycle = 0; cycle < cycles; cycle++) {
            assertThat(login(robot.username(), robot.secret(), repo).getString("access_token")).isEqualTo(token);
            head(repo, reference, token, 200);
        }
        return new Puller(ns, repo, reference, robot, token);
    }

    private static void refusedLogin(AdminApi.Robot robot, String repository) {
        given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "password")
                .formParam("username", robot.username()).formParam("password", robot.secret())
                .formParam("scope", "repository:" + repository + ":pull").post("/auth/token").then().statusCode(401);
    }

    private static JsonPath login(String username, String secret, String repository) {
        return given().contentType("application/x-www-form-urlencoded")
                .formParam("grant_type", "password").formParam("username", username).formParam("password", secret)
                .formParam("service", "cais").formParam("client_id", "containerd-client")
                .formParam("scope", "repository:" + repository + ":pull")
                .post("/auth/token").then().statusCode(200).extract().jsonPath();
    }

    private static void head(String repo, String reference, String token, int status) {
        given().header("Authorization", "Bearer " + token).head("/v2/" + repo + "/manifests/" + reference)
                .then().statusCode(status);
    }

    /** The status of a manifest HEAD with the token, polled until it is refused or the token is past its expiry. */
    private static int statusOnceExpired(String repo, String reference, String token) throws InterruptedException {
        long deadline = expiry(token) * 1000 + SKEW.toMillis() + 2000;
        int status = 200;
        while (status == 200 && System.currentTimeMillis() < deadline) {
            Thread.sleep(250);
            status = given().header("Authorization", "Bearer " + token).head("/v2/" + repo + "/manifests/" + reference)
                    .then().extract().statusCode();
        }
        return status;
    }

    private static long expiry(String token) {
        String payload = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        return JsonPath.from(payload).getLong("exp");
    }
}
