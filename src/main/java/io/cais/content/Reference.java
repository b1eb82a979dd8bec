package io.cais.content;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;

import java.util.regex.Pattern;

/** The {@code <reference>} of a manifest URL: a tag, or a digest when it contains a colon. */
public sealed interface Reference {

    Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

    record Tag(String name) implements Reference {
        @Override
        public String toString() {
            return name;
        }
    }

    record ByDigest(Digest digest) implements Reference {
        @Override
        public String toString() {
            return digest.toString();
        }
    }

    /**
     * For reads and deletes: a name that cannot be a tag names no manifest, which the spec answers with 404
     * MANIFEST_UNKNOWN (only a push of such a tag is TAG_INVALID).
     */
    static Reference lookup(String value) {
        if (value != null && value.indexOf(':') < 0 && !TAG.matcher(value).matches()) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown", value);
        }
        return parse(value);
    }

    static Reference parse(String value) {
        if (value != null && value.indexOf(':') >= 0) {
            return new ByDigest(Digest.parse(value));
        }
        if (value == null || !TAG.matcher(value).matches()) {
            throw new RegistryException(ErrorCode.TAG_INVALID, "invalid tag", value);
        }
        return new Tag(value);
    }
}
