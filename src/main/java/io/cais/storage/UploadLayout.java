package io.cais.storage;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the bytes of an unfinished upload are, in order: a list of stored segments. The blob store decides
 * what a segment is (a file, an S3 object); the upload row in PostgreSQL keeps this list, so any replica can
 * continue or finish the upload.
 */
public record UploadLayout(List<Segment> segments) {

    public record Segment(String name, long size) {
    }

    public static UploadLayout empty() {
        return new UploadLayout(List.of());
    }

    public long size() {
        long total = 0;
        for (Segment segment : segments) {
            total += segment.size();
        }
        return total;
    }

    /** The segments of this layout that {@code earlier} does not name. */
    public List<Segment> without(UploadLayout earlier) {
        return segments.stream().filter(segment -> earlier.segments().stream()
                .noneMatch(known -> known.name().equals(segment.name()))).toList();
    }

    /** Serialized as {@code name:size} lines: small, stable, and readable in psql. */
    public String encode() {
        StringBuilder out = new StringBuilder();
        for (Segment segment : segments) {
            out.append(segment.name()).append(':').append(segment.size()).append('\n');
        }
        return out.toString();
    }

    public static UploadLayout decode(String encoded) {
        List<Segment> segments = new ArrayList<>();
        if (encoded != null) {
            for (String line : encoded.split("\n")) {
                if (!line.isEmpty()) {
                    int colon = line.lastIndexOf(':');
                    segments.add(new Segment(line.substring(0, colon), Long.parseLong(line.substring(colon + 1))));
                }
            }
        }
        return new UploadLayout(List.copyOf(segments));
    }
}
