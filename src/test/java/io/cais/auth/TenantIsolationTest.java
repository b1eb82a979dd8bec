package io.cais.auth;

import io.cais.content.MediaTypes;
import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * Tenants are apart: a robot of namespace A can do nothing to namespace B — neither pull, push, delete, mount from,
 * list tags of, list referrers of, nor see in the catalog — by Basic credentials or by token.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class TenantIsolationTest {

    private String a;
    private String b;
    private AdminApi.Robot robotA;
    private String repoB;
    private String blobB;
    private String manifestB;

    @BeforeEach
    void twoTenants() {
        a = AdminApi.namespace("tenant-a", "private");
        b = AdminApi.namespace("tenant-b", "private");
        robotA = AdminApi.robot(a, "ci", List.of("pull", "push", "delete"), List.of("*"), null);
        repoB = b + "/secret-app";
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        blobB = pushBlob(admin(), repoB, config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + blobB + "\",\"size\":" + config.length
                + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
        admin().contentType(MediaTypes.OCI_MANIFEST).body(manifest).put("/v2/" + repoB + "/manifests/v1").then().statusCode(201);
        manifestB = Blobs.sha256(manifest);
    }

    @Test
    void robotOfAnotherNamespaceIsDeniedEverythingByBasicCredentials() {
        checkDenied(given().header("Authorization", robotA.basic()), 403);
    }

    @Test
    void robotOfAnotherNamespaceGetsTokensThatGrantNothingThere() {
        String token = given().header("Authorization", robotA.basic())
                .queryParam("scope", "repository:" + repoB + ":pull,push,delete").queryParam("scope", "registry:catalog:*")
                .get("/auth/token")
                .then().statusCode(200).extract().jsonPath().getString("token");
        checkDenied(given().header("Authorization", "Bearer " + token), 403);
    }

    @Test
    void mountFromAnotherNamespaceFallsBackToAPlainUpload() {
        String target = a + "/app";
        given().header("Authorization", robotA.basic())
                .post("/v2/" + target + "/blobs/uploads/?mount=" + blobB + "&from=" + repoB).then().statusCode(202)
                .header("Location", startsWith("/v2/" + target + "/blobs/uploads/"));
        given().header("Authorization", robotA.basic()).head("/v2/" + target + "/blobs/" + blobB).then().statusCode(404);
    }

    @Test
    void catalogShowsOnlyWhatTheCallerMayPull() {
        pushBlob(given().header("Authorization", robotA.basic()), a + "/visible", "x".getBytes(StandardCharsets.UTF_8));
        given().header("Authorization", robotA.basic()).get("/v2/_catalog?n=1000").then().statusCode(200)
                .body("repositories", hasItem(a + "/visible"))
                .body("repositories", everyItem(startsWith(a + "/")));
        given().get("/v2/_catalog").then().statusCode(200).body("repositories", not(hasItem(repoB)));
        admin().get("/v2/_catalog?n=1000&last=" + b).then().statusCode(200).body("repositories", hasItem(repoB));
    }

    @Test
    void robotPatternsLimitItToTheirRepositories() {
        AdminApi.Robot narrow = AdminApi.robot(a, "narrow", List.of("pull", "push"), List.of("app-*"), null);
        pushBlob(given().header("Authorization", narrow.basic()), a + "/app-1", "1".getBytes(StandardCharsets.UTF_8));
        given().header("Authorization", narrow.basic()).post("/v2/" + a + "/other/blobs/uploads/").then().statusCode(403);
        given().header("Authorization", narrow.basic()).delete("/v2/" + a + "/app-1/blobs/" + Blobs.sha256("1".getBytes(StandardCharsets.UTF_8)))
                .then().statusCode(403);
    }

    @Test
    void expiredAndDeletedRobotsStopWorkingAtOnce() throws InterruptedException {
        AdminApi.Robot shortLived = AdminApi.robot(a, "brief", List.of("pull"), List.of("*"),
                OffsetDateTime.now().plusSeconds(2).toString());
        given().header("Authorization", shortLived.basic()).get("/v2/").then().statusCode(200);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (given().header("Authorization", shortLived.basic()).get("/v2/").statusCode() == 200 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        given().header("Authorization", shortLived.basic()).get("/v2/").then().statusCode(401);
        given().header("Authorization", shortLived.basic()).get("/auth/token").then().statusCode(401);

        AdminApi.Robot doomed = AdminApi.robot(a, "doomed", List.of("pull"), List.of("*"), null);
        given().header("Authorization", doomed.basic()).get("/v2/").then().statusCode(200);
        AdminApi.asAdmin().delete("/api/v1/namespaces/" + a + "/robots/doomed").then().statusCode(204);
        given().header("Authorization", doomed.basic()).get("/v2/").then().statusCode(401);
    }

    private void checkDenied(RequestSpecification caller, int status) {
        String base = "/v2/" + repoB;
        caller.get(base + "/blobs/" + blobB).then().statusCode(status).body("errors[0].code", equalTo("DENIED"));
        caller.head(base + "/blobs/" + blobB).then().statusCode(status);
        caller.get(base + "/manifests/v1").then().statusCode(status);
        caller.head(base + "/manifests/" + manifestB).then().statusCode(status);
        caller.post(base + "/blobs/uploads/").then().statusCode(status);
        caller.contentType(MediaTypes.OCI_MANIFEST).body("{}").put(base + "/manifests/evil").then().statusCode(status);
        caller.delete(base + "/manifests/" + manifestB).then().statusCode(status);
        caller.delete(base + "/blobs/" + blobB).then().statusCode(status);
        caller.get(base + "/tags/list").then().statusCode(status);
        caller.get(base + "/referrers/" + manifestB).then().statusCode(status);
        caller.get("/v2/_catalog").then().statusCode(200).body("repositories", not(hasItem(repoB)));
        // Nothing happened to B's content.
        admin().get(base + "/manifests/v1").then().statusCode(200);
        admin().get(base + "/blobs/" + blobB).then().statusCode(200);
    }

    private static RequestSpecification admin() {
        return given().header("Authorization", Admin.basic());
    }

    private static String pushBlob(RequestSpecification caller, String repo, byte[] blob) {
        String digest = Blobs.sha256(blob);
        caller.contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest).then().statusCode(201);
        return digest;
    }
}
