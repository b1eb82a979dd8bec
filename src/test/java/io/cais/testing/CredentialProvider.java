package io.cais.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kubelet's side of the exec credential-provider protocol ({@code credentialprovider.kubelet.k8s.io/v1}) against
 * the plugin shipped in {@code k8s/credential-provider}: requests written byte for byte as the kubelet's Go encoder
 * writes them (compact, fields in struct order, {@code <>&} escaped, a trailing newline), the plugin run with the
 * request on stdin, and its answer read as the kubelet reads it.
 */
public final class CredentialProvider {

    public static final Path PLUGIN = Path.of("k8s", "credential-provider", "cais-credential-provider");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private CredentialProvider() {
    }

    /** A CredentialProviderRequest as the kubelet writes it; {@code token} null when the pod has none. */
    public static String request(String image, String token, Map<String, String> annotations) {
        StringBuilder json = new StringBuilder("{\"kind\":\"CredentialProviderRequest\",")
                .append("\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"image\":").append(goString(image));
        if (token != null) {
            json.append(",\"serviceAccountToken\":").append(goString(token));
        }
        if (!annotations.isEmpty()) {
            json.append(",\"serviceAccountAnnotations\":{");
            // Go writes map keys sorted.
            String separator = "";
            for (Map.Entry<String, String> annotation : new java.util.TreeMap<>(annotations).entrySet()) {
                json.append(separator).append(goString(annotation.getKey())).append(':').append(goString(annotation.getValue()));
                separator = ",";
            }
            json.append('}');
        }
        return json.append("}\n").toString();
    }

    /** Runs the plugin as the kubelet does: the request on stdin, the answer on stdout. */
    public static Commands.Result run(String request) throws IOException, InterruptedException {
        return Commands.run(Path.of(""), Map.of(), request, TIMEOUT, "/bin/sh", PLUGIN.toString());
    }

    /** The plugin's CredentialProviderResponse, which must be one the kubelet accepts. */
    public static JsonNode respond(String request) throws IOException, InterruptedException {
        Commands.Result result = run(request);
        assertThat(result.exitCode()).as(result.describe()).isZero();
        JsonNode response = OciLayouts.readJson(result.stdout().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(response.path("kind").asText()).isEqualTo("CredentialProviderResponse");
        assertThat(response.path("apiVersion").asText()).isEqualTo("credentialprovider.kubelet.k8s.io/v1");
        assertThat(response.path("cacheKeyType").asText()).isIn("Image", "Registry", "Global");
        return response;
    }

    /** The credentials the answer gives the runtime for a pull from {@code host}, as the kubelet passes them to CRI. */
    public static CriImageService.Auth credentials(JsonNode response, String host) {
        JsonNode auth = response.path("auth").path(host);
        assertThat(auth.isObject()).as("credentials for %s in %s", host, response).isTrue();
        return new CriImageService.Auth(auth.path("username").asText(), auth.path("password").asText());
    }

    /** A JSON string as Go's encoding/json writes it: HTML-safe (the values here hold no control characters). */
    private static String goString(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("<", "\\u003c")
                .replace(">", "\\u003e").replace("&", "\\u0026") + '"';
    }
}
