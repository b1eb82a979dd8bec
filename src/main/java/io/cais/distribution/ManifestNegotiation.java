package io.cais.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.content.MediaTypes;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a manifest GET/HEAD answers for the client's {@code Accept}, as Distribution does it: the stored manifest
 * when its media type is acceptable (or the client sent no {@code Accept}, or a wildcard); for an index or list the
 * client does not accept, its {@code linux/amd64} child when the client accepts that child's type (old clients that
 * know only image manifests); otherwise nothing acceptable exists. The answer depends only on the stored manifest and
 * the header, so the manifest cache (which holds stored manifests, never answers) needs no Accept in its key.
 */
final class ManifestNegotiation {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestNegotiation() {
    }

    /** The media types the client accepts; empty when it accepts anything (no header, or a wildcard). */
    static Optional<Set<String>> accepted(List<String> acceptHeaders) {
        if (acceptHeaders == null || acceptHeaders.isEmpty()) {
            return Optional.empty();
        }
        Set<String> types = acceptHeaders.stream()
                .flatMap(header -> java.util.Arrays.stream(header.split(",")))
                .filter(range -> !refused(range))
                .map(MediaTypes::essence)
                .filter(type -> type != null && !type.isEmpty())
                .collect(Collectors.toSet());
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

    /** {@code q=0} means "not this one". */
    private static boolean refused(String range) {
        for (String parameter : range.split(";")) {
            String p = parameter.trim().toLowerCase(Locale.ROOT).replace(" ", "");
            if (p.equals("q=0") || p.matches("q=0\\.0*")) {
                return true;
            }
        }
        return false;
    }
}
