package io.cais.content;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The digest grammar: {@code algorithm:hex}, sha256 and sha512, lowercase hex of the exact length. */
class DigestTest {

    @Test
    void parsesSha256AndSha512() {
        Digest sha256 = Digest.parse("sha256:" + "a".repeat(64));
        assertThat(sha256.algorithm()).isEqualTo(DigestAlgorithm.SHA256);
        assertThat(sha256.toString()).isEqualTo("sha256:" + "a".repeat(64));
        assertThat(Digest.parse("sha512:" + "0".repeat(128)).algorithm()).isEqualTo(DigestAlgorithm.SHA512);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sha256", "sha256:", ":abc", "sha256:abc", "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "SHA256:aaaa", "sha512:aaaa", "sha256:gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"})
    void rejectsMalformedDigestsAsDigestInvalid(String value) {
        assertThatThrownBy(() -> Digest.parse(value))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
    }

    @Test
    void rejectsUppercaseHexSoEveryDigestHasOneSpelling() {
        assertThatThrownBy(() -> Digest.parse("sha256:" + "A".repeat(64))).isInstanceOf(RegistryException.class);
    }
}
