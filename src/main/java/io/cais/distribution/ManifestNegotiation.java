package io.cais.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.content.MediaTypes;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a manifest GET/HEAD answers for the client's {@code Accept}, as Distribution does it: the stored manifest
 * when its media type is acceptable (or the client sent no {@code Accept}, or a wildcard); for an index or list the
 * client does not accept, its {@code linux/amd64} child when the client accepts that child's type (old clients that
 * know only image manifests); otherwise nothing acceptable exists. The answer depends only on the stored manifest and
 * the header, so the manifest cache (which holds stored manifests, never answers) needs no Accept in its key.
 */
final class ManifestNegotiation {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern Q_ZERO = Pattern.compile("\\s*[qQ]\\s*=\\s*0(\\.0*)?\\s*");

    private ManifestNegotiation() {
    }

    /** The media types the client accepts; empty when it accepts anything (no header, or a wildcard). */
    static Optional<Set<String>> accepted(List<String> acceptHeaders) {
        if (acceptHeaders == null || acceptHeaders.isEmpty()) {
            return Optional.empty();
        }
        Set<String> types = new HashSet<>();
        for (String header : acceptHeaders) {
            for (String range : header.split(",")) {
                String type = refused(range) ? null : MediaTypes.essence(range);
                if (type != null && !type.isEmpty()) {
                    types.add(type);
                }
            }
        }
        if (types.isEmpty() || types.contains("*/*") || types.contains("application/*")) {
            return Optional.empty();
        }
        return Optional.of(types);
    }

    static boolean acceptable(Optional<Set<String>> accepted, String mediaType) {
        return accepted.map(types -> types.contains(mediaType)).orElse(true);
    }

    /** The digest of the index's {@code linux/amd64} child of an accepted media type, if it has one. */
    static Optional<String> defaultChild(byte[] index, Set<String> accepted) {
        try {
            for (JsonNode child : JSON.readTree(index).path("manifests")) {
                JsonNode platform = child.path("platform");
                if ("linux".equals(platform.path("os").asText()) && "amd64".equals(platform.path("architecture").asText())
                        && accepted.contains(child.path("mediaType").asText()) && child.path("digest").isTextual()) {
                    return Optional.of(child.path("digest").asText());
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // stored manifests were validated at push; nothing acceptable in a broken one
        }
    }

    /** {@code q=0} (or {@code q=0.0…}) means "not this one". */
    private static boolean refused(String range) {
        int semicolon = range.indexOf(';');
        if (semicolon < 0) {
            return false; // the common case: no parameters
        }
        for (String parameter : range.substring(semicolon + 1).split(";")) {
            if (Q_ZERO.matcher(parameter).matches()) {
                return true;
            }
        }
        return false;
    }
}
