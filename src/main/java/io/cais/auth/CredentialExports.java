package io.cais.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A credential in the two forms clusters consume: a Docker {@code config.json} (what {@code docker login}
 * writes, what {@code skopeo --authfile} and a node's kubelet read) and a Kubernetes Secret of type
 * {@code kubernetes.io/dockerconfigjson}, byte for byte what
 * {@code kubectl create secret docker-registry … --dry-run=client -o yaml} prints.
 */
public final class CredentialExports {

    private CredentialExports() {
    }

    /** {@code {"auths":{"<host>":{"username":…,"password":…,"auth":base64(user:pass)}}}}, compact like kubectl's. */
    public static String dockerConfigJson(String host, String username, String password) {
        String auth = Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        return "{\"auths\":{" + quote(host) + ":{\"username\":" + quote(username) + ",\"password\":" + quote(password)
                + ",\"auth\":" + quote(auth) + "}}}";
    }

    public static String kubernetesSecret(String name, String namespace, String host, String username, String password) {
        String data = Base64.getEncoder().encodeToString(
                dockerConfigJson(host, username, password).getBytes(StandardCharsets.UTF_8));
        return "apiVersion: v1\n"
                + "data:\n"
                + "  .dockerconfigjson: " + data + "\n"
                + "kind: Secret\n"
                + "metadata:\n"
                + "  creationTimestamp: null\n"
                + "  name: " + name + "\n"
                + (namespace == null ? "" : "  namespace: " + namespace + "\n")
                + "type: kubernetes.io/dockerconfigjson\n";
    }

    private static String quote(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '<' -> out.append("\\u003c");
                case '>' -> out.append("\\u003e");
                case '&' -> out.append("\\u0026");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
