package io.cais.distribution;

import io.cais.content.MediaTypes;
import io.cais.testing.Blobs;
import io.restassured.response.Response;

import java.nio.charset.StandardCharsets;

import static io.cais.distribution.BlobApiContract.push;
import static io.cais.distribution.BlobApiContract.request;

/** Builds and pushes test manifests: real JSON over real pushed blobs. */
final class Manifests {

    private Manifests() {
    }

    static String descriptor(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    /** An OCI image manifest over a freshly pushed config and layer; extra JSON members may be appended. */
    static byte[] image(String repo, String extraMembers) {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = Blobs.random(512);
        String configDigest = push(repo, config);
        String layerDigest = push(repo, layer);
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length) + ","
                + "\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layerDigest, layer.length) + "]"
                + (extraMembers == null ? "" : "," + extraMembers) + "}").getBytes(StandardCharsets.UTF_8);
    }

    static Response put(String repo, String reference, String mediaType, byte[] body) {
        return request().contentType(mediaType).body(body).put("/v2/" + repo + "/manifests/" + reference);
    }

    /** Pushes an image manifest by tag and returns its digest. */
    static String pushImage(String repo, String tag) {
        byte[] manifest = image(repo, null);
        put(repo, tag, MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        return Blobs.sha256(manifest);
    }
}
