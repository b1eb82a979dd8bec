package io.cais.testing;

import io.cais.testing.OciLayouts.Index;
import io.restassured.RestAssured;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A Kubernetes node's image path against Cais, for the real-engines tests: a real containerd and its CRI image
 * service (what the kubelet calls), the packaged registry on the tests' PostgreSQL, trusted by containerd over plain
 * HTTP, skopeo logged in as the administrator to push images, and RestAssured pointed at the registry for the admin
 * API.
 */
public final class RegistryNode implements AutoCloseable {

    private final Path work;
    private final Containerd containerd;
    private final CriImageService cri;
    private final RegistryProcess registry;
    private final Skopeo skopeo;

    private RegistryNode(Path work, Containerd containerd, CriImageService cri, RegistryProcess registry, Skopeo skopeo) {
        this.work = work;
        this.containerd = containerd;
        this.cri = cri;
        this.registry = registry;
        this.skopeo = skopeo;
    }

    /** Starts containerd and the registry (with {@code properties} added to its configuration). */
    public static RegistryNode start(Map<String, String> properties) throws Exception {
        Path work = Files.createTempDirectory("cais-node");
        Containerd containerd = Containerd.start(work.resolve("containerd"));
        Map<String, String> configuration = new HashMap<>(properties);
        configuration.put("quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"));
        configuration.put("quarkus.datasource.username", "postgres");
        configuration.put("cais.storage.filesystem.root", work.resolve("blobs").toString());
        RegistryProcess registry;
        try {
            registry = RegistryProcess.start(work.resolve("registry"), configuration);
        } catch (Exception e) {
            containerd.close();
            throw e;
        }
        String host = "127.0.0.1:" + registry.port();
        containerd.trustPlainHttp(host);
        Skopeo skopeo = Skopeo.in(work.resolve("skopeo"));
        skopeo.login(host, Admin.USER, Admin.PASSWORD);
        RestAssured.baseURI = "http://127.0.0.1";
        RestAssured.port = registry.port();
        return new RegistryNode(work, containerd, containerd.imageService(), registry, skopeo);
    }

    /** host:port of the registry, as image names carry it. */
    public String host() {
        return "127.0.0.1:" + registry.port();
    }

    public CriImageService cri() {
        return cri;
    }

    public RegistryProcess registry() {
        return registry;
    }

    /** Pushes the index with skopeo as the administrator; returns the image name a pod spec would carry. */
    public String push(String namespace, String repository, String tag, Index index) throws Exception {
        Path layout = OciLayouts.write(work.resolve("layout-" + UUID.randomUUID()), tag, index);
        String image = host() + "/" + namespace + "/" + repository + ":" + tag;
        skopeo.ok("copy", "--all", "--dest-tls-verify=false", "oci:" + layout + ":" + tag, "docker://" + image);
        return image;
    }

    @Override
    public void close() throws Exception {
        RestAssured.reset();
        try {
            cri.close();
            registry.close();
        } finally {
            containerd.close();
        }
    }
}
