package io.cais.storage;

import java.io.IOException;

/**
 * The stored upload holds fewer bytes than its row records (a file cut short by a crash or an operator): appending
 * would leave a hole, so the upload cannot continue. The client has to start a new upload.
 */
public final class UploadDamagedException extends IOException {

    private final long recorded;
    private final long stored;

    public UploadDamagedException(String uploadId, long recorded, long stored) {
        super("upload " + uploadId + " has " + stored + " bytes stored but " + recorded + " recorded");
        this.recorded = recorded;
        this.stored = stored;
    }

    public long recorded() {
        return recorded;
    }

    public long stored() {
        return stored;
    }
}
