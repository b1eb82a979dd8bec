package io.cais.content;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates a pushed manifest and extracts its references. Strict on purpose: duplicate keys are rejected
 * (two readers must never see two different manifests in the same bytes), and so is a {@code mediaType} that
 * contradicts the request's Content-Type.
 */
public final class ManifestParser {

    static final int MAX_ARTIFACT_TYPE = 255;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ManifestParser() {
    }

    public static ParsedManifest parse(byte[] body, String contentType) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw invalid("manifest is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid("manifest cannot be read");
        }
        if (root == null || !root.isObject()) {
            throw invalid("manifest must be a JSON object");
        }
        String mediaType = mediaType(root, MediaTypes.essence(contentType));
        if (!root.path("schemaVersion").isInt() || root.path("schemaVersion").intValue() != 2) {
            throw invalid("schemaVersion must be 2");
        }
        Digest subject = root.has("subject") ? descriptor(root.get("subject"), "subject").digest() : null;
        String artifactType = text(root, "artifactType");
        String annotations = annotations(root);
        if (MediaTypes.isIndex(mediaType)) {
            List<Descriptor> children = descriptors(root, "manifests");
            return new ParsedManifest(mediaType, artifactType(artifactType), subject, List.of(), children, annotations);
        }
        if (!root.has("config")) {
            throw invalid("an image manifest needs a config descriptor");
        }
        Descriptor config = descriptor(root.get("config"), "config");
        List<Descriptor> blobs = new ArrayList<>();
        blobs.add(config);
        JsonNode layers = root.get("layers");
        if (layers != null) {
            if (!layers.isArray()) {
                throw invalid("layers must be an array");
            }
            for (JsonNode layer : layers) {
                Descriptor descriptor = descriptor(layer, "layer");
                // Only non-distributable (foreign) layers may live elsewhere; any other layer must be here, urls or not.
                if (!MediaTypes.isNonDistributable(descriptor.mediaType())) {
                    blobs.add(descriptor);
                }
            }
        } else if (mediaType.equals(MediaTypes.DOCKER_MANIFEST)) {
            throw invalid("layers are required");
        }
        return new ParsedManifest(mediaType, artifactType(artifactType != null ? artifactType : config.mediaType()),
                subject, List.copyOf(blobs), List.of(), annotations);
    }

    private static String mediaType(JsonNode root, String contentType) {
        String declared = text(root, "mediaType");
        if (contentType != null && MediaTypes.isManifest(contentType)) {
            if (declared != null && !declared.equals(contentType)) {
                throw invalid("mediaType " + declared + " contradicts Content-Type " + contentType);
            }
            return contentType;
        }
        if (declared != null && MediaTypes.isManifest(declared)
                && (contentType == null || contentType.isEmpty() || contentType.equals("application/json")
                || contentType.equals("application/octet-stream"))) {
            return declared;
        }
        throw invalid("unsupported manifest media type: " + (contentType != null ? contentType : declared));
    }

    private static List<Descriptor> descriptors(JsonNode root, String field) {
        JsonNode array = root.get(field);
        if (array == null || !array.isArray()) {
            throw invalid(field + " must be an array");
        }
        List<Descriptor> out = new ArrayList<>();
        for (JsonNode node : array) {
            out.add(descriptor(node, field));
        }
        return List.copyOf(out);
    }

    private static Descriptor descriptor(JsonNode node, String what) {
        if (node == null || !node.isObject()) {
            throw invalid(what + " must be a descriptor object");
        }
        String mediaType = text(node, "mediaType");
        String digest = text(node, "digest");
        JsonNode size = node.get("size");
        if (mediaType == null || digest == null || size == null || !size.canConvertToLong() || !size.isIntegralNumber()
                || size.longValue() < 0) {
            throw invalid(what + " descriptor needs mediaType, digest and a non-negative size");
        }
        try {
            return new Descriptor(mediaType, Digest.parse(digest), size.longValue());
        } catch (RegistryException e) {
            throw invalid(what + " descriptor has an invalid digest: " + digest);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw invalid(field + " must be a string");
        }
        // PostgreSQL cannot store NUL in text: refused here as invalid, rather than failing the insert.
        if (value.textValue().indexOf('\0') >= 0) {
            throw invalid(field + " must not contain a NUL character");
        }
        return value.textValue();
    }

    /** The artifact type is stored in a column of {@value #MAX_ARTIFACT_TYPE} characters (it is a media type). */
    private static String artifactType(String artifactType) {
        if (artifactType != null && artifactType.length() > MAX_ARTIFACT_TYPE) {
            throw invalid("artifactType (or the config's mediaType) is longer than " + MAX_ARTIFACT_TYPE + " characters");
        }
        return artifactType;
    }

    private static String annotations(JsonNode root) {
        JsonNode annotations = root.get("annotations");
        if (annotations == null || annotations.isNull()) {
            return null;
        }
        if (!annotations.isObject()) {
            throw invalid("annotations must be an object");
        }
        try {
            return JSON.writeValueAsString(annotations);
        } catch (JsonProcessingException e) {
            throw invalid("annotations cannot be read");
        }
    }

    private static RegistryException invalid(String message) {
        return new RegistryException(ErrorCode.MANIFEST_INVALID, message);
    }
}
