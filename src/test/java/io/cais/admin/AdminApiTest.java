package io.cais.admin;

import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.cais.testing.AdminApi.asAdmin;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

/** The admin REST API: namespaces, users, members, robots and their exports; bad input and who may do what. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class AdminApiTest {

    // ---- namespaces ------------------------------------------------------------------------------------------

    @Test
    void namespacesAreCreatedListedUpdatedAndDeleted() {
        String name = AdminApi.namespace("team", "private");
        asAdmin().get("/api/v1/namespaces/" + name).then().statusCode(200)
                .body("name", equalTo(name)).body("visibility", equalTo("private"));
        asAdmin().get("/api/v1/namespaces").then().statusCode(200).body("name", hasItem(name)).body("name", hasItem("library"));
        asAdmin().body(Map.of("visibility", "public")).patch("/api/v1/namespaces/" + name).then().statusCode(200)
                .body("visibility", equalTo("public"));
        asAdmin().delete("/api/v1/namespaces/" + name).then().statusCode(204);
        asAdmin().get("/api/v1/namespaces/" + name).then().statusCode(404).body("errors[0].code", equalTo("NOT_FOUND"));
    }

    @Test
    void badNamespaceInputIsA4xxNamingTheProblemAndCreatesNothing() {
        String name = AdminApi.namespace("dup", "private");
        asAdmin().body(Map.of("name", name)).post("/api/v1/namespaces").then().statusCode(409)
                .body("errors[0].code", equalTo("CONFLICT")).body("errors[0].message", org.hamcrest.Matchers.containsString(name));
        for (String invalid : List.of("Upper", "a/b", "-x", "a+b", "")) {
            asAdmin().body(Map.of("name", invalid)).post("/api/v1/namespaces").then().statusCode(400)
                    .body("errors[0].code", equalTo("NAME_INVALID"));
        }
        asAdmin().get("/api/v1/namespaces").then().statusCode(200).body("name", not(hasItem("Upper")));
        asAdmin().body(Map.of("name", "vis-" + System.nanoTime(), "visibility", "secret")).post("/api/v1/namespaces")
                .then().statusCode(400).body("errors[0].code", equalTo("INVALID_REQUEST"));
        asAdmin().body("{\"name\": ").post("/api/v1/namespaces").then().statusCode(400)
                .body("errors[0].code", equalTo("INVALID_REQUEST"));
        asAdmin().get("/api/v1/namespaces/no-such-namespace").then().statusCode(404);
        asAdmin().delete("/api/v1/namespaces/library").then().statusCode(409);
    }

    @Test
    void deletingANamespaceDeletesItsRepositories() {
        String name = AdminApi.namespace("gone", "private");
        String repo = name + "/app";
        given().header("Authorization", Admin.basic()).contentType("application/octet-stream").body(new byte[] {1, 2, 3})
                .post("/v2/" + repo + "/blobs/uploads/?digest=sha256:039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81")
                .then().statusCode(201);
        asAdmin().get("/api/v1/namespaces/" + name + "/repositories").then().statusCode(200)
                .body("name", hasItem(repo)).body("find { it.name == '" + repo + "' }.size", equalTo(3));
        asAdmin().delete("/api/v1/namespaces/" + name).then().statusCode(204);
        given().header("Authorization", Admin.basic()).head("/v2/" + repo + "/blobs/sha256:039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81")
                .then().statusCode(403);
    }

    @Test
    void pushingIntoAMissingNamespaceIsDeniedNamingIt() {
        given().header("Authorization", Admin.basic()).post("/v2/nowhere-ns/app/blobs/uploads/").then().statusCode(403)
                .body("errors[0].code", equalTo("DENIED"))
                .body("errors[0].message", org.hamcrest.Matchers.containsString("nowhere-ns"));
    }

    // ---- users and members ----------------------------------------------------------------------------------

    @Test
    void rolesDecideWhatMembersMayDo() {
        String ns = AdminApi.namespace("roles", "private");
        String reader = AdminApi.user("reader", "reader-password");
        String writer = AdminApi.user("writer", "writer-password");
        String owner = AdminApi.user("owner", "owner-password");
        AdminApi.member(ns, reader, "reader");
        AdminApi.member(ns, writer, "writer");
        AdminApi.member(ns, owner, "admin");
        byte[] blob = "roles".getBytes(StandardCharsets.UTF_8);
        String digest = io.cais.testing.Blobs.sha256(blob);
        String repo = ns + "/app";

        push(reader, "reader-password", repo, blob).then().statusCode(403).body("errors[0].code", equalTo("DENIED"));
        push(writer, "writer-password", repo, blob).then().statusCode(201);
        given().header("Authorization", Admin.basic(reader, "reader-password")).get("/v2/" + repo + "/blobs/" + digest).then().statusCode(200);
        given().header("Authorization", Admin.basic(writer, "writer-password")).delete("/v2/" + repo + "/blobs/" + digest).then().statusCode(403);
        given().header("Authorization", Admin.basic(owner, "owner-password")).delete("/v2/" + repo + "/blobs/" + digest).then().statusCode(202);

        AdminApi.as(owner, "owner-password").get("/api/v1/namespaces/" + ns + "/members").then().statusCode(200)
                .body("user", hasItem(reader));
        AdminApi.as(writer, "writer-password").body(Map.of("role", "admin")).put("/api/v1/namespaces/" + ns + "/members/" + writer)
                .then().statusCode(403);
        AdminApi.as(owner, "owner-password").delete("/api/v1/namespaces/" + ns + "/members/" + reader).then().statusCode(204);
        given().header("Authorization", Admin.basic(reader, "reader-password")).get("/v2/" + repo + "/tags/list").then().statusCode(403);
    }

    @Test
    void usersAreManagedByServerAdminsAndChangeTheirOwnPassword() {
        String user = AdminApi.user("person", "first-password");
        asAdmin().get("/api/v1/users").then().statusCode(200).body("name", hasItem(user)).body("name", hasItem("admin"));
        AdminApi.as(user, "first-password").get("/api/v1/users").then().statusCode(403);
        AdminApi.as(user, "first-password").body(Map.of("password", "second-password")).put("/api/v1/users/" + user + "/password")
                .then().statusCode(403).body("errors[0].code", equalTo("DENIED"));
        AdminApi.as(user, "first-password").body(Map.of("password", "second-password", "currentPassword", "wrong-password"))
                .put("/api/v1/users/" + user + "/password").then().statusCode(403);
        AdminApi.as(user, "first-password").body(Map.of("password", "second-password", "currentPassword", "first-password"))
                .put("/api/v1/users/" + user + "/password").then().statusCode(204);
        given().header("Authorization", Admin.basic(user, "first-password")).get("/v2/").then().statusCode(401);
        given().header("Authorization", Admin.basic(user, "second-password")).get("/v2/").then().statusCode(200);
        asAdmin().body(Map.of("name", user, "password", "whatever-1")).post("/api/v1/users").then().statusCode(409);
        asAdmin().body(Map.of("name", "short-pw", "password", "x")).post("/api/v1/users").then().statusCode(400);
        asAdmin().delete("/api/v1/users/" + user).then().statusCode(204);
        given().header("Authorization", Admin.basic(user, "second-password")).get("/v2/").then().statusCode(401);
        asAdmin().delete("/api/v1/users/admin").then().statusCode(409);
    }

    @Test
    void serverAdminsResetOtherUsersPasswordsWithoutKnowingThem() {
        String user = AdminApi.user("forgetful", "first-password");
        asAdmin().body(Map.of("password", "reset-password")).put("/api/v1/users/" + user + "/password").then().statusCode(204);
        given().header("Authorization", Admin.basic(user, "reset-password")).get("/v2/").then().statusCode(200);
        String other = AdminApi.user("other", "other-password");
        AdminApi.as(other, "other-password").body(Map.of("password", "hijacked-password", "currentPassword", "reset-password"))
                .put("/api/v1/users/" + user + "/password").then().statusCode(403);
    }

    /** Hole 1: a token issued by /auth/token grants its access claim only; the admin API never takes one. */
    @Test
    void registryTokensAreNotAdminCredentials() {
        String victim = AdminApi.user("victim", "victim-password");
        String pullToken = given().header("Authorization", Admin.basic())
                .queryParam("scope", "repository:tests/app:pull").get("/auth/token").then().statusCode(200)
                .extract().jsonPath().getString("token");
        for (String method : List.of("GET", "POST")) {
            given().header("Authorization", "Bearer " + pullToken).contentType(ContentType.JSON).body("{}")
                    .request(method, "/api/v1/users").then().statusCode(401)
                    .header("WWW-Authenticate", equalTo("Basic realm=\"cais\""))
                    .body("errors[0].code", equalTo("UNAUTHORIZED"));
        }
        given().header("Authorization", "Bearer " + pullToken).contentType(ContentType.JSON)
                .body(Map.of("password", "taken-over-password")).put("/api/v1/users/" + victim + "/password").then().statusCode(401);
        given().header("Authorization", "Bearer " + pullToken).post("/api/v1/signing-keys").then().statusCode(401);
        given().header("Authorization", Admin.basic(victim, "victim-password")).get("/v2/").then().statusCode(200);
    }

    /** Hole 2: no account can be the anonymous identity. */
    @Test
    void builtInIdentityNamesCannotBeTakenByUsers() {
        asAdmin().body(Map.of("name", "anonymous", "password", "anonymous-password")).post("/api/v1/users").then().statusCode(400)
                .body("errors[0].code", equalTo("NAME_INVALID"));
        given().header("Authorization", Admin.basic("anonymous", "anonymous-password")).get("/v2/").then().statusCode(401);
    }

    /** Hole 3: patterns are matched without backtracking, and their wildcards are capped at creation. */
    @Test
    void robotPatternsWithTooManyWildcardsAreRefused() {
        String ns = AdminApi.namespace("globs", "private");
        asAdmin().body(Map.of("name", "greedy", "actions", List.of("pull"), "repositories", List.of("*a*a*a*a*a*a*a*a*a*b")))
                .post("/api/v1/namespaces/" + ns + "/robots").then().statusCode(400).body("errors[0].code", equalTo("INVALID_REQUEST"));
        AdminApi.Robot robot = AdminApi.robot(ns, "fine", List.of("pull"), List.of("*a*a*a*a*b"), null);
        String longName = ns + "/" + "a".repeat(200);
        given().header("Authorization", robot.basic()).get("/v2/" + longName + "/tags/list").then().statusCode(403);
        given().header("Authorization", robot.basic()).get("/v2/" + longName + "b/tags/list").then().statusCode(404);
    }

    /** Hole 6: admin and token bodies are capped before they are read, parsed or even authenticated. */
    @Test
    void oversizedBodiesAreRefusedBeforeTheyAreReadOrAuthenticated() {
        byte[] big = new byte[1024 * 1024 + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        for (String path : List.of("/api/v1/namespaces", "/api/v1/users", "/auth/token")) {
            given().contentType(ContentType.JSON).body(big).post(path).then().statusCode(413)
                    .body("errors[0].code", equalTo("SIZE_INVALID"));
        }
        // Without a declared length the same cap cuts the body off as it streams in.
        given().header("Authorization", Admin.basic()).contentType(ContentType.JSON)
                .body(new java.io.ByteArrayInputStream(big)).post("/api/v1/namespaces").then().statusCode(413);
        // The token form, read whole on the event loop before the endpoint runs (ApiBodyLimit), is cut off the same way.
        given().contentType(ContentType.JSON).body(new java.io.ByteArrayInputStream(big))
                .post("/auth/token").then().statusCode(413).body("errors[0].code", equalTo("SIZE_INVALID"));
    }

    /** Hole 8: '+' and '_' in robot names never reach a Kubernetes object name. */
    @Test
    void defaultPullSecretNamesAreValidKubernetesNames() {
        String ns = AdminApi.namespace("k8s_names", "private");
        AdminApi.Robot robot = AdminApi.robot(ns, "ci_bot", List.of("pull"), List.of("*"), null);
        String name = robot.kubernetesSecret().lines().filter(line -> line.startsWith("  name: ")).findFirst().orElseThrow()
                .substring("  name: ".length());
        assertThat(name).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*").endsWith("-ci-bot-pull-secret");
    }

    @Test
    void anonymousCallersAndRobotsCannotUseTheAdminApi() {
        given().get("/api/v1/namespaces").then().statusCode(401).body("errors[0].code", equalTo("UNAUTHORIZED"));
        String ns = AdminApi.namespace("robots", "private");
        AdminApi.Robot robot = AdminApi.robot(ns, "ci", List.of("pull", "push", "delete"), List.of("*"), null);
        given().header("Authorization", robot.basic()).get("/api/v1/namespaces").then().statusCode(401);
        given().header("Authorization", robot.basic()).contentType(ContentType.JSON)
                .body(Map.of("name", "more", "actions", List.of("pull"), "repositories", List.of("*")))
                .post("/api/v1/namespaces/" + ns + "/robots").then().statusCode(401);
    }

    // ---- robots and exports ---------------------------------------------------------------------------------

    @Test
    void robotCreationReturnsItsSecretAndBothExports() {
        String ns = AdminApi.namespace("exports", "private");
        AdminApi.Robot robot = AdminApi.robot(ns, "deployer", List.of("pull"), List.of("app", "tools/*"), null);
        assertThat(robot.username()).isEqualTo(ns + "+deployer");
        assertThat(Base64.getUrlDecoder().decode(robot.secret())).hasSize(32);

        String host = "localhost:" + io.restassured.RestAssured.port;
        String auth = Base64.getEncoder().encodeToString((robot.username() + ":" + robot.secret()).getBytes(StandardCharsets.UTF_8));
        assertThat(robot.dockerConfigJson()).isEqualTo("{\"auths\":{\"" + host + "\":{\"username\":\"" + robot.username()
                + "\",\"password\":\"" + robot.secret() + "\",\"auth\":\"" + auth + "\"}}}");
        assertThat(robot.kubernetesSecret()).contains("type: kubernetes.io/dockerconfigjson")
                .contains("name: " + ns + "-deployer-pull-secret");

        asAdmin().get("/api/v1/namespaces/" + ns + "/robots").then().statusCode(200)
                .body("[0].name", equalTo(robot.username())).body("[0].actions", equalTo(List.of("pull")))
                .body("[0].repositories", equalTo(List.of("app", "tools/*"))).body("[0]", not(org.hamcrest.Matchers.hasKey("secret")));
    }

    @Test
    void kubernetesSecretExportIsWhatKubectlPrints() throws Exception {
        String ns = AdminApi.namespace("kube", "private");
        String body = asAdmin().body(Map.of("name", "puller", "actions", List.of("pull"), "repositories", List.of("*")))
                .post("/api/v1/namespaces/" + ns + "/robots?format=kubernetes-secret&secretName=regcred&secretNamespace=apps")
                .then().statusCode(201).contentType("application/yaml").extract().asString();
        String secret = new String(Base64.getDecoder().decode(body.lines().filter(l -> l.contains(".dockerconfigjson:"))
                .findFirst().orElseThrow().split(": ")[1]), StandardCharsets.UTF_8);
        String password = io.restassured.path.json.JsonPath.from(secret).getString("auths.'localhost:" + io.restassured.RestAssured.port + "'.password");

        Process kubectl = new ProcessBuilder("kubectl", "create", "secret", "docker-registry", "regcred",
                "--docker-server=localhost:" + io.restassured.RestAssured.port, "--docker-username=" + ns + "+puller",
                "--docker-password=" + password, "-n", "apps", "--dry-run=client", "-o", "yaml")
                .redirectErrorStream(true).start();
        String expected = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kubectl.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(kubectl.exitValue()).as(expected).isZero();
        assertThat(body).isEqualTo(expected);
    }

    @Test
    void dockerConfigJsonExportAloneAndRotation() {
        String ns = AdminApi.namespace("rotate", "private");
        String config = asAdmin().body(Map.of("name", "ci", "actions", List.of("pull", "push"), "repositories", List.of("*")))
                .post("/api/v1/namespaces/" + ns + "/robots?format=dockerconfigjson").then().statusCode(201)
                .contentType(ContentType.JSON).extract().asString();
        String oldSecret = io.restassured.path.json.JsonPath.from(config).getString("auths.'localhost:" + io.restassured.RestAssured.port + "'.password");
        given().header("Authorization", Admin.basic(ns + "+ci", oldSecret)).get("/v2/").then().statusCode(200);

        String newSecret = asAdmin().post("/api/v1/namespaces/" + ns + "/robots/ci/secret").then().statusCode(200)
                .extract().jsonPath().getString("secret");
        assertThat(newSecret).isNotEqualTo(oldSecret);
        given().header("Authorization", Admin.basic(ns + "+ci", oldSecret)).get("/v2/").then().statusCode(401);
        given().header("Authorization", Admin.basic(ns + "+ci", newSecret)).get("/v2/").then().statusCode(200);
        asAdmin().post("/api/v1/namespaces/" + ns + "/robots/ci/secret?format=kubernetes-secret").then().statusCode(200)
                .contentType("application/yaml");
    }

    @Test
    void badRobotInputIsRejectedAndNothingIsCreated() {
        String ns = AdminApi.namespace("badrobot", "private");
        String robots = "/api/v1/namespaces/" + ns + "/robots";
        asAdmin().body(Map.of("name", "x", "actions", List.of("fly"), "repositories", List.of("*"))).post(robots)
                .then().statusCode(400).body("errors[0].message", org.hamcrest.Matchers.containsString("action"));
        asAdmin().body(Map.of("name", "x", "actions", List.of("pull"), "repositories", List.of())).post(robots)
                .then().statusCode(400).body("errors[0].message", org.hamcrest.Matchers.containsString("repositories"));
        asAdmin().body(Map.of("name", "Bad+Name", "actions", List.of("pull"), "repositories", List.of("*"))).post(robots)
                .then().statusCode(400).body("errors[0].code", equalTo("NAME_INVALID"));
        asAdmin().body(Map.of("name", "x", "actions", List.of("pull"), "repositories", List.of("*"), "expiresAt", "2001-01-01T00:00:00Z"))
                .post(robots).then().statusCode(400);
        asAdmin().body(Map.of("name", "x", "actions", List.of("pull"), "repositories", List.of("*"))).post(robots + "?format=xml")
                .then().statusCode(400);
        asAdmin().get(robots).then().statusCode(200).body("size()", equalTo(0));
        asAdmin().body(Map.of("name", "x", "actions", List.of("pull"), "repositories", List.of("*")))
                .post("/api/v1/namespaces/no-such-ns/robots").then().statusCode(404);
        AdminApi.robot(ns, "x", List.of("pull"), List.of("*"), null);
        asAdmin().body(Map.of("name", "x", "actions", List.of("pull"), "repositories", List.of("*"))).post(robots)
                .then().statusCode(409);
        asAdmin().delete(robots + "/x").then().statusCode(204);
        asAdmin().delete(robots + "/x").then().statusCode(404);
    }

    @Test
    void openApiDocumentDescribesTheAdminApi() {
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/api/v1/namespaces"))
                .body("paths", org.hamcrest.Matchers.hasKey("/api/v1/namespaces/{namespace}/robots"));
    }

    private static io.restassured.response.Response push(String user, String password, String repo, byte[] blob) {
        return given().header("Authorization", Admin.basic(user, password)).contentType("application/octet-stream").body(blob)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + io.cais.testing.Blobs.sha256(blob));
    }
}
