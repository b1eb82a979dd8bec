package io.cais.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.testing.Admin;
import io.cais.testing.Http;
import io.cais.testing.OciLayouts;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.RegistryProcess;
import io.cais.testing.Skopeo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real clients with real credentials: a robot's exported dockerconfigjson, written to a file, is what
 * {@code skopeo --authfile} (and a kubelet with an imagePullSecret) uses to push and pull; a user's password works
 * through {@code skopeo login}. Both go through the Bearer token flow: challenge, token endpoint, retry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SkopeoAuthIT {

    private Path work;
    private RegistryProcess registry;
    private Skopeo skopeo;
    private String host;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("cais-skopeo-auth");
        registry = RegistryProcess.start(work.resolve("registry"), Map.of(
                "quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"),
                "quarkus.datasource.username", "postgres",
                "cais.storage.filesystem.root", work.resolve("blobs").toString()));
        skopeo = Skopeo.in(work.resolve("skopeo"));
        host = registry.url("").substring("http://".length());
    }

    @AfterAll
    void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void robotExportedAsDockerConfigJsonPushesAndPullsWithAuthfile() throws Exception {
        String ns = createNamespace("robots");
        String body = new String(admin("POST", "/api/v1/namespaces/" + ns + "/robots?format=dockerconfigjson",
                "{\"name\":\"ci\",\"actions\":[\"pull\",\"push\"],\"repositories\":[\"*\"]}").body(), StandardCharsets.UTF_8);
        Path authFile = work.resolve("robot-" + UUID.randomUUID() + ".json");
        Files.writeString(authFile, body);
        assertThat(OciLayouts.readJson(body.getBytes(StandardCharsets.UTF_8)).path("auths").has(host)).isTrue();

        OciLayouts.Image image = OciLayouts.image("amd64", 2);
        Path source = OciLayouts.write(work.resolve("src-" + UUID.randomUUID()), "v1", image);
        String ref = "docker://" + host + "/" + ns + "/app:v1";
        skopeo.okWithAuthFile(authFile, "copy", "--dest-tls-verify=false", "oci:" + source + ":v1", ref);
        Path pulled = work.resolve("pulled-" + UUID.randomUUID());
        skopeo.okWithAuthFile(authFile, "copy", "--src-tls-verify=false", ref, "oci:" + pulled + ":v1");
        for (OciLayouts.Blob blob : image.blobs()) {
            assertThat(OciLayouts.blob(pulled, blob.digest())).isEqualTo(blob.bytes());
        }

        // Without credentials the private namespace is closed to skopeo.
        Path empty = work.resolve("empty-" + UUID.randomUUID() + ".json");
        Files.writeString(empty, "{\"auths\":{}}");
        Skopeo.Result anonymous = skopeo.run("inspect", "--authfile", empty.toString(), "--tls-verify=false", ref);
        assertThat(anonymous.exitCode()).isNotZero();
    }

    @Test
    void userLoginWithPasswordPushesAndPulls() throws Exception {
        String ns = createNamespace("people");
        String user = "dev-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin("POST", "/api/v1/users", "{\"name\":\"" + user + "\",\"password\":\"dev-password\"}").statusCode()).isEqualTo(201);
        assertThat(admin("PUT", "/api/v1/namespaces/" + ns + "/members/" + user, "{\"role\":\"writer\"}").statusCode()).isEqualTo(200);

        Path authFile = work.resolve("login-" + UUID.randomUUID() + ".json");
        skopeo.ok("login", "--tls-verify=false", "--authfile", authFile.toString(), "-u", user, "-p", "dev-password", host);
        Skopeo.Result badLogin = skopeo.run("login", "--tls-verify=false", "--authfile", work.resolve("bad.json").toString(),
                "-u", user, "-p", "wrong-password", host);
        assertThat(badLogin.exitCode()).isNotZero();

        OciLayouts.Image image = OciLayouts.image("arm64", 1);
        Path source = OciLayouts.write(work.resolve("src-" + UUID.randomUUID()), "v1", image);
        String ref = "docker://" + host + "/" + ns + "/tool:v1";
        skopeo.okWithAuthFile(authFile, "copy", "--dest-tls-verify=false", "oci:" + source + ":v1", ref);
        JsonNode inspected = OciLayouts.readJson(skopeo.okWithAuthFile(authFile, "inspect", "--tls-verify=false", ref).stdoutBytes());
        assertThat(inspected.path("Digest").asText()).isEqualTo(image.manifest().digest());
    }

    private String createNamespace(String prefix) throws Exception {
        String ns = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin("POST", "/api/v1/namespaces", "{\"name\":\"" + ns + "\"}").statusCode()).isEqualTo(201);
        return ns;
    }

    private HttpResponse<byte[]> admin(String method, String path, String json) throws Exception {
        return Http.sendAs(Admin.basic(), method, registry.url(path), json.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json");
    }
}
