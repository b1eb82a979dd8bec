package io.cais.proxy;

import org.jboss.logging.Logger;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The upstream's blob as the store's upload reads it, copied to the first client as it passes: one read from the
 * upstream serves both, in the upload's buffer, so memory stays bounded whatever the size. A client that goes away
 * is dropped and the store keeps reading: the other clients waiting for the blob get it from the store.
 */
final class TeeToClient extends FilterInputStream {

    private static final Logger LOG = Logger.getLogger(TeeToClient.class);

    private OutputStream client;
    private long copied;
    private IOException upstreamFailure;

    TeeToClient(InputStream upstream, OutputStream client) {
        super(upstream);
        this.client = client;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n;
        try {
            n = in.read(buffer, offset, length);
        } catch (IOException e) {
            upstreamFailure = e;
            throw e;
        }
        if (n > 0 && client != null) {
            try {
                client.write(buffer, offset, n);
                copied += n;
            } catch (IOException gone) {
                LOG.debugf("the client of a cold blob went away after %d bytes; storing the rest", copied);
                client = null;
            }
        }
        return n;
    }

    /** Why reading the upstream failed, when it did (rather than the store or the client). */
    IOException upstreamFailure() {
        return upstreamFailure;
    }

    /** Bytes the client was sent. */
    long copied() {
        return copied;
    }

    @Override
    public long skip(long n) {
        return 0; // every byte goes to both: nothing is skipped
    }
}
