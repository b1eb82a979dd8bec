package io.cais.error;

import java.util.Map;

/**
 * The one error type of Cais. Carries an OCI error code, a message, an optional detail, the HTTP status
 * (the code's own unless overridden, e.g. 413 for an oversized manifest) and headers the client needs
 * to recover (e.g. {@code Range} on an out-of-order chunk).
 */
public class RegistryException extends RuntimeException {

    private final ErrorCode code;
    private final Object detail;
    private final int status;
    private final Map<String, String> headers;

    public RegistryException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public RegistryException(ErrorCode code, String message, Object detail) {
        this(code, message, detail, code.status(), Map.of());
    }

    public RegistryException(ErrorCode code, String message, Object detail, int status, Map<String, String> headers) {
        super(message, null, false, false);
        this.code = code;
        this.detail = detail;
        this.status = status;
        this.headers = headers;
    }

    public ErrorCode code() {
        return code;
    }

    public Object detail() {
        return detail;
    }

    public int status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public RegistryException withStatus(int newStatus) {
        return new RegistryException(code, getMessage(), detail, newStatus, headers);
    }

    public RegistryException withHeaders(Map<String, String> newHeaders) {
        return new RegistryException(code, getMessage(), detail, status, newHeaders);
    }
}
