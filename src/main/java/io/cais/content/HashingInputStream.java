package io.cais.content;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Feeds every byte read through a running digest, so content is hashed once, while it streams. */
public final class HashingInputStream extends FilterInputStream {

    private final ResumableDigest digest;

    public HashingInputStream(InputStream in, ResumableDigest digest) {
        super(in);
        this.digest = digest;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            digest.update(new byte[] {(byte) b}, 0, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = in.read(buffer, offset, length);
        if (n > 0) {
            digest.update(buffer, offset, n);
        }
        return n;
    }

    @Override
    public long skip(long n) {
        throw new UnsupportedOperationException("hashed streams are read, not skipped");
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
