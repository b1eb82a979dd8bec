package io.cais.content;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;

import java.util.HexFormat;

/**
 * A content digest such as {@code sha256:6c3c…}. The one place digests are parsed, validated and printed.
 * Only lowercase hex is accepted, so a digest has exactly one spelling and can be used as a storage key.
 */
public record Digest(DigestAlgorithm algorithm, String hex) {

    public Digest {
        if (hex.length() != algorithm.hexLength() || !isLowerHex(hex)) {
            throw new IllegalArgumentException("not a " + algorithm.prefix() + " digest: " + hex);
        }
    }

    /** Parses a digest from a request; anything malformed or of an unsupported algorithm is DIGEST_INVALID. */
    public static Digest parse(String value) {
        if (value == null || value.isEmpty()) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "digest is missing");
        }
        int colon = value.indexOf(':');
        if (colon <= 0) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "malformed digest", value);
        }
        DigestAlgorithm algorithm = DigestAlgorithm.byPrefix(value.substring(0, colon))
                .orElseThrow(() -> new RegistryException(ErrorCode.DIGEST_INVALID,
                        "unsupported digest algorithm (sha256 and sha512 are)", value));
        String hex = value.substring(colon + 1);
        if (hex.length() != algorithm.hexLength() || !isLowerHex(hex)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "malformed digest", value);
        }
        return new Digest(algorithm, hex);
    }

    public static Digest of(DigestAlgorithm algorithm, byte[] rawDigest) {
        return new Digest(algorithm, HexFormat.of().formatHex(rawDigest));
    }

    private static boolean isLowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return algorithm.prefix() + ":" + hex;
    }
}
