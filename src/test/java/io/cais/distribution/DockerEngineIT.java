package io.cais.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.testing.AdminApi;
import io.cais.testing.AdminApi.Robot;
import io.cais.testing.Blobs;
import io.cais.testing.Commands;
import io.cais.testing.DockerEngine;
import io.cais.testing.Http;
import io.cais.testing.LoggedRequests;
import io.cais.testing.LoggedRequests.Request;
import io.cais.testing.OciLayouts;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.restassured.RestAssured;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real Docker engine against the packaged registry, as its users drive it: {@code docker login} with a robot,
 * {@code build}, {@code push}, {@code pull}, {@code manifest}, {@code logout}, and the robot's exported
 * {@code config.json}. What dockerd sends is read back from the registry's request log: a re-push uploads nothing,
 * a push into a second repository mounts the layers, a re-pull asks for the manifest only.
 */
@Tag("engines")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerEngineIT {

    private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: \\d+");
    private static final Pattern PULLED_DIGEST = Pattern.compile("Digest: (sha256:[0-9a-f]{64})");

    private Path work;
    private DockerEngine docker;
    private RegistryProcess registry;
    private String host;
    private String namespace;
    private Robot pusher;
    private Robot reader;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("cais-docker");
        docker = DockerEngine.start(work.resolve("engine"));
        registry = RegistryProcess.start(work.resolve("registry"), Map.of(
                "quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"),
                "quarkus.datasource.username", "postgres",
                "cais.storage.filesystem.root", work.resolve("blobs").toString()));
        host = "127.0.0.1:" + registry.port();
        RestAssured.baseURI = "http://127.0.0.1";
        RestAssured.port = registry.port();
        namespace = AdminApi.namespace("docker", "private");
        pusher = AdminApi.robot(namespace, "ci", List.of("pull", "push"), List.of("*"), null);
        reader = AdminApi.robot(namespace, "reader", List.of("pull"), List.of("*"), null);
    }

    @AfterAll
    void stop() throws Exception {
        RestAssured.reset();
        // Each on its own: a registry that failed to start must not keep the engine running, and vice versa.
        try {
            if (registry != null) {
                registry.close();
            }
        } finally {
            if (docker != null) {
                docker.close();
            }
        }
    }

    @Test
    void loggedInRobotPushesTwoLayersOnceAndMountsThemIntoASecondRepository() throws Exception {
        Path client = loggedIn("push", pusher);
        String image = ref("app-" + unique(), "v1");
        docker.build(client, image, "linux/amd64", Map.of("one.txt", "layer one " + unique(), "two.txt", "layer two"));

        LoggedRequests firstPush = LoggedRequests.from(registry);
        String digest = pushedDigest(docker.ok(client, "push", image));
        // Two layers and the image config, each uploaded once, then the manifest.
        assertThat(firstPush.seen(r -> r.is("PUT", LoggedRequests.UPLOAD) && r.status() == 201)).hasSize(3);
        assertThat(servedDigest(image)).isEqualTo(digest);

        LoggedRequests rePush = LoggedRequests.from(registry);
        assertThat(pushedDigest(docker.ok(client, "push", image))).isEqualTo(digest);
        assertThat(rePush.seen()).as("a re-push checks the blobs and uploads none of them")
                .noneMatch(r -> r.route().startsWith(LoggedRequests.UPLOADS))
                .anyMatch(r -> r.is("HEAD", LoggedRequests.BLOB) && r.status() == 200);

        String copy = ref("copy-" + unique(), "v1");
        docker.ok(client, "tag", image, copy);
        LoggedRequests mountPush = LoggedRequests.from(registry);
        assertThat(pushedDigest(docker.ok(client, "push", copy))).isEqualTo(digest);
        List<Request> mounts = mountPush.seen(r -> r.is("POST", LoggedRequests.UPLOADS));
        // dockerd mounts the layers it pushed to the first repository (201, nothing sent) and uploads the config.
        assertThat(mounts).filteredOn(r -> r.status() == 201).hasSize(2);
        assertThat(mountPush.seen(r -> r.is("PATCH", LoggedRequests.UPLOAD))).hasSize(1);
        assertThat(servedDigest(copy)).isEqualTo(digest);
    }

    @Test
    void twoPlatformManifestListPullsByTagByDigestAndForArm64AndRePullsWithAManifestHeadOnly() throws Exception {
        Path client = loggedIn("multi", pusher);
        String repository = "multi-" + unique();
        String amd64 = ref(repository, "amd64");
        String arm64 = ref(repository, "arm64");
        docker.build(client, amd64, "linux/amd64", Map.of("app.txt", "amd64 build " + unique(), "common.txt", "shared"));
        docker.build(client, arm64, "linux/arm64", Map.of("app.txt", "arm64 build " + unique(), "common.txt", "shared"));
        docker.ok(client, "push", amd64);
        docker.ok(client, "push", arm64);

        String list = ref(repository, "1.0");
        docker.ok(client, "manifest", "create", "--insecure", list, amd64, arm64);
        String listDigest = lastLine(docker.ok(client, "manifest", "push", "--insecure", list).stdout());
        assertThat(listDigest).startsWith("sha256:");
        HttpResponse<byte[]> served = Http.send("GET", registry.url("/v2/" + namespace + "/" + repository + "/manifests/1.0"),
                null, "Accept", DOCKER_LIST);
        assertThat(served.headers().firstValue("Docker-Content-Digest")).hasValue(listDigest);
        assertThat(Blobs.sha256(served.body())).isEqualTo(listDigest);
        JsonNode manifests = OciLayouts.readJson(served.body()).path("manifests");
        assertThat(manifests.findValuesAsText("architecture")).containsExactlyInAnyOrder("amd64", "arm64");

        docker.ok(client, "rmi", amd64, arm64);
        assertThat(pulledDigest(docker.ok(client, "pull", list))).isEqualTo(listDigest);
        assertThat(architecture(client, list)).isEqualTo("amd64");
        String byDigest = host + "/" + namespace + "/" + repository + "@" + listDigest;
        assertThat(pulledDigest(docker.ok(client, "pull", byDigest))).isEqualTo(listDigest);
        assertThat(architecture(client, byDigest)).isEqualTo("amd64");
        assertThat(pulledDigest(docker.ok(client, "pull", "--platform", "linux/arm64", list))).isEqualTo(listDigest);
        assertThat(architecture(client, list)).isEqualTo("arm64");

        LoggedRequests rePull = LoggedRequests.from(registry);
        docker.ok(client, "pull", "--platform", "linux/arm64", list);
        assertThat(rePull.seen(r -> r.path().startsWith("/v2/" + namespace + "/")))
                .as("an unchanged image is re-pulled with a HEAD of its tag and nothing else")
                .singleElement().satisfies(r -> {
                    assertThat(r.is("HEAD", LoggedRequests.MANIFEST)).isTrue();
                    assertThat(r.path()).endsWith("/manifests/1.0");
                    assertThat(r.status()).isEqualTo(200);
                });

        assertThat(docker.ok(client, "logout", host).stdout()).contains("Removing login credentials for " + host);
        assertThat(Files.readString(client.resolve("config.json"))).doesNotContain(host);
        docker.ok(client, "rmi", list);
        Commands.Result anonymous = docker.run(client, "pull", list);
        assertThat(anonymous.exitCode()).as(anonymous.describe()).isNotZero();
        assertThat(anonymous.stderr()).contains("unauthorized");
    }

    @Test
    void exportedConfigJsonPushesAndPullsWithoutLogin() throws Exception {
        Path client = exported("exported", pusher);
        String image = ref("exported-" + unique(), "v1");
        docker.build(client, image, "linux/amd64", Map.of("file.txt", "exported " + unique()));

        LoggedRequests requests = LoggedRequests.from(registry);
        String digest = pushedDigest(docker.ok(client, "push", image));
        docker.ok(client, "rmi", image);
        assertThat(pulledDigest(docker.ok(client, "pull", image))).isEqualTo(digest);
        assertThat(requests.seen(r -> r.route().startsWith("/v2/{name}/")))
                .isNotEmpty().allMatch(r -> r.account().equals(pusher.username()));
        assertThat(servedDigest(image)).isEqualTo(digest);
    }

    @Test
    void pullOnlyRobotPullsButIsDeniedPush() throws Exception {
        String image = ref("readonly-" + unique(), "v1");
        Path writer = exported("writer", pusher);
        docker.build(writer, image, "linux/amd64", Map.of("file.txt", "read me " + unique()));
        docker.ok(writer, "push", image);

        Path client = exported("reader", reader);
        docker.ok(client, "pull", image);
        String denied = image.replace(":v1", ":v2");
        docker.ok(client, "tag", image, denied);
        Commands.Result push = docker.run(client, "push", denied);
        assertThat(push.exitCode()).as(push.describe()).isNotZero();
        assertThat(push.stderr()).contains("denied: requested access to the resource is denied");
        assertThat(Http.send("HEAD", manifestUrl(denied), null).statusCode()).isEqualTo(404);
    }

    @Test
    void wrongPasswordFailsLoginAndPullWithUnauthorized() throws Exception {
        // A robot of its own: the registry throttles a source after repeated failures for one account.
        Robot robot = AdminApi.robot(namespace, "wrong-" + unique(), List.of("pull", "push"), List.of("*"), null);
        Path client = docker.clientConfig("wrong-" + unique());
        Commands.Result login = docker.runWithInput(client, "not-the-secret\n",
                "login", "--username", robot.username(), "--password-stdin", host);
        assertThat(login.exitCode()).as(login.describe()).isNotZero();
        assertThat(login.stderr()).contains("unauthorized");

        Files.writeString(client.resolve("config.json"), "{\"auths\":{\"" + host + "\":{\"auth\":\""
                + base64(robot.username() + ":not-the-secret") + "\"}}}");
        Commands.Result pull = docker.run(client, "pull", ref("anything", "v1"));
        assertThat(pull.exitCode()).as(pull.describe()).isNotZero();
        assertThat(pull.stderr()).contains("unauthorized");
    }

    @Test
    void bareNameGoesToTheLibraryNamespace() throws Exception {
        Robot library = AdminApi.robot("library", "docker-" + unique(), List.of("pull", "push"), List.of("*"), null);
        String name = "tool-" + unique();
        String image = host + "/" + name + ":v1";
        Path client = loggedIn("library", library);
        docker.build(client, image, "linux/amd64", Map.of("tool.txt", "bare " + unique()));
        String digest = pushedDigest(docker.ok(client, "push", image));

        assertThat(AdminApi.asAdmin().get("/api/v1/namespaces/library/repositories").then().statusCode(200)
                .extract().jsonPath().getList("name", String.class)).contains(name);
        docker.ok(client, "rmi", image);
        assertThat(pulledDigest(docker.ok(client, "pull", image))).isEqualTo(digest);
        assertThat(servedDigest(image)).isEqualTo(digest);

        // Another namespace's robot may not write there.
        Path outsider = loggedIn("outsider", pusher);
        Commands.Result push = docker.run(outsider, "push", image);
        assertThat(push.exitCode()).as(push.describe()).isNotZero();
        assertThat(push.stderr()).contains("denied");
    }

    @Test
    void legacySuffixedNamesPullTheManifestListsImageForTheirArchitecture() throws Exception {
        String legacyNamespace = AdminApi.namespace("legacy", "private");
        AdminApi.archAliases(legacyNamespace, true);
        Robot publisher = AdminApi.robot(legacyNamespace, "publisher", List.of("pull", "push"), List.of("*"), null);
        Robot node = AdminApi.robot(legacyNamespace, "node", List.of("pull"), List.of("pause"), null);
        Path client = loggedIn("legacy-publisher", publisher);
        String pause = host + "/" + legacyNamespace + "/pause";
        docker.build(client, pause + ":amd64", "linux/amd64", Map.of("pause.txt", "amd64 " + unique()));
        docker.build(client, pause + ":arm64", "linux/arm64", Map.of("pause.txt", "arm64 " + unique()));
        String amd64 = pushedDigest(docker.ok(client, "push", pause + ":amd64"));
        String arm64 = pushedDigest(docker.ok(client, "push", pause + ":arm64"));
        docker.ok(client, "manifest", "create", "--insecure", pause + ":3.9", pause + ":amd64", pause + ":arm64");
        docker.ok(client, "manifest", "push", "--insecure", pause + ":3.9");

        // A node whose old YAML names pause-amd64, with credentials for pause only.
        Path kubelet = loggedIn("legacy-node", node);
        assertThat(pulledDigest(docker.ok(kubelet, "pull", pause + "-amd64:3.9"))).isEqualTo(amd64);
        assertThat(architecture(kubelet, pause + "-amd64:3.9")).isEqualTo("amd64");
        assertThat(pulledDigest(docker.ok(kubelet, "pull", "--platform", "linux/arm64", pause + "-arm64:3.9"))).isEqualTo(arm64);
        assertThat(architecture(kubelet, pause + "-arm64:3.9")).isEqualTo("arm64");
        Commands.Result missing = docker.run(kubelet, "pull", pause + "-s390x:3.9");
        assertThat(missing.exitCode()).as(missing.describe()).isNotZero();
        assertThat(missing.stderr()).contains("manifest unknown");
    }

    @Test
    void pushOfLatestToProdFailsWithTheTagPolicysMessageAndAMovedReleaseTagToo() throws Exception {
        String prod = AdminApi.productionNamespace("prod");
        Path client = loggedIn("prod", AdminApi.robot(prod, "ci", List.of("pull", "push"), List.of("*"), null));
        String latest = host + "/" + prod + "/app:latest";
        docker.build(client, latest, "linux/amd64", Map.of("app.txt", "prod " + unique()));

        Commands.Result blocked = docker.run(client, "push", latest);
        assertThat(blocked.exitCode()).as(blocked.describe()).isNotZero();
        assertThat(blocked.stderr()).as(blocked.describe()).contains("denied: " + AdminApi.latestRefused(prod + "/app"));
        assertThat(Http.send("HEAD", manifestUrl(latest), null).statusCode()).isEqualTo(404);

        String release = host + "/" + prod + "/app:v1";
        docker.ok(client, "tag", latest, release);
        String digest = pushedDigest(docker.ok(client, "push", release));
        docker.build(client, release, "linux/amd64", Map.of("app.txt", "another build " + unique()));
        Commands.Result moved = docker.run(client, "push", release);
        assertThat(moved.exitCode()).as(moved.describe()).isNotZero();
        assertThat(moved.stderr()).as(moved.describe()).contains(AdminApi.releaseMoveRefused(prod));
        assertThat(servedDigest(release)).isEqualTo(digest);
    }

    /** A client configuration logged in with {@code docker login} as the robot. */
    private Path loggedIn(String name, Robot robot) throws Exception {
        Path client = docker.clientConfig(name + "-" + unique());
        Commands.Result login = docker.runWithInput(client, robot.secret() + "\n",
                "login", "--username", robot.username(), "--password-stdin", host);
        assertThat(login.exitCode()).as(login.describe()).isZero();
        assertThat(login.stdout()).contains("Login Succeeded");
        return client;
    }

    /** A client configuration that is the robot's exported dockerconfigjson, as CI systems mount it. */
    private Path exported(String name, Robot robot) throws Exception {
        Path client = docker.clientConfig(name + "-" + unique());
        Files.writeString(client.resolve("config.json"), robot.dockerConfigJson());
        return client;
    }

    private String ref(String repository, String tag) {
        return host + "/" + namespace + "/" + repository + ":" + tag;
    }

    private String manifestUrl(String image) {
        String path = image.substring(host.length() + 1);
        int colon = path.lastIndexOf(':');
        return registry.url("/v2/" + path.substring(0, colon) + "/manifests/" + path.substring(colon + 1));
    }

    /** The digest the registry serves for the image's tag, asking as the administrator. */
    private String servedDigest(String image) throws Exception {
        HttpResponse<byte[]> response = Http.send("GET", manifestUrl(image), null, "Accept", DOCKER_MANIFEST + ", " + DOCKER_LIST);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Docker-Content-Digest")).hasValue(Blobs.sha256(response.body()));
        return Blobs.sha256(response.body());
    }

    private String architecture(Path client, String image) throws Exception {
        return docker.ok(client, "image", "inspect", "--format", "{{.Architecture}}", image).stdout().strip();
    }

    private static String pushedDigest(Commands.Result push) {
        Matcher matcher = PUSHED_DIGEST.matcher(push.stdout());
        assertThat(matcher.find()).as("a digest in the push output:\n%s", push.describe()).isTrue();
        return matcher.group(1);
    }

    /** The digest {@code docker pull} reports: what users pin in their pod specs. */
    private static String pulledDigest(Commands.Result pull) {
        Matcher matcher = PULLED_DIGEST.matcher(pull.stdout());
        assertThat(matcher.find()).as("a digest in the pull output:\n%s", pull.describe()).isTrue();
        return matcher.group(1);
    }

    private static String lastLine(String output) {
        List<String> lines = output.strip().lines().toList();
        return lines.getLast().strip();
    }

    private static String base64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
