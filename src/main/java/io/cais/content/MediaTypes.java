package io.cais.content;

import java.util.Set;

/** The manifest media types Cais stores: OCI image manifest and index, Docker schema 2 manifest and list. */
public final class MediaTypes {

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";

    /** Layers a registry need not hold (licensing): Docker's foreign layers and OCI's non-distributable ones. */
    private static final Set<String> NON_DISTRIBUTABLE = Set.of(
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd");
    private static final Set<String> IMAGE_MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
    private static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);

    private MediaTypes() {
    }

    public static boolean isManifest(String mediaType) {
        return IMAGE_MANIFESTS.contains(mediaType) || INDEXES.contains(mediaType);
    }

    public static boolean isImageManifest(String mediaType) {
        return IMAGE_MANIFESTS.contains(mediaType);
    }

    public static boolean isNonDistributable(String mediaType) {
        return NON_DISTRIBUTABLE.contains(mediaType);
    }

    public static boolean isIndex(String mediaType) {
        return INDEXES.contains(mediaType);
    }

    /** The index media types: OCI image index and Docker manifest list. */
    public static Set<String> indexes() {
        return INDEXES;
    }

    /** The media type without parameters ({@code ; charset=…}), lower-cased. */
    public static String essence(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(java.util.Locale.ROOT);
    }
}
