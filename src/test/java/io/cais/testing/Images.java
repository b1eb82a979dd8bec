package io.cais.testing;

import static io.restassured.RestAssured.given;

/** Pushes small real images over the registry API as the test administrator, for tests that pull them. */
public final class Images {

    private Images() {
    }

    /** A linux/amd64 image of one layer, pushed blob by blob and tagged; returns its manifest's digest. */
    public static String push(String repository, String tag) {
        OciLayouts.Image image = OciLayouts.image("amd64", 1);
        pushImage(repository, image, tag);
        return image.manifest().digest();
    }

    /** The image's config and layers, then its manifest under {@code reference} (a tag or its digest). */
    private static void pushImage(String repository, OciLayouts.Image image, String reference) {
        for (OciLayouts.Blob blob : image.blobs().subList(0, image.blobs().size() - 1)) {
            given().header("Authorization", Admin.basic()).contentType("application/octet-stream").body(blob.bytes())
                    .post("/v2/" + repository + "/blobs/uploads/?digest=" + blob.digest()).then().statusCode(201);
        }
        given().header("Authorization", Admin.basic()).contentType(OciLayouts.OCI_MANIFEST).body(image.manifest().bytes())
                .put("/v2/" + repository + "/manifests/" + reference).then().statusCode(201);
    }

    /**
     * A multi-platform image: an OCI index over linux images for the architectures (one layer each), every blob
     * and child manifest pushed by digest and the index tagged; returns the index.
     */
    public static OciLayouts.Index pushIndex(String repository, String tag, String... architectures) {
        OciLayouts.Image[] images = java.util.Arrays.stream(architectures).map(arch -> OciLayouts.image(arch, 1))
                .toArray(OciLayouts.Image[]::new);
        OciLayouts.Index index = OciLayouts.index(images);
        for (OciLayouts.Image image : images) {
            pushImage(repository, image, image.manifest().digest());
        }
        given().header("Authorization", Admin.basic()).contentType(OciLayouts.OCI_INDEX).body(index.index().bytes())
                .put("/v2/" + repository + "/manifests/" + tag).then().statusCode(201);
        return index;
    }
}
