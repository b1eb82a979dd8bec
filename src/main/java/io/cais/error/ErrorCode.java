package io.cais.error;

/**
 * Error codes of the OCI Distribution Specification (plus the few Distribution added, and the two conflicts of a
 * delete that would leave a manifest with missing content), each with the HTTP status it is answered with.
 */
public enum ErrorCode {
    BLOB_UNKNOWN(404, "blob unknown to registry"),
    /** A blob a manifest of the repository references is not unlinked from under it (Cais). */
    BLOB_REFERENCED(409, "blob referenced by a manifest"),
    BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
    DIGEST_INVALID(400, "provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN(400, "manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID(400, "manifest invalid"),
    MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
    /** A manifest an index of the repository references is not deleted from under it (as GitLab's registry). */
    MANIFEST_REFERENCED(409, "manifest referenced by an index"),
    NAME_INVALID(400, "invalid repository name"),
    NAME_UNKNOWN(404, "repository name not known to registry"),
    SIZE_INVALID(400, "provided length did not match content length"),
    TAG_INVALID(400, "manifest tag did not match URI"),
    RANGE_INVALID(416, "invalid content range"),
    PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
    UNAUTHORIZED(401, "authentication required"),
    DENIED(403, "requested access to the resource is denied"),
    UNSUPPORTED(405, "the operation is unsupported"),
    NOT_FOUND(404, "not found"),
    INVALID_REQUEST(400, "invalid request"),
    CONFLICT(409, "conflict"),
    TOOMANYREQUESTS(429, "too many requests"),
    /** A dependency (PostgreSQL, the blob store) is down or not answering: retry later, nothing is wrong with the request. */
    UNAVAILABLE(503, "service unavailable"),
    UNKNOWN(500, "unknown error");

    private final int status;
    private final String message;

    ErrorCode(int status, String message) {
        this.status = status;
        this.message = message;
    }

    public int status() {
        return status;
    }

    public String message() {
        return message;
    }
}
