package io.cais.distribution;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A single byte range of a blob read ({@code Range: bytes=a-b}, {@code bytes=a-}, {@code bytes=-n}). */
record ByteRange(long offset, long length) {

    private static final Pattern SINGLE = Pattern.compile("^bytes=(\\d{0,18})-(\\d{0,18})$");

    /**
     * The range to serve, or empty to serve the whole blob (no header, or a form this registry does not serve
     * partially, e.g. several ranges — RFC 9110 allows ignoring Range). Unsatisfiable ranges are 416.
     */
    static Optional<ByteRange> parse(String header, long size) {
        if (header == null) {
            return Optional.empty();
        }
        Matcher m = SINGLE.matcher(header.trim());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return Optional.empty();
        }
        long first;
        long last;
        if (m.group(1).isEmpty()) {
            long suffix = Long.parseLong(m.group(2));
            if (suffix == 0) {
                throw unsatisfiable(header, size);
            }
            first = Math.max(0, size - suffix);
            last = size - 1;
        } else {
            first = Long.parseLong(m.group(1));
            last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
            if (!m.group(2).isEmpty() && Long.parseLong(m.group(2)) < first) {
                return Optional.empty();
            }
        }
        if (first >= size) {
            throw unsatisfiable(header, size);
        }
        return Optional.of(new ByteRange(first, last - first + 1));
    }

    String contentRange(long size) {
        return "bytes " + offset + "-" + (offset + length - 1) + "/" + size;
    }

    private static RegistryException unsatisfiable(String header, long size) {
        return new RegistryException(ErrorCode.RANGE_INVALID, "requested range not satisfiable", header)
                .withHeaders(Map.of("Content-Range", "bytes */" + size));
    }
}
