package io.cais.console;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the console writes sizes, times and digests: short, and the same on every page. */
final class Format {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'");

    private Format() {
    }

    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, value < 10 ? "%.1f %s" : "%.0f %s", value, UNITS[unit]);
    }

    static String time(OffsetDateTime time) {
        return time == null ? "—" : time.withOffsetSameInstant(ZoneOffset.UTC).format(TIME);
    }

    /** {@code sha256:0123456789ab}: enough to tell digests apart on a page; the full one is in the link and title. */
    static String shortDigest(String digest) {
        int colon = digest.indexOf(':');
        return colon < 0 || digest.length() < colon + 13 ? digest : digest.substring(0, colon + 13);
    }
}
