package io.cais.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cais.testing.Commands;
import io.cais.testing.DocumentedProperties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * k8s/ as {@code kubectl kustomize k8s} renders it: the objects a cluster needs, a Deployment that is configured only
 * through documented properties and whose references resolve, probes on /q/health, a locked-down pod, graceful
 * termination, and an ingress that lets layers of any size through.
 */
class KubernetesManifestsTest {

    private static final List<JsonNode> OBJECTS = new ArrayList<>();

    @BeforeAll
    static void render() throws Exception {
        Path kubectl = Commands.require("kubectl", "install kubectl 1.27 or later (kustomize is built in), e.g. from "
                + "https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/ or the pkgs.k8s.io apt repository");
        String rendered = Commands.ok(Path.of(""), Duration.ofSeconds(60), kubectl.toString(), "kustomize", "k8s").stdout();
        try (MappingIterator<JsonNode> documents = new YAMLMapper().readerFor(JsonNode.class).readValues(rendered)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    OBJECTS.add(document);
                }
            }
        }
    }

    private static JsonNode object(String kind, String name) {
        return OBJECTS.stream()
                .filter(o -> kind.equals(o.path("kind").asText()) && name.equals(o.path("metadata").path("name").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in the rendered k8s/"));
    }

    private static JsonNode container() {
        return object("Deployment", "cais").path("spec").path("template").path("spec").path("containers").path(0);
    }

    /** Each variable the container gets, with where its value comes from. */
    private static Map<String, String> environment() {
        Map<String, String> variables = new TreeMap<>();
        for (JsonNode source : container().path("envFrom")) {
            String configMap = source.path("configMapRef").path("name").asText();
            assertThat(configMap).as("envFrom takes ConfigMaps only (credentials go through secretKeyRef)").isNotEmpty();
            object("ConfigMap", configMap).path("data").fieldNames()
                    .forEachRemaining(variable -> variables.put(variable, "ConfigMap " + configMap));
        }
        for (JsonNode variable : container().path("env")) {
            variables.put(variable.path("name").asText(), "env");
        }
        return variables;
    }

    @Test
    void rendersEveryObjectIntoTheCaisNamespace() {
        for (String[] object : List.of(new String[] {"Namespace", "cais"}, new String[] {"ConfigMap", "cais-config"},
                new String[] {"Secret", "cais-credentials"}, new String[] {"Deployment", "cais"},
                new String[] {"Service", "cais"}, new String[] {"Ingress", "cais"},
                new String[] {"PodDisruptionBudget", "cais"}, new String[] {"HorizontalPodAutoscaler", "cais"})) {
            JsonNode found = object(object[0], object[1]);
            if (!object[0].equals("Namespace")) {
                assertThat(found.path("metadata").path("namespace").asText()).as(object[0]).isEqualTo("cais");
            }
        }
    }

    @Test
    void everyVariableTheDeploymentSetsIsADocumentedProperty() throws Exception {
        Map<String, String> variables = environment();
        assertThat(variables).containsKeys("QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME",
                "QUARKUS_DATASOURCE_PASSWORD", "CAIS_STORAGE_TYPE", "CAIS_STORAGE_S3_ENDPOINT",
                "CAIS_STORAGE_S3_ACCESS_KEY", "CAIS_STORAGE_S3_SECRET_KEY");
        DocumentedProperties.load().assertAllDocumented(variables.keySet(), "the Deployment in k8s/ " + variables);
    }

    @Test
    void credentialsComeFromTheSecretAndEveryKeyReferencedExists() {
        JsonNode secret = object("Secret", "cais-credentials");
        for (JsonNode variable : container().path("env")) {
            JsonNode reference = variable.path("valueFrom").path("secretKeyRef");
            assertThat(reference.isMissingNode()).as("%s comes from a Secret", variable.path("name")).isFalse();
            assertThat(reference.path("name").asText()).isEqualTo("cais-credentials");
            assertThat(secret.path("stringData").has(reference.path("key").asText()))
                    .as("key %s in Secret cais-credentials", reference.path("key")).isTrue();
        }
        assertThat(container().path("env").findValuesAsText("name")).as("the first start's admin password comes from the Secret")
                .contains("CAIS_ADMIN_INITIAL_PASSWORD");
        assertThat(object("ConfigMap", "cais-config").path("data").toString()).doesNotContainIgnoringCase("password");
    }

    @Test
    void runsTwoOrMoreReplicasWithProbesOnHealthEndpoints() {
        JsonNode deployment = object("Deployment", "cais");
        assertThat(deployment.path("spec").path("replicas").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(object("HorizontalPodAutoscaler", "cais").path("spec").path("minReplicas").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(object("PodDisruptionBudget", "cais").path("spec").path("minAvailable").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(container().path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/ready");
        assertThat(container().path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/live");
        assertThat(container().path("startupProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/started");
        // The readiness check may wait cais.health.store-timeout (5 s) for the blob store.
        assertThat(container().path("readinessProbe").path("timeoutSeconds").asInt()).isGreaterThan(5);
        assertThat(container().path("resources").path("requests").has("cpu")).isTrue();
        assertThat(container().path("resources").path("limits").has("memory")).isTrue();
    }

    @Test
    void podRunsAsNonRootOnAReadOnlyRootFilesystemWithATmpVolume() {
        JsonNode pod = object("Deployment", "cais").path("spec").path("template").path("spec");
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.path("securityContext").path("runAsUser").asInt()).isPositive();
        JsonNode security = container().path("securityContext");
        assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(security.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(security.path("capabilities").path("drop").toString()).contains("ALL");
        assertThat(container().path("volumeMounts").toString()).contains("\"mountPath\":\"/tmp\"");
        assertThat(pod.path("volumes").path(0).has("emptyDir")).isTrue();
    }

    @Test
    void shutdownDelayAndTimeoutFitTheTerminationGracePeriod() {
        JsonNode config = object("ConfigMap", "cais-config").path("data");
        Duration delay = Duration.parse("PT" + config.path("QUARKUS_SHUTDOWN_DELAY").asText().toUpperCase());
        Duration timeout = Duration.parse("PT" + config.path("QUARKUS_SHUTDOWN_TIMEOUT").asText().toUpperCase());
        long grace = object("Deployment", "cais").path("spec").path("template").path("spec")
                .path("terminationGracePeriodSeconds").asLong();
        assertThat(delay).isPositive();
        assertThat(delay.plus(timeout)).isLessThan(Duration.ofSeconds(grace));
    }

    @Test
    void ingressLetsLayersOfAnySizeStreamThrough() {
        JsonNode annotations = object("Ingress", "cais").path("metadata").path("annotations");
        assertThat(annotations.path("nginx.ingress.kubernetes.io/proxy-body-size").asText()).isEqualTo("0");
        assertThat(annotations.path("nginx.ingress.kubernetes.io/proxy-request-buffering").asText()).isEqualTo("off");
        assertThat(annotations.path("nginx.ingress.kubernetes.io/proxy-read-timeout").asInt()).isGreaterThanOrEqualTo(600);
        assertThat(annotations.path("nginx.ingress.kubernetes.io/proxy-send-timeout").asInt()).isGreaterThanOrEqualTo(600);
        assertThat(object("Ingress", "cais").path("spec").path("rules").findValuesAsText("path")).contains("/v2")
                .noneMatch(path -> path.startsWith("/q"));
    }
}
