package io.cais.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cais.testing.Commands;
import io.cais.testing.CredentialProvider;
import io.cais.testing.CriImageService;
import io.cais.testing.ServiceAccountSigner;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kubelet credential-provider plugin shipped in k8s/credential-provider, fed CredentialProviderRequest documents
 * exactly as the kubelet writes them, and the CredentialProviderConfig and RBAC shipped beside it.
 */
class CredentialProviderPluginTest {

    private static final String HOST = "registry.example.com:5000";
    private static final String IMAGE = HOST + "/payments/api:1.0";
    private final ServiceAccountSigner cluster = ServiceAccountSigner.rsa();

    @Test
    void answersWithThePodsTokenAsThePasswordOfTheWorkloadUserForTheImagesHost() throws Exception {
        String token = cluster.token("payments", "api");
        JsonNode response = CredentialProvider.respond(CredentialProvider.request(IMAGE, token, Map.of()));
        assertThat(CredentialProvider.credentials(response, HOST)).isEqualTo(new CriImageService.Auth("workload", token));
        assertThat(response.path("auth").size()).isEqualTo(1);
        assertThat(response.path("cacheKeyType").asText()).isEqualTo("Registry");
    }

    @Test
    void cachesForLessThanTheTokensRemainingLife() throws Exception {
        long now = Instant.now().getEpochSecond();
        assertThat(cacheSeconds(now + 3600)).isBetween(3600L - 60 - 5, 3600L - 60);
        assertThat(cacheSeconds(now + 100)).isBetween(35L, 40L);
        assertThat(cacheSeconds(now + 30)).as("too close to expiry to cache at all").isZero();
    }

    private long cacheSeconds(long expiry) throws Exception {
        JwtClaims claims = cluster.claims("payments", "api");
        claims.setExpirationTime(NumericDate.fromSeconds(expiry));
        String duration = CredentialProvider.respond(CredentialProvider.request(IMAGE, cluster.sign(claims), Map.of()))
                .path("cacheDuration").asText();
        assertThat(duration).matches("\\d+s");
        return Duration.parse("PT" + duration.toUpperCase()).toSeconds();
    }

    /** Annotation keys and values are free-form: none named or shaped like a field may change what is read. */
    @Test
    void serviceAccountAnnotationsCannotImitateTheRequestsFields() throws Exception {
        String token = cluster.token("payments", "api");
        Map<String, String> annotations = Map.of(
                "image", "evil.example.com/x",
                "serviceAccountToken", "aaa.bbb.ccc",
                "cais.example.com/note", "\"image\":\"evil.example.com/y\",\"serviceAccountToken\":\"x.y.z\" <&>");
        JsonNode response = CredentialProvider.respond(CredentialProvider.request(IMAGE, token, annotations));
        assertThat(CredentialProvider.credentials(response, HOST)).isEqualTo(new CriImageService.Auth("workload", token));
        assertThat(response.path("auth").size()).isEqualTo(1);
    }

    @Test
    void indentedRequestsReadTheSame() throws Exception {
        String token = cluster.token("payments", "api");
        String indented = "{\n  \"kind\": \"CredentialProviderRequest\",\n  \"apiVersion\": \"credentialprovider.kubelet.k8s.io/v1\",\n"
                + "  \"image\": \"" + IMAGE + "\",\n  \"serviceAccountToken\": \"" + token + "\"\n}\n";
        assertThat(CredentialProvider.credentials(CredentialProvider.respond(indented), HOST))
                .isEqualTo(new CriImageService.Auth("workload", token));
    }

    @Test
    void withoutATokenItAnswersNoCredentialsSoTheKubeletFallsBack() throws Exception {
        JsonNode response = CredentialProvider.respond(CredentialProvider.request(IMAGE, null, Map.of()));
        assertThat(response.path("auth").isObject()).isTrue();
        assertThat(response.path("auth").size()).isZero();
        assertThat(response.path("cacheDuration").asText()).isEqualTo("0s");
    }

    @Test
    void requestsItCannotReadFailWithAReasonAndNoAnswer() throws Exception {
        String token = cluster.token("payments", "api");
        List<String> requests = List.of(
                "not json\n",
                CredentialProvider.request(IMAGE, token, Map.of()).replace("/v1", "/v1alpha1"),
                CredentialProvider.request("api:1.0", token, Map.of()),
                CredentialProvider.request(IMAGE, "not-a-jwt", Map.of()),
                CredentialProvider.request(IMAGE, token + ".extra", Map.of()),
                CredentialProvider.request(IMAGE, "a.b.c", Map.of()));
        for (String request : requests) {
            Commands.Result result = CredentialProvider.run(request);
            assertThat(result.exitCode()).as(request).isEqualTo(1);
            assertThat(result.stdout()).as(request).isEmpty();
            assertThat(result.stderr()).as(request).startsWith("cais-credential-provider: ");
        }
    }

    /** The documented configuration names this plugin, the audience Cais expects, and the RBAC grants that audience. */
    @Test
    void shippedConfigurationAsksForTheAudienceCaisExpectsAndTheRbacGrantsIt() throws Exception {
        JsonNode config = yaml("credential-provider-config.yaml").getFirst();
        assertThat(config.path("kind").asText()).isEqualTo("CredentialProviderConfig");
        JsonNode provider = config.path("providers").path(0);
        assertThat(provider.path("name").asText()).isEqualTo(CredentialProvider.PLUGIN.getFileName().toString());
        assertThat(provider.path("apiVersion").asText()).isEqualTo("credentialprovider.kubelet.k8s.io/v1");
        JsonNode token = provider.path("tokenAttributes");
        assertThat(token.path("serviceAccountTokenAudience").asText()).isEqualTo(ServiceAccountSigner.AUDIENCE);
        assertThat(token.path("cacheType").asText()).isEqualTo("ServiceAccount");
        assertThat(token.path("requireServiceAccount").asBoolean()).isTrue();

        List<JsonNode> rbac = yaml("kubelet-audience-rbac.yaml");
        JsonNode rule = rbac.stream().filter(o -> o.path("kind").asText().equals("ClusterRole")).findFirst().orElseThrow()
                .path("rules").path(0);
        assertThat(rule.path("verbs").path(0).asText()).isEqualTo("request-serviceaccounts-token-audience");
        assertThat(rule.path("resources").path(0).asText()).isEqualTo(ServiceAccountSigner.AUDIENCE);
        assertThat(rbac).anyMatch(o -> o.path("kind").asText().equals("ClusterRoleBinding")
                && o.path("subjects").path(0).path("name").asText().equals("system:nodes"));
        assertThat(Files.isExecutable(CredentialProvider.PLUGIN)).as("the plugin is shipped executable").isTrue();
    }

    private static List<JsonNode> yaml(String file) throws Exception {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> read = new YAMLMapper().readerFor(JsonNode.class)
                .readValues(Path.of("k8s", "credential-provider", file).toFile())) {
            while (read.hasNext()) {
                documents.add(read.next());
            }
        }
        return documents;
    }
}
