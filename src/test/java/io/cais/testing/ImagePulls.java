package io.cais.testing;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An image pulled from a registry process as a client pulls it: the manifest by each reference, then the config and
 * the layers once, every answer checked against its digest. It returns what went wrong instead of asserting, so that
 * pulls running concurrently can be collected and compared.
 */
public final class ImagePulls {

    /** What {@link #pull} and {@link #blobs} return when every answer was 200 with the expected bytes. */
    public static final String OK = "ok";

    private ImagePulls() {
    }

    /** {@code GET} of a manifest, accepting an OCI image manifest. */
    public static HttpResponse<byte[]> manifest(RegistryProcess registry, String repository, String reference)
            throws Exception {
        return Http.send("GET", registry.url("/v2/" + repository + "/manifests/" + reference), null,
                "Accept", OciLayouts.OCI_MANIFEST);
    }

    /** The manifest by each of {@code references}, then its blobs: {@link #OK}, or the first answer that was wrong. */
    public static String pull(RegistryProcess registry, String repository, List<String> references, OciLayouts.Image image)
            throws Exception {
        String digest = image.manifest().digest();
        for (String reference : references) {
            HttpResponse<byte[]> manifest = manifest(registry, repository, reference);
            if (manifest.statusCode() != 200 || !Blobs.sha256(manifest.body()).equals(digest)) {
                return "manifest " + reference + ": " + manifest.statusCode() + " " + text(manifest);
            }
        }
        return blobs(registry, repository, image);
    }

    /** The image's config and layers: {@link #OK}, or the first answer that was wrong. */
    public static String blobs(RegistryProcess registry, String repository, OciLayouts.Image image) throws Exception {
        for (OciLayouts.Blob blob : image.blobs()) {
            if (blob == image.manifest()) {
                continue;
            }
            HttpResponse<byte[]> pulled = Http.send("GET", registry.url("/v2/" + repository + "/blobs/" + blob.digest()), null);
            if (pulled.statusCode() != 200 || !Blobs.sha256(pulled.body()).equals(blob.digest())) {
                return "blob " + blob.digest() + ": " + pulled.statusCode() + " " + text(pulled);
            }
        }
        return OK;
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
