package io.cais.content;

import org.bouncycastle.crypto.digests.EncodableDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;

import java.util.Arrays;

/** Pure-Java SHA-2 with exportable state: the fallback when the JDK's digest internals are closed. */
final class BouncyCastleResumableDigest implements ResumableDigest {

    private final DigestAlgorithm algorithm;
    private final org.bouncycastle.crypto.Digest digest;
    private long length;

    private BouncyCastleResumableDigest(DigestAlgorithm algorithm, org.bouncycastle.crypto.Digest digest, long length) {
        this.algorithm = algorithm;
        this.digest = digest;
        this.length = length;
    }

    static BouncyCastleResumableDigest start(DigestAlgorithm algorithm) {
        return new BouncyCastleResumableDigest(algorithm,
                algorithm == DigestAlgorithm.SHA256 ? new SHA256Digest() : new SHA512Digest(), 0);
    }

    static BouncyCastleResumableDigest restore(DigestAlgorithm algorithm, byte[] snapshot) {
        long length = java.nio.ByteBuffer.wrap(snapshot, 2, 8).getLong();
        byte[] encoded = Arrays.copyOfRange(snapshot, 10, snapshot.length);
        return new BouncyCastleResumableDigest(algorithm,
                algorithm == DigestAlgorithm.SHA256 ? new SHA256Digest(encoded) : new SHA512Digest(encoded), length);
    }

    @Override
    public DigestAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public void update(byte[] bytes, int offset, int count) {
        digest.update(bytes, offset, count);
        length += count;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public Digest current() {
        org.bouncycastle.crypto.Digest copy = algorithm == DigestAlgorithm.SHA256
                ? new SHA256Digest((SHA256Digest) digest)
                : new SHA512Digest((SHA512Digest) digest);
        byte[] out = new byte[copy.getDigestSize()];
        copy.doFinal(out, 0);
        return Digest.of(algorithm, out);
    }

    @Override
    public byte[] exportState() {
        byte[] encoded = ((EncodableDigest) digest).getEncodedState();
        byte[] body = java.nio.ByteBuffer.allocate(8 + encoded.length).putLong(length).put(encoded).array();
        return ResumableDigests.header(ResumableDigests.FORMAT_BOUNCY_CASTLE, algorithm, body);
    }
}
