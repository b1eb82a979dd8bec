package io.cais.content;

import java.util.Optional;

/** The digest algorithms Cais accepts: sha256 (required by the spec) and sha512. */
public enum DigestAlgorithm {
    SHA256("sha256", "SHA-256", 64),
    SHA512("sha512", "SHA-512", 128);

    private final String prefix;
    private final String jcaName;
    private final int hexLength;

    DigestAlgorithm(String prefix, String jcaName, int hexLength) {
        this.prefix = prefix;
        this.jcaName = jcaName;
        this.hexLength = hexLength;
    }

    /** The name as it appears in a digest string, e.g. {@code sha256}. */
    public String prefix() {
        return prefix;
    }

    public String jcaName() {
        return jcaName;
    }

    public int hexLength() {
        return hexLength;
    }

    public static Optional<DigestAlgorithm> byPrefix(String prefix) {
        for (DigestAlgorithm algorithm : values()) {
            if (algorithm.prefix.equals(prefix)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }
}
