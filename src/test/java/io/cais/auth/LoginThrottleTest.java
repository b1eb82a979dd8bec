package io.cais.auth;

import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.BehindProxyProfile;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.ServiceAccountSigner;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

/**
 * Failed logins slow down their source, never the account (hole 7), and the realm follows a trusted proxy's
 * forwarded headers (hole 8). Clients are told apart by the {@code X-Forwarded-For} the trusted proxy sets.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
@TestProfile(BehindProxyProfile.class)
class LoginThrottleTest {

    private static RequestSpecification from(String address) {
        return given().header("X-Forwarded-For", address);
    }

    @Test
    void repeatedFailuresThrottleTheFailingSourceButNotTheAccountElsewhere() throws Exception {
        String ns = AdminApi.namespace("throttle", "private");
        AdminApi.Robot robot = AdminApi.robot(ns, "kubelet", List.of("pull"), List.of("*"), null);
        String wrong = Admin.basic(robot.username(), "guess");
        for (int i = 0; i < BehindProxyProfile.FAILURES; i++) {
            from("10.1.0.1").header("Authorization", wrong).get("/auth/token").then().statusCode(401);
        }
        // The guessing source now waits, even with the right secret: guessing gains nothing.
        from("10.1.0.1").header("Authorization", robot.basic()).get("/auth/token").then().statusCode(429)
                .header("Retry-After", notNullValue()).body("errors[0].code", equalTo("TOOMANYREQUESTS"));
        from("10.1.0.1").header("Authorization", wrong).get("/v2/").then().statusCode(429);
        // Kubelets elsewhere presenting the right secret are not locked out.
        from("10.1.0.2").header("Authorization", robot.basic()).get("/auth/token").then().statusCode(200);
        from("10.1.0.2").header("Authorization", robot.basic()).get("/v2/").then().statusCode(200);

        long retryAfter = Long.parseLong(from("10.1.0.1").header("Authorization", robot.basic()).get("/v2/")
                .then().statusCode(429).extract().header("Retry-After"));
        Thread.sleep(retryAfter * 1000 + 200);
        from("10.1.0.1").header("Authorization", robot.basic()).get("/v2/").then().statusCode(200);
    }

    /** A workload's failed tokens count against the subject they claim: its node's other pods keep pulling. */
    @Test
    void failingWorkloadTokensThrottleTheirSubjectFromThatSourceButNotOtherWorkloads() {
        ServiceAccountSigner cluster = ServiceAccountSigner.rsa();
        String ns = AdminApi.namespace("throttled-workloads", "private");
        AdminApi.trustPullsFrom(ns, cluster, "apps");
        String foreign = cluster.rotated().token("apps", "broken");
        for (int i = 0; i < BehindProxyProfile.FAILURES; i++) {
            from("10.4.0.1").header("Authorization", Admin.basic("workload", foreign)).get("/auth/token").then().statusCode(401);
        }
        from("10.4.0.1").header("Authorization", Admin.basic("workload", cluster.token("apps", "broken")))
                .get("/auth/token").then().statusCode(429);
        from("10.4.0.1").header("Authorization", Admin.basic("workload", cluster.token("apps", "healthy")))
                .get("/auth/token").then().statusCode(200);
        from("10.4.0.2").header("Authorization", Admin.basic("workload", cluster.token("apps", "broken")))
                .get("/auth/token").then().statusCode(200);
    }

    @Test
    void manyAccountsFailingFromOneSourceThrottleThatSourceForAll() {
        for (int i = 0; i < BehindProxyProfile.SOURCE_FAILURES; i++) {
            from("10.2.0.1").header("Authorization", Admin.basic("sprayed-" + i, "guess")).get("/v2/").then().statusCode(401);
        }
        from("10.2.0.1").header("Authorization", Admin.basic("sprayed-next", "guess")).get("/v2/").then().statusCode(429);
        from("10.2.0.2").header("Authorization", Admin.basic()).get("/v2/").then().statusCode(200);
    }

    /** Unknown names cost a bcrypt too: response times must not tell which user names exist. */
    @Test
    void unknownAndKnownUserNamesCostTheSameToReject() {
        String user = AdminApi.user("timed", "timed-password");
        long[] known = new long[9];
        long[] unknown = new long[9];
        for (int i = 0; i < known.length; i++) {
            // A fresh source each time: the throttle must not be what is measured.
            known[i] = rejectionNanos("10.3.1." + i, user);
            unknown[i] = rejectionNanos("10.3.2." + i, "nobody-" + UUID.randomUUID());
        }
        Arrays.sort(known);
        Arrays.sort(unknown);
        long knownMedian = known[known.length / 2];
        long unknownMedian = unknown[unknown.length / 2];
        // A bcrypt (cost 10) is tens of milliseconds here; a lookup without it well under one.
        assertThat(unknownMedian).as("unknown %d ns vs known %d ns", unknownMedian, knownMedian).isGreaterThan(knownMedian / 3);
    }

    private static long rejectionNanos(String source, String name) {
        long start = System.nanoTime();
        from(source).header("Authorization", Admin.basic(name, "wrong-password")).get("/v2/").then().statusCode(401);
        return System.nanoTime() - start;
    }

    @Test
    void challengeRealmFollowsTheTrustedProxysForwardedSchemeAndHost() {
        given().header("X-Forwarded-Proto", "https").header("X-Forwarded-Host", "registry.example.com")
                .get("/v2/").then().statusCode(401)
                .header("WWW-Authenticate", org.hamcrest.Matchers.startsWith("Bearer realm=\"https://registry.example.com/auth/token\""));
    }
}
