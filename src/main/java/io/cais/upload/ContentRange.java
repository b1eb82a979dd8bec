package io.cais.upload;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The inclusive byte range of a chunk, from a PATCH/PUT {@code Content-Range} header. The spec's form is
 * {@code <start>-<end>}; the RFC form {@code bytes <start>-<end>/<total>} is accepted too.
 */
public record ContentRange(long start, long end) {

    private static final Pattern FORM = Pattern.compile("^(?:bytes[ =])?(\\d{1,18})-(\\d{1,18})(?:/(?:\\d{1,18}|\\*))?$");

    public static ContentRange parse(String header) {
        Matcher m = FORM.matcher(header.trim());
        if (!m.matches()) {
            throw new RegistryException(ErrorCode.RANGE_INVALID, "malformed Content-Range", header);
        }
        long start = Long.parseLong(m.group(1));
        long end = Long.parseLong(m.group(2));
        if (end < start) {
            throw new RegistryException(ErrorCode.RANGE_INVALID, "Content-Range ends before it starts", header);
        }
        return new ContentRange(start, end);
    }

    public long length() {
        return end - start + 1;
    }
}
