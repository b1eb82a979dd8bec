package io.cais.auth;

import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

/** Docker token authentication: challenges, the token endpoint (GET and OAuth2 POST), and token verification. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class TokenAuthTest {

    @Inject
    SigningKeys keys;

    @Test
    void anonymousRequestIsChallengedWithRealmServiceAndScope() {
        String repo = Blobs.repository("challenge");
        given().get("/v2/" + repo + "/tags/list").then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer realm=\"http://localhost:" + io.restassured.RestAssured.port
                        + "/auth/token\",service=\"cais\",scope=\"repository:" + repo + ":pull\""))
                .body("errors[0].code", equalTo("UNAUTHORIZED"));
        given().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(401)
                .header("WWW-Authenticate", containsString("scope=\"repository:" + repo + ":pull,push\""));
    }

    @Test
    void tokenFromBasicCredentialsGrantsWhatWasAskedAndAllowed() {
        String repo = Blobs.repository("token");
        JsonPath answer = given().header("Authorization", Admin.basic())
                .queryParam("service", "cais").queryParam("scope", "repository:" + repo + ":pull,push")
                .get("/auth/token").then().statusCode(200)
                .body("token", notNullValue()).body("access_token", notNullValue())
                .body("expires_in", equalTo(300)).body("issued_at", notNullValue())
                .extract().jsonPath();
        String token = answer.getString("token");
        assertThat(token).isEqualTo(answer.getString("access_token"));
        assertThat(access(token)).containsExactly(Map.of("type", "repository", "name", repo, "actions", List.of("pull", "push")));

        byte[] blob = Blobs.random(100);
        given().header("Authorization", "Bearer " + token).contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + Blobs.sha256(blob)).then().statusCode(201);
        given().header("Authorization", "Bearer " + token).get("/v2/" + repo + "/blobs/" + Blobs.sha256(blob)).then().statusCode(200);
        // Delete was not asked for: the token does not carry it, and the admin may get it by asking.
        given().header("Authorization", "Bearer " + token).delete("/v2/" + repo + "/blobs/" + Blobs.sha256(blob)).then().statusCode(401)
                .header("WWW-Authenticate", containsString("error=\"insufficient_scope\""));
    }

    @Test
    void askingForMoreThanAllowedGrantsLessWithoutFailing() {
        String ns = AdminApi.namespace("less", "private");
        AdminApi.Robot robot = AdminApi.robot(ns, "reader", List.of("pull"), List.of("*"), null);
        String token = given().header("Authorization", robot.basic())
                .queryParam("scope", "repository:" + ns + "/app:pull,push,delete")
                .queryParam("scope", "repository:tests/other:pull")
                .get("/auth/token").then().statusCode(200).extract().jsonPath().getString("token");
        assertThat(access(token)).containsExactly(
                Map.of("type", "repository", "name", ns + "/app", "actions", List.of("pull")),
                Map.of("type", "repository", "name", "tests/other", "actions", List.of()));
    }

    @Test
    void badCredentialsAtTheTokenEndpointAre401() {
        given().header("Authorization", Admin.basic("admin", "wrong")).get("/auth/token").then().statusCode(401)
                .body("errors[0].code", equalTo("UNAUTHORIZED"));
        given().header("Authorization", Admin.basic("nobody", "x")).get("/auth/token").then().statusCode(401);
    }

    @Test
    void anonymousTokenPullsPublicNamespacesOnly() {
        String open = AdminApi.namespace("open", "public");
        String closed = AdminApi.namespace("closed", "private");
        String token = given().queryParam("scope", "repository:" + open + "/app:pull,push")
                .queryParam("scope", "repository:" + closed + "/app:pull")
                .get("/auth/token").then().statusCode(200).extract().jsonPath().getString("token");
        assertThat(access(token)).containsExactly(
                Map.of("type", "repository", "name", open + "/app", "actions", List.of("pull")),
                Map.of("type", "repository", "name", closed + "/app", "actions", List.of()));
        given().get("/v2/" + open + "/app/tags/list").then().statusCode(404).body("errors[0].code", equalTo("NAME_UNKNOWN"));
        given().header("Authorization", "Bearer " + token).get("/v2/" + closed + "/app/tags/list").then().statusCode(401);
        given().post("/v2/" + open + "/app/blobs/uploads/").then().statusCode(401);
    }

    @Test
    void oauth2PasswordAndRefreshTokenGrants() {
        String user = AdminApi.user("oauth", "oauth-password");
        String ns = AdminApi.namespace("oauth", "private");
        AdminApi.member(ns, user, "writer");
        JsonPath first = given().contentType("application/x-www-form-urlencoded")
                .formParam("grant_type", "password").formParam("username", user).formParam("password", "oauth-password")
                .formParam("service", "cais").formParam("client_id", "docker").formParam("access_type", "offline")
                .formParam("scope", "repository:" + ns + "/app:pull,push")
                .post("/auth/token").then().statusCode(200).extract().jsonPath();
        assertThat(access(first.getString("access_token"))).containsExactly(
                Map.of("type", "repository", "name", ns + "/app", "actions", List.of("pull", "push")));
        String refresh = first.getString("refresh_token");

        String second = given().contentType("application/x-www-form-urlencoded")
                .formParam("grant_type", "refresh_token").formParam("refresh_token", refresh)
                .formParam("scope", "repository:" + ns + "/app:pull").post("/auth/token")
                .then().statusCode(200).extract().jsonPath().getString("access_token");
        assertThat(access(second)).containsExactly(Map.of("type", "repository", "name", ns + "/app", "actions", List.of("pull")));

        given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "password")
                .formParam("username", user).formParam("password", "wrong").post("/auth/token").then().statusCode(401);

        AdminApi.asAdmin().body(Map.of("password", "changed-password")).put("/api/v1/users/" + user + "/password").then().statusCode(204);
        given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "refresh_token")
                .formParam("refresh_token", refresh).post("/auth/token").then().statusCode(401);
    }

    @Test
    void tamperedExpiredUnsignedAndForeignTokensAre401() throws Exception {
        String repo = Blobs.repository("forged");
        String good = given().header("Authorization", Admin.basic()).queryParam("scope", "repository:" + repo + ":pull")
                .get("/auth/token").then().statusCode(200).extract().jsonPath().getString("token");
        String[] parts = good.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);

        String tampered = parts[0] + "." + b64(payload.replace(repo, Blobs.repository("other"))) + "." + parts[2];
        String unsigned = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        String hmac = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" + kid(good) + "\"}") + "." + parts[1] + "."
                + parts[2];
        var generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        String foreign = sign(parts[0], parts[1], generator.generateKeyPair().getPrivate());
        long past = Instant.now().getEpochSecond() - 3600;
        String expired = sign(parts[0], b64(payload.replaceAll("\"exp\":\\d+", "\"exp\":" + past)
                .replaceAll("\"nbf\":\\d+", "\"nbf\":" + (past - 300))), keys.current().privateKey());

        given().header("Authorization", "Bearer " + good).get("/v2/" + repo + "/tags/list").then().statusCode(404);
        for (String bad : List.of(tampered, unsigned, hmac, foreign, expired, "not-a-token", good + "x")) {
            given().header("Authorization", "Bearer " + bad).get("/v2/" + repo + "/tags/list").then().statusCode(401)
                    .header("WWW-Authenticate", containsString("error=\"invalid_token\""));
        }
    }

    @Test
    void signingKeyRotationKeepsEarlierTokensValid() {
        String repo = Blobs.repository("rotation");
        String before = given().header("Authorization", Admin.basic()).queryParam("scope", "repository:" + repo + ":pull")
                .get("/auth/token").then().extract().jsonPath().getString("token");
        AdminApi.asAdmin().post("/api/v1/signing-keys").then().statusCode(201);
        String after = given().header("Authorization", Admin.basic()).queryParam("scope", "repository:" + repo + ":pull")
                .get("/auth/token").then().extract().jsonPath().getString("token");
        assertThat(kid(after)).isNotEqualTo(kid(before));
        for (String token : List.of(before, after)) {
            given().header("Authorization", "Bearer " + token).get("/v2/" + repo + "/tags/list").then().statusCode(404);
        }
    }

    /** Malformed bodies at the token endpoint are the client's error, answered with the error JSON. */
    @Test
    void malformedTokenRequestsAre4xxWithTheErrorDocument() {
        String json = "{\"grant_type\":\"password\",\"username\":\"admin\"}";
        for (var request : List.of(
                given().contentType("application/x-www-form-urlencoded").body("grant_type=password&password=%s%s%n&username=admin"),
                given().contentType("application/x-www-form-urlencoded").body("%"),
                given().contentType("application/x-www-form-urlencoded").body(json),
                given().contentType("application/json").body(json),
                given().body(json))) {
            int status = request.post("/auth/token").then().contentType(org.hamcrest.Matchers.startsWith("application/json"))
                    .body("errors[0].code", notNullValue()).extract().statusCode();
            assertThat(status).isBetween(400, 499);
        }
    }

    /** Hole 2: the anonymous identity is no account name: its tokens carry no subject at all. */
    @Test
    void anonymousTokensCarryNoSubject() {
        String token = given().get("/auth/token").then().statusCode(200).extract().jsonPath().getString("token");
        assertThat(claims(token).getMap("")).doesNotContainKey("sub");
        given().header("Authorization", "Bearer " + token).get("/api/v1/namespaces").then().statusCode(401);
        given().header("Authorization", "Bearer " + token).get("/v2/").then().statusCode(200);
    }

    @Test
    void severalScopesInOneParameterAreEachGranted() {
        String a = Blobs.repository("scopes-a");
        String b = Blobs.repository("scopes-b");
        String token = given().header("Authorization", Admin.basic())
                .queryParam("scope", "repository:" + a + ":pull repository:" + b + ":pull,push")
                .get("/auth/token").then().statusCode(200).extract().jsonPath().getString("token");
        assertThat(access(token)).containsExactly(
                Map.of("type", "repository", "name", a, "actions", List.of("pull")),
                Map.of("type", "repository", "name", b, "actions", List.of("pull", "push")));
    }

    /** Hole 8: a token is good for the catalog only when it was issued for registry:catalog:*. */
    @Test
    void catalogNeedsTheCatalogScopeInATokenAndChallengesForIt() {
        String repoToken = given().header("Authorization", Admin.basic()).queryParam("scope", "repository:tests/app:pull")
                .get("/auth/token").then().extract().jsonPath().getString("token");
        given().header("Authorization", "Bearer " + repoToken).get("/v2/_catalog").then().statusCode(401)
                .header("WWW-Authenticate", containsString("scope=\"registry:catalog:*\""))
                .header("WWW-Authenticate", containsString("error=\"insufficient_scope\""));
        String catalogToken = given().header("Authorization", Admin.basic()).queryParam("scope", "registry:catalog:*")
                .get("/auth/token").then().extract().jsonPath().getString("token");
        given().header("Authorization", "Bearer " + catalogToken).get("/v2/_catalog").then().statusCode(200);
    }

    /** A mount needs pull on the source too: a token lacking it is challenged for both scopes, as Distribution does. */
    @Test
    void mountWithATokenLackingTheSourceScopeIsChallengedForBothScopes() {
        String source = Blobs.repository("mount-source");
        String target = Blobs.repository("mount-target");
        byte[] blob = Blobs.random(64);
        String digest = Blobs.sha256(blob);
        given().header("Authorization", Admin.basic()).contentType("application/octet-stream").body(blob)
                .post("/v2/" + source + "/blobs/uploads/?digest=" + digest).then().statusCode(201);
        String mount = "/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source;
        String both = "scope=\"repository:" + target + ":pull,push repository:" + source + ":pull\"";

        given().post(mount).then().statusCode(401).header("WWW-Authenticate", containsString(both));
        String pushOnly = given().header("Authorization", Admin.basic()).queryParam("scope", "repository:" + target + ":pull,push")
                .get("/auth/token").then().extract().jsonPath().getString("token");
        given().header("Authorization", "Bearer " + pushOnly).post(mount).then().statusCode(401)
                .header("WWW-Authenticate", containsString(both))
                .header("WWW-Authenticate", containsString("error=\"insufficient_scope\""));
        String token = given().header("Authorization", Admin.basic())
                .queryParam("scope", "repository:" + target + ":pull,push repository:" + source + ":pull")
                .get("/auth/token").then().extract().jsonPath().getString("token");
        given().header("Authorization", "Bearer " + token).post(mount).then().statusCode(201)
                .header("Location", equalTo("/v2/" + target + "/blobs/" + digest));
    }

    /** Hole 4, one replica: the public key set verifies tokens; a deleted key stops verifying at once. */
    @Test
    void publishedKeysVerifyTokensAndADeletedKeyStopsVerifyingAtOnce() throws Exception {
        String repo = Blobs.repository("leak");
        String leaked = given().header("Authorization", Admin.basic()).queryParam("scope", "repository:" + repo + ":pull")
                .get("/auth/token").then().extract().jsonPath().getString("token");
        given().header("Authorization", "Bearer " + leaked).get("/v2/" + repo + "/tags/list").then().statusCode(404);

        JsonPath jwks = given().get("/auth/jwks").then().statusCode(200).extract().jsonPath();
        Map<String, String> jwk = jwks.<Map<String, String>>getList("keys").stream()
                .filter(key -> key.get("kid").equals(kid(leaked))).findFirst().orElseThrow();
        assertThat(jwk).containsEntry("kty", "EC").containsEntry("crv", "P-256").containsEntry("alg", "ES256");
        assertThat(verifies(leaked, jwk)).isTrue();

        String fresh = AdminApi.asAdmin().post("/api/v1/signing-keys").then().statusCode(201).extract().jsonPath().getString("kid");
        AdminApi.asAdmin().delete("/api/v1/signing-keys/" + kid(leaked)).then().statusCode(204);
        AdminApi.asAdmin().delete("/api/v1/signing-keys/" + kid(leaked)).then().statusCode(404);
        given().header("Authorization", "Bearer " + leaked).get("/v2/" + repo + "/tags/list").then().statusCode(401);
        assertThat(given().get("/auth/jwks").then().extract().jsonPath().getList("keys.kid")).doesNotContain(kid(leaked)).contains(fresh);
        AdminApi.asAdmin().get("/api/v1/signing-keys").then().statusCode(200).body("kid", org.hamcrest.Matchers.hasItem(fresh))
                .body("[0]", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("privateKey")));
        String next = given().header("Authorization", Admin.basic()).queryParam("scope", "repository:" + repo + ":pull")
                .get("/auth/token").then().extract().jsonPath().getString("token");
        assertThat(kid(next)).isEqualTo(fresh);
    }

    /** Checks an ES256 JWT against a JWK, as a third party holding only /auth/jwks would. */
    static boolean verifies(String token, Map<String, String> jwk) throws Exception {
        var parameters = java.security.AlgorithmParameters.getInstance("EC");
        parameters.init(new ECGenParameterSpec("secp256r1"));
        var spec = parameters.getParameterSpec(java.security.spec.ECParameterSpec.class);
        var point = new java.security.spec.ECPoint(new java.math.BigInteger(1, Base64.getUrlDecoder().decode(jwk.get("x"))),
                new java.math.BigInteger(1, Base64.getUrlDecoder().decode(jwk.get("y"))));
        var key = java.security.KeyFactory.getInstance("EC").generatePublic(new java.security.spec.ECPublicKeySpec(point, spec));
        String[] parts = token.split("\\.");
        Signature signature = Signature.getInstance("SHA256withECDSAinP1363Format");
        signature.initVerify(key);
        signature.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        return signature.verify(Base64.getUrlDecoder().decode(parts[2]));
    }

    static JsonPath claims(String token) {
        return JsonPath.from(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> access(String token) {
        String payload = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        return JsonPath.from(payload).getList("access");
    }

    private static String kid(String token) {
        return JsonPath.from(new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8)).getString("kid");
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String sign(String header, String payload, PrivateKey key) throws Exception {
        Signature signature = Signature.getInstance("SHA256withECDSAinP1363Format");
        signature.initSign(key);
        signature.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
        return header + "." + payload + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature.sign());
    }
}
