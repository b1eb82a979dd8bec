package io.cais.content;

import org.jboss.logging.Logger;

import java.util.Arrays;
import java.util.Optional;

/** Chooses the fastest resumable digest this JVM allows, once, and restores snapshots of either kind. */
final class ResumableDigests {

    private static final Logger LOG = Logger.getLogger(ResumableDigests.class);
    static final byte FORMAT_JDK = 1;
    static final byte FORMAT_BOUNCY_CASTLE = 2;

    private static final boolean JDK_USABLE = probeJdk();

    private ResumableDigests() {
    }

    static ResumableDigest start(DigestAlgorithm algorithm) {
        return JDK_USABLE ? JdkResumableDigest.start(algorithm) : BouncyCastleResumableDigest.start(algorithm);
    }

    static Optional<ResumableDigest> restore(DigestAlgorithm algorithm, byte[] state) {
        if (state == null || state.length < 2 || state[1] != algorithm.ordinal()) {
            return Optional.empty();
        }
        return switch (state[0]) {
            case FORMAT_JDK -> JDK_USABLE ? Optional.of(JdkResumableDigest.restore(algorithm, state)) : Optional.empty();
            case FORMAT_BOUNCY_CASTLE -> Optional.of(BouncyCastleResumableDigest.restore(algorithm, state));
            default -> Optional.empty();
        };
    }

    /** True when the JDK's digest internals are reachable and a save/restore round trip hashes correctly. */
    private static boolean probeJdk() {
        try {
            byte[] sample = "resumable digest self-test, longer than one sixty-four byte block of input".getBytes();
            for (DigestAlgorithm algorithm : DigestAlgorithm.values()) {
                ResumableDigest first = JdkResumableDigest.start(algorithm);
                first.update(sample, 0, 17);
                ResumableDigest second = JdkResumableDigest.restore(algorithm, first.exportState());
                second.update(sample, 17, sample.length - 17);
                byte[] expected = java.security.MessageDigest.getInstance(algorithm.jcaName()).digest(sample);
                if (!second.current().equals(Digest.of(algorithm, expected))) {
                    throw new IllegalStateException("round trip produced a different digest");
                }
            }
            return true;
        } catch (Throwable e) {
            LOG.warnf("JDK digest state is not accessible (%s); resumable uploads hash with BouncyCastle, about half"
                    + " as fast. Start the JVM with --add-opens java.base/sun.security.provider=ALL-UNNAMED.", e);
            return false;
        }
    }

    static byte[] header(byte format, DigestAlgorithm algorithm, byte[] body) {
        byte[] out = Arrays.copyOf(new byte[] {format, (byte) algorithm.ordinal()}, 2 + body.length);
        System.arraycopy(body, 0, out, 2, body.length);
        return out;
    }
}
