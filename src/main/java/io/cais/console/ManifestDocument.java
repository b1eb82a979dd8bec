package io.cais.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.qute.TemplateData;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What the console shows of a manifest's bytes: an index's children and their platforms, an image's config and
 * layers, annotations. The bytes were validated when they were pushed; anything missing is shown as missing.
 */
final class ManifestDocument {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TemplateData
    public record Descriptor(String mediaType, String digest, String shortDigest, long size, String sizeText, String platform) {
        static Descriptor of(JsonNode node) {
            String digest = node.path("digest").asText();
            long size = node.path("size").asLong();
            return new Descriptor(node.path("mediaType").asText(""), digest, Format.shortDigest(digest), size,
                    Format.bytes(size), ManifestDocument.platform(node.path("platform")));
        }
    }

    @TemplateData
    public record Annotation(String key, String value) {
    }

    private final JsonNode root;

    private ManifestDocument(JsonNode root) {
        this.root = root;
    }

    static ManifestDocument parse(byte[] payload) {
        try {
            return new ManifestDocument(JSON.readTree(payload));
        } catch (IOException e) {
            return new ManifestDocument(JSON.createObjectNode());
        }
    }

    /** The platforms an index's children are for ({@code linux/arm64/v8}), without attestation entries. */
    static List<String> platforms(byte[] indexPayload) {
        List<String> platforms = new ArrayList<>();
        for (Descriptor child : parse(indexPayload).children()) {
            if (!child.platform().isEmpty() && !child.platform().startsWith("unknown/")) {
                platforms.add(child.platform());
            }
        }
        return platforms;
    }

    List<Descriptor> children() {
        return descriptors(root.path("manifests"));
    }

    List<Descriptor> layers() {
        return descriptors(root.path("layers"));
    }

    Descriptor config() {
        return root.has("config") ? Descriptor.of(root.path("config")) : null;
    }

    String artifactType() {
        return root.path("artifactType").asText(null);
    }

    String subject() {
        return root.path("subject").path("digest").asText(null);
    }

    List<Annotation> annotations() {
        List<Annotation> annotations = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = root.path("annotations").fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            annotations.add(new Annotation(field.getKey(), field.getValue().asText()));
        }
        return annotations;
    }

    /** The image config's summary lines (platform, created, entrypoint, command, …), from its JSON bytes. */
    static List<Annotation> configSummary(byte[] config) {
        JsonNode image;
        try {
            image = JSON.readTree(config);
        } catch (IOException e) {
            return List.of();
        }
        List<Annotation> summary = new ArrayList<>();
        add(summary, "platform", platform(image));
        add(summary, "created", image.path("created").asText(""));
        JsonNode run = image.path("config");
        add(summary, "entrypoint", join(run.path("Entrypoint")));
        add(summary, "command", join(run.path("Cmd")));
        add(summary, "working directory", run.path("WorkingDir").asText(""));
        add(summary, "user", run.path("User").asText(""));
        add(summary, "exposed ports", String.join(" ", iterable(run.path("ExposedPorts").fieldNames())));
        for (Iterator<Map.Entry<String, JsonNode>> labels = run.path("Labels").fields(); labels.hasNext(); ) {
            Map.Entry<String, JsonNode> label = labels.next();
            add(summary, "label " + label.getKey(), label.getValue().asText());
        }
        add(summary, "layers (diff ids)", String.valueOf(image.path("rootfs").path("diff_ids").size()));
        return summary;
    }

    private static List<Descriptor> descriptors(JsonNode array) {
        List<Descriptor> descriptors = new ArrayList<>();
        array.forEach(node -> descriptors.add(Descriptor.of(node)));
        return descriptors;
    }

    private static String platform(JsonNode platform) {
        if (!platform.has("os") && !platform.has("architecture")) {
            return "";
        }
        String variant = platform.path("variant").asText("");
        return platform.path("os").asText("?") + "/" + platform.path("architecture").asText("?")
                + (variant.isEmpty() ? "" : "/" + variant);
    }

    private static String join(JsonNode array) {
        List<String> parts = new ArrayList<>();
        array.forEach(node -> parts.add(node.asText()));
        return String.join(" ", parts);
    }

    private static <T> Iterable<T> iterable(Iterator<T> iterator) {
        return () -> iterator;
    }

    private static void add(List<Annotation> summary, String key, String value) {
        if (value != null && !value.isEmpty()) {
            summary.add(new Annotation(key, value));
        }
    }
}
