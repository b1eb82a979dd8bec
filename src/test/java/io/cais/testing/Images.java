package io.cais.testing;

import io.restassured.response.Response;

import static io.restassured.RestAssured.given;

/** Pushes small real images over the registry API as the test administrator, for tests that pull them. */
public final class Images {

    private Images() {
    }

    /** A linux/amd64 image of one layer, pushed blob by blob and tagged; returns its manifest's digest. */
    public static String push(String repository, String tag) {
        OciLayouts.Image image = uploaded(repository);
        putManifest(repository, tag, image).then().statusCode(201);
        return image.manifest().digest();
    }

    /** A new linux/amd64 image of one layer whose config and layer are pushed, not its manifest. */
    public static OciLayouts.Image uploaded(String repository) {
        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        for (OciLayouts.Blob blob : image.blobs().subList(0, image.blobs().size() - 1)) {
            given().header("Authorization", Admin.basic()).contentType("application/octet-stream").body(blob.bytes())
                    .post("/v2/" + repository + "/blobs/uploads/?digest=" + blob.digest()).then().statusCode(201);
        }
        return image;
    }

    /** {@code PUT /v2/<repository>/manifests/<reference>} of the image's manifest (reference may carry a query). */
    public static Response putManifest(String repository, String reference, OciLayouts.Image image) {
        return given().header("Authorization", Admin.basic()).urlEncodingEnabled(false).contentType(OciLayouts.OCI_MANIFEST)
                .body(image.manifest().bytes()).put("/v2/" + repository + "/manifests/" + reference);
    }
}
