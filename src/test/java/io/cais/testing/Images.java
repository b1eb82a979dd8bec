package io.cais.testing;

import io.restassured.response.Response;

import java.util.Arrays;

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
        pushBlobs(repository, image);
        return image;
    }

    /** {@code PUT /v2/<repository>/manifests/<reference>} of the image's manifest (reference may carry a query). */
    public static Response putManifest(String repository, String reference, OciLayouts.Image image) {
        return given().header("Authorization", Admin.basic()).urlEncodingEnabled(false).contentType(OciLayouts.OCI_MANIFEST)
                .body(image.manifest().bytes()).put("/v2/" + repository + "/manifests/" + reference);
    }

    /**
     * A multi-platform image: an OCI index over linux images for the architectures (one layer each), every blob
     * and child manifest pushed by digest and the index tagged; returns the index.
     */
    public static OciLayouts.Index pushIndex(String repository, String tag, String... architectures) {
        OciLayouts.Image[] images = Arrays.stream(architectures).map(arch -> OciLayouts.image(arch, 1))
                .toArray(OciLayouts.Image[]::new);
        OciLayouts.Index index = OciLayouts.index(images);
        for (OciLayouts.Image image : images) {
            pushBlobs(repository, image);
            putManifest(repository, image.manifest().digest(), image).then().statusCode(201);
        }
        given().header("Authorization", Admin.basic()).contentType(OciLayouts.OCI_INDEX).body(index.index().bytes())
                .put("/v2/" + repository + "/manifests/" + tag).then().statusCode(201);
        return index;
    }

    /** The image's config and layers (every blob but the manifest, which is last). */
    private static void pushBlobs(String repository, OciLayouts.Image image) {
        for (OciLayouts.Blob blob : image.blobs().subList(0, image.blobs().size() - 1)) {
            given().header("Authorization", Admin.basic()).contentType("application/octet-stream").body(blob.bytes())
                    .post("/v2/" + repository + "/blobs/uploads/?digest=" + blob.digest()).then().statusCode(201);
        }
    }
}
