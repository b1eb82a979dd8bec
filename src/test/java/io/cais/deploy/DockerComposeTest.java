package io.cais.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cais.testing.Commands;
import io.cais.testing.DocumentedProperties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml, as {@code docker-compose config} resolves it (no engine needed): PostgreSQL, MinIO with its
 * bucket made by an init container, and Cais built from this repository, wired by documented environment
 * variables, with health checks and named volumes.
 */
class DockerComposeTest {

    private static JsonNode compose;

    @BeforeAll
    static void render() throws Exception {
        Path binary = Commands.require("docker-compose",
                "install it with `apt-get install -y docker-compose` (Debian's docker-compose runs `config` without an engine)");
        String rendered = Commands.ok(Path.of(""), Duration.ofSeconds(60), binary.toString(), "--file", "docker-compose.yml",
                "config").stdout();
        compose = new YAMLMapper().readTree(rendered);
    }

    private static JsonNode service(String name) {
        JsonNode service = compose.path("services").path(name);
        assertThat(service.isMissingNode()).as("service %s in %s", name, compose).isFalse();
        return service;
    }

    @Test
    void caisIsBuiltFromThisRepositorysImage() {
        JsonNode build = service("cais").path("build");
        assertThat(Path.of(build.path("context").asText())).isEqualTo(Path.of("").toAbsolutePath());
        Path dockerfile = Path.of(build.path("dockerfile").asText());
        assertThat(dockerfile).isEqualTo(Path.of("src/main/docker/Dockerfile.jvm"));
        assertThat(dockerfile).isRegularFile();
    }

    @Test
    void caisIsConfiguredOnlyThroughDocumentedProperties() throws Exception {
        List<String> variables = new ArrayList<>();
        service("cais").path("environment").fieldNames().forEachRemaining(variables::add);
        assertThat(variables).contains("QUARKUS_DATASOURCE_JDBC_URL", "CAIS_STORAGE_TYPE", "CAIS_STORAGE_S3_ENDPOINT");
        DocumentedProperties.load().assertAllDocumented(variables, "the cais service of docker-compose.yml");
        assertThat(service("cais").path("environment").path("CAIS_STORAGE_TYPE").asText()).isEqualTo("s3");
        assertThat(service("cais").path("environment").path("CAIS_STORAGE_S3_ENDPOINT").asText()).isEqualTo("http://minio:9000");
    }

    @Test
    void caisStartsAfterTheDatabaseIsHealthyAndTheBucketExists() {
        JsonNode dependsOn = service("cais").path("depends_on");
        assertThat(dependsOn.path("postgres").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(dependsOn.path("minio-init").path("condition").asText()).isEqualTo("service_completed_successfully");
        assertThat(service("minio-init").path("depends_on").path("minio").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(service("minio-init").path("command").toString()).contains("mc mb --ignore-existing local/cais");
    }

    @Test
    void longRunningServicesHaveHealthChecksAndNamedVolumes() {
        for (String name : List.of("postgres", "minio", "cais")) {
            assertThat(service(name).path("healthcheck").path("test").isArray()).as("%s health check", name).isTrue();
        }
        assertThat(service("cais").path("healthcheck").path("test").toString()).contains("/q/health/ready");
        assertThat(compose.path("volumes").has("postgres-data")).isTrue();
        assertThat(compose.path("volumes").has("minio-data")).isTrue();
        assertThat(service("postgres").path("volumes").toString()).contains("postgres-data:/var/lib/postgresql/data");
        assertThat(service("minio").path("volumes").toString()).contains("minio-data:/data");
    }

    @Test
    void caisGetsMoreTimeToStopThanItsShutdownTimeout() {
        // quarkus.shutdown.timeout is 30 s (application.properties); Docker's default of 10 s would cut uploads off.
        assertThat(Duration.parse("PT" + service("cais").path("stop_grace_period").asText().toUpperCase()))
                .isGreaterThan(Duration.ofSeconds(30));
    }

    @Test
    void theImageRunsAsAnUnprivilegedUser() throws Exception {
        String dockerfile = Files.readString(Path.of("src/main/docker/Dockerfile.jvm"));
        assertThat(dockerfile).containsPattern("(?m)^USER 10001")
                .contains("COPY target/quarkus-app/lib/ ", "COPY target/quarkus-app/app/ ", "COPY target/quarkus-app/quarkus/ ")
                .contains("-XX:MaxRAMPercentage");
    }
}
