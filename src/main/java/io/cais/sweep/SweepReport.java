package io.cais.sweep;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What one sweep found and removed, by kind: stored blobs without a {@code blob} row, upload segments without an
 * {@code upload_session} row, and multipart uploads left open in the store. At most {@link #LISTED} items per kind
 * are listed; the counts are complete.
 */
public record SweepReport(boolean dryRun, Instant olderThan, Found strayBlobs, Found orphanUploads,
                          Found staleMultipartUploads) {

    static final int LISTED = 100;

    /** Objects found, removed (0 in a dry run), their bytes, and the first few of them. */
    public static final class Found {
        private long found;
        private long removed;
        private long bytes;
        private final List<String> items = new ArrayList<>();

        void add(String item, long size) {
            found++;
            bytes += size;
            if (items.size() < LISTED) {
                items.add(item);
            }
        }

        void removed() {
            removed++;
        }

        public long getFound() {
            return found;
        }

        public long getRemoved() {
            return removed;
        }

        public long getBytes() {
            return bytes;
        }

        public List<String> getItems() {
            return items;
        }
    }
}
