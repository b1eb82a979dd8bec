package io.cais.content;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** A digest saved after any number of bytes and restored elsewhere yields the digest of the whole content. */
class ResumableDigestTest {

    private static final byte[] CONTENT = new byte[1000];

    static {
        new Random(42).nextBytes(CONTENT);
    }

    @ParameterizedTest
    @EnumSource(DigestAlgorithm.class)
    void jdkStateSurvivesASaveAndRestoreAtEverySplitPoint(DigestAlgorithm algorithm) throws Exception {
        Digest expected = Digest.of(algorithm, MessageDigest.getInstance(algorithm.jcaName()).digest(CONTENT));
        for (int split = 0; split <= 300; split++) {
            ResumableDigest first = JdkResumableDigest.start(algorithm);
            first.update(CONTENT, 0, split);
            ResumableDigest second = ResumableDigest.restore(algorithm, first.exportState()).orElseThrow();
            assertThat(second.length()).isEqualTo(split);
            second.update(CONTENT, split, CONTENT.length - split);
            assertThat(second.current()).as("split at %d", split).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @EnumSource(DigestAlgorithm.class)
    void bouncyCastleStateSurvivesASaveAndRestoreAtEverySplitPoint(DigestAlgorithm algorithm) throws Exception {
        Digest expected = Digest.of(algorithm, MessageDigest.getInstance(algorithm.jcaName()).digest(CONTENT));
        for (int split = 0; split <= 300; split++) {
            ResumableDigest first = BouncyCastleResumableDigest.start(algorithm);
            first.update(CONTENT, 0, split);
            ResumableDigest second = ResumableDigest.restore(algorithm, first.exportState()).orElseThrow();
            assertThat(second.length()).isEqualTo(split);
            second.update(CONTENT, split, CONTENT.length - split);
            assertThat(second.current()).as("split at %d", split).isEqualTo(expected);
        }
    }

    @Test
    void currentDoesNotDisturbTheRunningState() throws Exception {
        ResumableDigest digest = ResumableDigest.start(DigestAlgorithm.SHA256);
        digest.update(CONTENT, 0, 10);
        Digest prefix = digest.current();
        digest.update(CONTENT, 10, CONTENT.length - 10);
        assertThat(prefix).isEqualTo(Digest.of(DigestAlgorithm.SHA256,
                MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOf(CONTENT, 10))));
        assertThat(digest.current()).isEqualTo(Digest.of(DigestAlgorithm.SHA256,
                MessageDigest.getInstance("SHA-256").digest(CONTENT)));
    }

    @Test
    void aSnapshotOfAnotherAlgorithmIsNotRestored() {
        ResumableDigest digest = ResumableDigest.start(DigestAlgorithm.SHA256);
        assertThat(ResumableDigest.restore(DigestAlgorithm.SHA512, digest.exportState())).isEmpty();
        assertThat(ResumableDigest.restore(DigestAlgorithm.SHA256, new byte[] {9, 0, 1})).isEmpty();
    }

    @Test
    void theFastJdkDigestIsUsedWhenAvailable() {
        assertThat(ResumableDigest.start(DigestAlgorithm.SHA256)).isInstanceOf(JdkResumableDigest.class);
    }
}
