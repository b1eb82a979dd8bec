package io.cais.auth.workload;

import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Images;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.ServiceAccountSigner;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;

/** Who pulled what: pulls made with a workload identity, recorded in batches, listed as a digest's consumers. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class WorkloadPullAuditTest {

    @Inject
    PullAudit audit;

    private ServiceAccountSigner cluster;
    private String namespace;
    private String repository;
    private String digest;

    @BeforeEach
    void trustACluster() {
        cluster = ServiceAccountSigner.rsa();
        namespace = AdminApi.namespace("audited", "private");
        AdminApi.trustPullsFrom(namespace, cluster, "shop");
        repository = namespace + "/cart";
        digest = Images.push(repository, "2.1");
    }

    private String consumers() {
        return "/api/v1/namespaces/" + namespace + "/digests/" + digest + "/consumers";
    }

    @Test
    void pullsOfAWorkloadAreListedAmongTheDigestsConsumersWithItsKubernetesIdentity() {
        JwtClaims claims = cluster.claims("shop", "cart");
        @SuppressWarnings("unchecked")
        String pod = ((Map<String, Map<String, String>>) claims.getClaimsMap().get("kubernetes.io")).get("pod").get("name");
        String jwt = cluster.sign(claims);
        String token = given().header("Authorization", Admin.basic("workload", jwt))
                .queryParam("scope", "repository:" + repository + ":pull").get("/auth/token")
                .then().statusCode(200).extract().jsonPath().getString("token");
        given().header("Authorization", "Bearer " + token).head("/v2/" + repository + "/manifests/2.1").then().statusCode(200);
        given().header("Authorization", "Bearer " + token).get("/v2/" + repository + "/manifests/" + digest).then().statusCode(200);
        given().header("Authorization", Admin.basic("workload", jwt)).get("/v2/" + repository + "/manifests/2.1").then().statusCode(200);
        audit.flush();

        JsonPath listed = AdminApi.asAdmin().get(consumers()).then().statusCode(200).extract().jsonPath();
        assertThat(listed.getList("$")).hasSize(1);
        assertThat(listed.getMap("[0]")).containsEntry("repository", repository).containsEntry("digest", digest)
                .containsEntry("issuer", cluster.issuer()).containsEntry("subject", "system:serviceaccount:shop:cart")
                .containsEntry("kubernetesNamespace", "shop").containsEntry("serviceAccount", "cart")
                .containsEntry("pod", pod).containsEntry("node", "node-a").containsEntry("pulls", 3)
                .containsKeys("firstSeen", "lastSeen");

        // Later pulls add up in the same row; another pod gets a row of its own.
        given().header("Authorization", Admin.basic("workload", jwt)).head("/v2/" + repository + "/manifests/2.1").then().statusCode(200);
        given().header("Authorization", Admin.basic("workload", cluster.token("shop", "cart")))
                .head("/v2/" + repository + "/manifests/2.1").then().statusCode(200);
        audit.flush();
        JsonPath after = AdminApi.asAdmin().get(consumers()).then().statusCode(200).extract().jsonPath();
        assertThat(after.getList("pulls", Integer.class)).containsExactlyInAnyOrder(4, 1);
    }

    @Test
    void pullsByAccountsAreNotWorkloadPulls() {
        given().header("Authorization", Admin.basic()).get("/v2/" + repository + "/manifests/2.1").then().statusCode(200);
        audit.flush();
        AdminApi.asAdmin().get(consumers()).then().statusCode(200).body("$", empty());
    }

    @Test
    void consumersAreForTheNamespacesAdminsAndNeedADigest() {
        String reader = AdminApi.user("reader", "reader-password");
        AdminApi.member(namespace, reader, "reader");
        AdminApi.as(reader, "reader-password").get(consumers()).then().statusCode(403);
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/digests/latest/consumers").then().statusCode(400)
                .body("errors[0].code", equalTo("DIGEST_INVALID"));
    }
}
