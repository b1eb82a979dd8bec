package io.cais.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads a Kubernetes imagePullSecret the way the kubelet does before it calls the runtime's {@code PullImage}: a
 * Secret of type {@code kubernetes.io/dockerconfigjson}, whose {@code .dockerconfigjson} (base64) is a docker
 * {@code config.json}; the entry of {@code auths} whose host is the image's registry gives the username and
 * password — from {@code auth} (base64 {@code user:password}) when present, as the kubelet prefers it.
 */
public final class PullSecrets {

    private PullSecrets() {
    }

    public static CriImageService.Auth credentialsFor(String secretYaml, String image) {
        JsonNode secret;
        try {
            secret = new YAMLMapper().readTree(secretYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(secret.path("kind").asText()).isEqualTo("Secret");
        assertThat(secret.path("type").asText()).isEqualTo("kubernetes.io/dockerconfigjson");
        byte[] config = Base64.getDecoder().decode(secret.path("data").path(".dockerconfigjson").asText());
        JsonNode auths = OciLayouts.readJson(config).path("auths");
        String registry = image.substring(0, image.indexOf('/'));
        for (Iterator<Map.Entry<String, JsonNode>> entries = auths.fields(); entries.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = entries.next();
            if (host(entry.getKey()).equals(registry)) {
                JsonNode auth = entry.getValue();
                if (!auth.path("auth").asText().isEmpty()) {
                    String decoded = new String(Base64.getDecoder().decode(auth.path("auth").asText()), StandardCharsets.UTF_8);
                    int colon = decoded.indexOf(':');
                    return new CriImageService.Auth(decoded.substring(0, colon), decoded.substring(colon + 1));
                }
                return new CriImageService.Auth(auth.path("username").asText(), auth.path("password").asText());
            }
        }
        throw new AssertionError("the pull secret has no credentials for " + registry + ": " + auths);
    }

    /** An {@code auths} key may be a URL ({@code https://host/v1/}); the kubelet matches its host. */
    private static String host(String key) {
        String host = key.replaceFirst("^https?://", "");
        int slash = host.indexOf('/');
        return slash < 0 ? host : host.substring(0, slash);
    }
}
