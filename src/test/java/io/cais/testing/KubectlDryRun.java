package io.cais.testing;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code kubectl create --dry-run=client -f -} without a cluster. kubectl maps a document's kind to a resource
 * through the API server's discovery before it dry-runs it, so a stub serves the core group's discovery (Secrets and
 * Pods); nothing is created anywhere. Validation against the server's OpenAPI is left off: the stub has none.
 */
public final class KubectlDryRun implements AutoCloseable {

    private static final String API = "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
            + "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}";
    private static final String APIS = "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}";
    private static final String CORE = "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
            + "{\"name\":\"secrets\",\"singularName\":\"secret\",\"namespaced\":true,\"kind\":\"Secret\",\"verbs\":[\"create\",\"get\"]},"
            + "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"create\",\"get\"]}]}";

    private final HttpServer discovery;

    public KubectlDryRun() throws IOException {
        discovery = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        Map<String, String> documents = Map.of("/api", API, "/apis", APIS, "/api/v1", CORE);
        discovery.createContext("/", exchange -> {
            String body = documents.get(exchange.getRequestURI().getPath());
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        discovery.start();
    }

    /** {@code kubectl create --dry-run=client -f - -o json} of the YAML; the result, whatever its exit code. */
    public Commands.Result create(String yaml) throws IOException, InterruptedException {
        Path kubectl = Commands.require("kubectl", "install kubectl (see KubernetesManifestsTest)");
        return Commands.run(Path.of(""), Map.of(), yaml, Duration.ofSeconds(60), kubectl.toString(), "create",
                "--dry-run=client", "--validate=false", "-o", "json", "-f", "-",
                "--server=http://127.0.0.1:" + discovery.getAddress().getPort());
    }

    @Override
    public void close() {
        discovery.stop(0);
    }
}
