package io.cais.testing;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Images for garbage collection tests, built from given layers (so that images can share them) and pushed over HTTP
 * to any registry (the in-JVM test application or a {@link RegistryProcess}) as the test administrator.
 */
public final class GcImages {

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final String CONFIG = "application/vnd.oci.image.config.v1+json";
    private static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

    private GcImages() {
    }

    /** An image manifest and the blobs it references (config first). */
    public record Image(List<byte[]> blobs, byte[] manifest) {

        public String digest() {
            return Blobs.sha256(manifest);
        }

        public Set<String> blobDigests() {
            Set<String> digests = new LinkedHashSet<>();
            blobs.forEach(blob -> digests.add(Blobs.sha256(blob)));
            return digests;
        }

        /** Uploads the blobs and puts the manifest under {@code reference}; the manifest PUT's status (or the first failed upload's). */
        public int push(String base, String repository, String reference) throws Exception {
            for (byte[] blob : blobs) {
                int status = upload(base, repository, blob);
                if (status != 201) {
                    return status;
                }
            }
            return putManifest(base, repository, reference, manifest);
        }
    }

    /** A fresh image over a unique config and the given layers. */
    public static Image image(List<byte[]> layers) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"unique\":\""
                + UUID.randomUUID() + "\"}}}").getBytes(StandardCharsets.UTF_8);
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":")
                .append(descriptor(CONFIG, config)).append(",\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            json.append(i == 0 ? "" : ",").append(descriptor(LAYER, layers.get(i)));
        }
        List<byte[]> blobs = new ArrayList<>();
        blobs.add(config);
        blobs.addAll(layers);
        return new Image(blobs, json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
    }

    /** An artifact (its own random blob as config and layer) whose subject is {@code subject}. */
    public static Image referrer(Image subject) {
        byte[] content = Blobs.random(300);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"artifactType\":\"application/vnd.example.sig\","
                + "\"config\":" + descriptor("application/vnd.example.sig", content) + ",\"layers\":["
                + descriptor("application/vnd.example.sig", content) + "],\"subject\":{\"mediaType\":\"" + OCI_MANIFEST
                + "\",\"digest\":\"" + subject.digest() + "\",\"size\":" + subject.manifest().length + "}}")
                .getBytes(StandardCharsets.UTF_8);
        return new Image(List.of(content), manifest);
    }

    /** An image index (its own manifest, no blobs) listing the images. */
    public static Image index(Image... images) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[");
        for (int i = 0; i < images.length; i++) {
            json.append(i == 0 ? "" : ",").append("{\"mediaType\":\"" + OCI_MANIFEST + "\",\"digest\":\"")
                    .append(images[i].digest()).append("\",\"size\":").append(images[i].manifest().length)
                    .append(",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}");
        }
        return new Image(List.of(), json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
    }

    public static int upload(String base, String repository, byte[] blob) throws Exception {
        return Http.send("POST", base + "/v2/" + repository + "/blobs/uploads/?digest=" + Blobs.sha256(blob), blob,
                "Content-Type", "application/octet-stream").statusCode();
    }

    public static int putManifest(String base, String repository, String reference, byte[] manifest) throws Exception {
        String type = new String(manifest, StandardCharsets.UTF_8).contains(OCI_INDEX) ? OCI_INDEX : OCI_MANIFEST;
        return Http.send("PUT", base + "/v2/" + repository + "/manifests/" + reference, manifest,
                "Content-Type", type).statusCode();
    }

    /** Runs the garbage collector through the admin API; its JSON answer. */
    public static String collect(String base, boolean dryRun, boolean ignoreDelay) throws Exception {
        HttpResponse<byte[]> response = Http.send("POST", base + "/api/v1/gc",
                ("{\"dryRun\":" + dryRun + ",\"ignoreDelay\":" + ignoreDelay + "}").getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json");
        String body = new String(response.body(), StandardCharsets.UTF_8);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("POST /api/v1/gc answered " + response.statusCode() + ": " + body);
        }
        return body;
    }

    private static String descriptor(String mediaType, byte[] blob) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Blobs.sha256(blob) + "\",\"size\":" + blob.length + "}";
    }
}
