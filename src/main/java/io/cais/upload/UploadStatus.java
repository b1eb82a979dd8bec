package io.cais.upload;

import java.util.UUID;

/** Where an upload stands: what the client needs to continue it. */
public record UploadStatus(String repository, UUID id, long offset) {

    public String location() {
        return "/v2/" + repository + "/blobs/uploads/" + id;
    }

    /** The spec's {@code Range} value: the inclusive range received so far ({@code 0-0} when nothing yet). */
    public String range() {
        return "0-" + Math.max(0, offset - 1);
    }
}
