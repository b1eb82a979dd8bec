package io.cais.storage;

import java.io.IOException;

/**
 * The upload's stored bytes are not where the caller's layout says: another request extended or published them
 * since the caller read the layout. The caller re-reads the upload's state; nothing was written.
 */
public class UploadConflictException extends IOException {

    public UploadConflictException(String message) {
        super(message);
    }
}
