package io.cais.quota;

import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.restassured.RestAssured.given;

/** Pushes blobs and images over the registry API as the test administrator. */
final class Pushes {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    private Pushes() {
    }

    static RequestSpecification registry() {
        return given().urlEncodingEnabled(false).redirects().follow(false).header("Authorization", Admin.basic());
    }

    /** A monolithic push ({@code POST ?digest=}); the response, whatever it is. */
    static Response blob(String repository, byte[] bytes) {
        return registry().contentType("application/octet-stream").body(bytes)
                .post("/v2/" + repository + "/blobs/uploads/?digest=" + Blobs.sha256(bytes));
    }

    /** An image manifest over a config and layers that are pushed first; tagged {@code tag}. Returns its bytes. */
    static byte[] image(String repository, String tag, byte[] config, List<byte[]> layers) {
        blob(repository, config).then().statusCode(201);
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", config) + ",\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            blob(repository, layers.get(i)).then().statusCode(201);
            json.append(i == 0 ? "" : ",").append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layers.get(i)));
        }
        byte[] manifest = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        registry().contentType(OCI_MANIFEST).body(manifest).put("/v2/" + repository + "/manifests/" + tag).then().statusCode(201);
        return manifest;
    }

    static byte[] config(String label) {
        return ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"x\":\"" + label + "\"}}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String descriptor(String mediaType, byte[] content) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Blobs.sha256(content) + "\",\"size\":" + content.length + "}";
    }
}
