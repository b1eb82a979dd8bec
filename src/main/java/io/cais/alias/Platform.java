package io.cais.alias;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.content.MediaTypes;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@code linux/<architecture>[/<variant>]} platform, as the suffix of an alias names it. Variants compare as
 * containerd normalizes them: no variant is the architecture's default ({@code arm} v7, {@code arm64} v8,
 * {@code amd64} v1), so {@code pause-arm64} finds an entry listed as {@code arm64/v8} and {@code pause-arm64-v8} one
 * listed as plain {@code arm64}.
 */
public record Platform(String architecture, String variant) {

    /** Go's architecture names (GOARCH), which the OCI image spec uses. */
    static final Set<String> ARCHITECTURES = Set.of("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be",
            "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le",
            "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm");
    private static final Map<String, String> DEFAULT_VARIANTS = Map.of("arm", "v7", "arm64", "v8", "amd64", "v1");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code v} and digits, as variants are written ({@code v7}, {@code v8}). */
    static boolean isVariant(String word) {
        if (word.length() < 2 || word.charAt(0) != 'v') {
            return false;
        }
        for (int i = 1; i < word.length(); i++) {
            if (word.charAt(i) < '0' || word.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Whether an index entry's {@code platform} object is this platform on linux. */
    boolean matches(JsonNode platform) {
        return "linux".equals(platform.path("os").asText())
                && architecture.equals(platform.path("architecture").asText())
                && normalized(variant).equals(normalized(platform.path("variant").asText("")));
    }

    /** The digest of the first image manifest the index lists for this platform. */
    public Optional<String> entryOf(byte[] index) {
        try {
            for (JsonNode entry : JSON.readTree(index).path("manifests")) {
                if (matches(entry.path("platform")) && MediaTypes.isImageManifest(entry.path("mediaType").asText())
                        && entry.path("digest").isTextual()) {
                    return Optional.of(entry.path("digest").asText());
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // stored manifests were validated at push; a broken one lists nothing
        }
    }

    /** Whether the index lists {@code digest} as its image manifest for this platform. */
    public boolean lists(byte[] index, String digest) {
        return entryOf(index).filter(digest::equals).isPresent();
    }

    private String normalized(String value) {
        String written = value == null ? "" : value;
        if (!written.isEmpty() && Character.isDigit(written.charAt(0))) {
            written = "v" + written; // "8" is how some indexes write v8
        }
        return written.isEmpty() ? DEFAULT_VARIANTS.getOrDefault(architecture, "") : written;
    }
}
