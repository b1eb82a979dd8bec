package io.cais.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.testing.AdminApi;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.ServiceAccountSigner;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJwkGenerator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

/** The admin API of workload identity: a namespace's trusted issuers, their key sets and their rules. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class TrustedIssuerApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String issuers(String namespace) {
        return "/api/v1/namespaces/" + namespace + "/trusted-issuers";
    }

    @Test
    void namespaceAdminRegistersAClustersKeySetWithTheServiceNameAsDefaultAudience() throws Exception {
        String ns = AdminApi.namespace("trust", "private");
        ServiceAccountSigner cluster = ServiceAccountSigner.rsa();
        String kid = JSON.readTree(cluster.jwks()).path("keys").path(0).path("kid").asText();
        // The key set as the document itself, the way `kubectl get --raw /openid/v1/jwks` prints it.
        AdminApi.asAdmin().body(Map.of("name", "prod", "issuer", cluster.issuer(), "jwks", JSON.readTree(cluster.jwks())))
                .post(issuers(ns)).then().statusCode(201)
                .header("Location", endsWith("/api/v1/namespaces/" + ns + "/trusted-issuers/prod"))
                .body("name", equalTo("prod")).body("issuer", equalTo(cluster.issuer())).body("audience", equalTo("cais"))
                .body("keys.kid", contains(kid)).body("keys[0].kty", equalTo("RSA")).body("keys[0].alg", equalTo("RS256"))
                .body("createdAt", notNullValue()).body("keysUpdatedAt", notNullValue());
        AdminApi.asAdmin().get(issuers(ns)).then().statusCode(200).body("name", contains("prod"));
        AdminApi.asAdmin().get(issuers(ns) + "/prod").then().statusCode(200).body("issuer", equalTo(cluster.issuer()));

        AdminApi.asAdmin().body(Map.of("name", "ci", "issuer", "https://token.ci.example.com", "audience", "registry",
                "jwks", ServiceAccountSigner.ec().jwks())).post(issuers(ns)).then().statusCode(201)
                .body("audience", equalTo("registry")).body("keys[0].kty", equalTo("EC"));
    }

    @Test
    void replacingTheKeySetShowsOnlyTheNewKeys() throws Exception {
        String ns = AdminApi.namespace("rotate", "private");
        ServiceAccountSigner cluster = ServiceAccountSigner.rsa();
        AdminApi.trust(ns, "prod", cluster);
        ServiceAccountSigner rotated = cluster.rotated();
        String newKid = JSON.readTree(rotated.jwks()).path("keys").path(0).path("kid").asText();
        AdminApi.asAdmin().body(rotated.jwks()).put(issuers(ns) + "/prod/jwks").then().statusCode(200)
                .body("keys.kid", contains(newKid));
        AdminApi.asAdmin().body(rotated.jwks()).put(issuers(ns) + "/nope/jwks").then().statusCode(404);
    }

    @Test
    void rulesMapSubjectGlobsToActionsOnRepositoryPatternsAndGoWithTheirIssuer() {
        String ns = AdminApi.namespace("rules", "private");
        AdminApi.trust(ns, "prod", ServiceAccountSigner.rsa());
        int id = AdminApi.asAdmin().body(Map.of("subject", "system:serviceaccount:payments:*", "actions", List.of("pull"),
                        "repositories", List.of("payments/*", "base")))
                .post(issuers(ns) + "/prod/rules").then().statusCode(201)
                .body("subject", equalTo("system:serviceaccount:payments:*")).body("actions", contains("pull"))
                .body("repositories", contains("payments/*", "base")).extract().path("id");
        AdminApi.asAdmin().get(issuers(ns) + "/prod/rules").then().statusCode(200).body("id", contains(id));
        AdminApi.asAdmin().delete(issuers(ns) + "/prod/rules/" + id).then().statusCode(204);
        AdminApi.asAdmin().delete(issuers(ns) + "/prod/rules/" + id).then().statusCode(404);

        AdminApi.workloadRule(ns, "prod", "system:serviceaccount:*:ci", List.of("pull", "push"), List.of("*"));
        AdminApi.asAdmin().delete(issuers(ns) + "/prod").then().statusCode(204);
        AdminApi.asAdmin().get(issuers(ns) + "/prod").then().statusCode(404);
        AdminApi.asAdmin().get(issuers(ns) + "/prod/rules").then().statusCode(404);
        AdminApi.asAdmin().delete(issuers(ns) + "/prod").then().statusCode(404);
    }

    @Test
    void keySetsThatCannotVerifyOrCarryAPrivateKeyAreRefused() throws Exception {
        String ns = AdminApi.namespace("badkeys", "private");
        ServiceAccountSigner cluster = ServiceAccountSigner.rsa();
        String weak = new JsonWebKeySet(RsaJwkGenerator.generateJwk(1024)).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
        for (String jwks : List.of(cluster.jwksWithPrivateKey(), "not json", "{\"keys\":[]}",
                "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", weak)) {
            AdminApi.asAdmin().body(Map.of("name", "prod", "issuer", cluster.issuer(), "jwks", jwks)).post(issuers(ns))
                    .then().statusCode(400).body("errors[0].code", equalTo("INVALID_REQUEST"));
        }
        AdminApi.asAdmin().body(Map.of("name", "prod", "issuer", cluster.issuer())).post(issuers(ns)).then().statusCode(400)
                .body("errors[0].message", containsString("kubectl get --raw /openid/v1/jwks"));
        AdminApi.trust(ns, "prod", cluster);
        AdminApi.asAdmin().body(cluster.jwksWithPrivateKey()).put(issuers(ns) + "/prod/jwks").then().statusCode(400);
    }

    @Test
    void badNamesIssuersAndRulesAreRefusedAndDuplicatesConflict() {
        String ns = AdminApi.namespace("invalid", "private");
        ServiceAccountSigner cluster = ServiceAccountSigner.rsa();
        AdminApi.asAdmin().body(Map.of("name", "Not A Name", "issuer", cluster.issuer(), "jwks", cluster.jwks()))
                .post(issuers(ns)).then().statusCode(400).body("errors[0].code", equalTo("NAME_INVALID"));
        AdminApi.asAdmin().body(Map.of("name", "prod", "issuer", " ", "jwks", cluster.jwks()))
                .post(issuers(ns)).then().statusCode(400);
        AdminApi.trust(ns, "prod", cluster);
        AdminApi.asAdmin().body(Map.of("name", "prod", "issuer", "https://other.example.com", "jwks", cluster.jwks()))
                .post(issuers(ns)).then().statusCode(409).body("errors[0].code", equalTo("CONFLICT"));
        AdminApi.asAdmin().body(Map.of("name", "again", "issuer", cluster.issuer(), "jwks", cluster.jwks()))
                .post(issuers(ns)).then().statusCode(409);

        for (Map<String, Object> rule : List.<Map<String, Object>>of(
                Map.of("subject", "*:*:*:*:*:*:*:*:*", "actions", List.of("pull"), "repositories", List.of("*")),
                Map.of("subject", "", "actions", List.of("pull"), "repositories", List.of("*")),
                Map.of("subject", "system:serviceaccount:a:b", "actions", List.of("admin"), "repositories", List.of("*")),
                Map.of("subject", "system:serviceaccount:a:b", "actions", List.of("pull"), "repositories", List.of("Bad Pattern")))) {
            AdminApi.asAdmin().body(rule).post(issuers(ns) + "/prod/rules").then().statusCode(400);
        }
        AdminApi.asAdmin().body(Map.of("subject", "x", "actions", List.of("pull"), "repositories", List.of("*")))
                .post(issuers(ns) + "/missing/rules").then().statusCode(404);
    }

    @Test
    void onlyTheNamespacesAdminsManageItsTrust() {
        String ns = AdminApi.namespace("guarded", "private");
        String writer = AdminApi.user("writer", "writer-password");
        AdminApi.member(ns, writer, "writer");
        String otherAdmin = AdminApi.user("elsewhere", "elsewhere-password");
        AdminApi.member(AdminApi.namespace("elsewhere", "private"), otherAdmin, "admin");
        String owner = AdminApi.user("owner", "owner-password");
        AdminApi.member(ns, owner, "admin");
        ServiceAccountSigner cluster = ServiceAccountSigner.rsa();
        Map<String, Object> body = Map.of("name", "prod", "issuer", cluster.issuer(), "jwks", cluster.jwks());

        AdminApi.as(writer, "writer-password").body(body).post(issuers(ns)).then().statusCode(403);
        AdminApi.as(otherAdmin, "elsewhere-password").body(body).post(issuers(ns)).then().statusCode(403);
        given().contentType("application/json").body(body).post(issuers(ns)).then().statusCode(401);
        AdminApi.as(owner, "owner-password").body(body).post(issuers(ns)).then().statusCode(201);
        AdminApi.as(writer, "writer-password").get(issuers(ns)).then().statusCode(403);
        AdminApi.as(owner, "owner-password").get(issuers(ns)).then().statusCode(200).body("$", hasSize(1))
                .body("name", hasItem("prod"));
        AdminApi.asAdmin().get("/api/v1/namespaces/no-such-namespace/trusted-issuers").then().statusCode(404);
    }
}
