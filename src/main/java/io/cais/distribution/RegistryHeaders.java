package io.cais.distribution;

/** Header names of the distribution API. */
public final class RegistryHeaders {

    public static final String API_VERSION = "Docker-Distribution-API-Version";
    public static final String API_VERSION_VALUE = "registry/2.0";
    public static final String CONTENT_DIGEST = "Docker-Content-Digest";
    public static final String UPLOAD_UUID = "Docker-Upload-UUID";
    public static final String CHUNK_MIN_LENGTH = "OCI-Chunk-Min-Length";
    public static final String SUBJECT = "OCI-Subject";
    public static final String FILTERS_APPLIED = "OCI-Filters-Applied";
    /** Names a tag a push by digest with {@code ?tag=} parameters created (one field per tag). */
    public static final String OCI_TAG = "OCI-Tag";

    private RegistryHeaders() {
    }
}
