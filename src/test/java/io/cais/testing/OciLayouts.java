package io.cais.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

/**
 * OCI images built by hand, without a container engine: real gzip-compressed tar layers, an image config whose
 * {@code diff_ids} are the digests of the uncompressed tars, image manifests and indexes, written as OCI image
 * layout directories ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/…}) that {@code skopeo} reads
 * as {@code oci:DIR:tag}. Also reads the layouts skopeo writes back.
 */
public final class OciLayouts {

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String REF_NAME = "org.opencontainers.image.ref.name";

    private static final ObjectMapper JSON = new ObjectMapper();

    private OciLayouts() {
    }

    /** Content-addressed bytes with the media type they are referenced by. */
    public record Blob(String mediaType, byte[] bytes) {

        public String digest() {
            return Blobs.sha256(bytes);
        }

        public int size() {
            return bytes.length;
        }

        /** {@code mediaType}, {@code digest}, {@code size}: the descriptor fields, in the usual order. */
        Map<String, Object> descriptor() {
            Map<String, Object> descriptor = new LinkedHashMap<>();
            descriptor.put("mediaType", mediaType);
            descriptor.put("digest", digest());
            descriptor.put("size", size());
            return descriptor;
        }
    }

    /**
     * A single-platform image. {@code diffIds} are the digests of the uncompressed layer tars, in layer order.
     */
    public record Image(String architecture, Blob config, List<Blob> layers, List<String> diffIds, Blob manifest) {

        /** Config, layers and manifest: every blob of the image. */
        public List<Blob> blobs() {
            List<Blob> all = new ArrayList<>();
            all.add(config);
            all.addAll(layers);
            all.add(manifest);
            return all;
        }
    }

    /** A multi-platform image: an OCI index over single-platform images. */
    public record Index(Blob index, List<Image> images) {

        public Image image(String architecture) {
            return images.stream().filter(image -> image.architecture().equals(architecture)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no " + architecture + " image in the index"));
        }

        /** The index and every blob of every image. */
        public List<Blob> blobs() {
            List<Blob> all = new ArrayList<>();
            images.forEach(image -> all.addAll(image.blobs()));
            all.add(index);
            return all;
        }
    }

    /** A linux image for {@code architecture} with {@code layerCount} distinct, random gzip-compressed tar layers. */
    public static Image image(String architecture, int layerCount) {
        return image(architecture, layerCount, 1024);
    }

    /** {@link #image(String, int)} whose first layer holds {@code firstLayerBytes} random bytes (each next one 4 KiB more). */
    public static Image image(String architecture, int layerCount, int firstLayerBytes) {
        String unique = UUID.randomUUID().toString();
        List<Blob> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (int i = 0; i < layerCount; i++) {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("layer" + i + "/id.txt", (unique + " " + architecture + " layer " + i + "\n").getBytes(StandardCharsets.UTF_8));
            files.put("layer" + i + "/data.bin", Blobs.random(firstLayerBytes + 4096 * i));
            byte[] tar = tar(files);
            diffIds.add(Blobs.sha256(tar));
            layers.add(new Blob(OCI_LAYER_GZIP, gzip(tar)));
        }

        Map<String, Object> rootfs = new LinkedHashMap<>();
        rootfs.put("type", "layers");
        rootfs.put("diff_ids", diffIds);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", architecture);
        config.put("os", "linux");
        config.put("rootfs", rootfs);
        config.put("config", Map.of("Labels", Map.of("io.cais.test", unique)));
        Blob configBlob = new Blob(OCI_CONFIG, json(config));

        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OCI_MANIFEST);
        manifest.put("config", configBlob.descriptor());
        manifest.put("layers", layers.stream().map(Blob::descriptor).toList());
        return new Image(architecture, configBlob, List.copyOf(layers), List.copyOf(diffIds), new Blob(OCI_MANIFEST, json(manifest)));
    }

    /** An OCI index over the images, each entry carrying its linux platform. */
    public static Index index(Image... images) {
        List<Map<String, Object>> manifests = new ArrayList<>();
        for (Image image : images) {
            Map<String, Object> descriptor = image.manifest().descriptor();
            Map<String, Object> platform = new LinkedHashMap<>();
            platform.put("architecture", image.architecture());
            platform.put("os", "linux");
            descriptor.put("platform", platform);
            manifests.add(descriptor);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", OCI_INDEX);
        index.put("manifests", manifests);
        return new Index(new Blob(OCI_INDEX, json(index)), List.of(images));
    }

    /** Writes an image layout whose {@code index.json} names {@code root} as {@code tag}. */
    public static Path write(Path dir, String tag, Blob root, List<Blob> blobs) {
        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            for (Blob blob : blobs) {
                Files.write(blobPath(dir, blob.digest()), blob.bytes());
            }
            Map<String, Object> descriptor = root.descriptor();
            descriptor.put("annotations", Map.of(REF_NAME, tag));
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("schemaVersion", 2);
            index.put("mediaType", OCI_INDEX);
            index.put("manifests", List.of(descriptor));
            Files.write(dir.resolve("index.json"), json(index));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path write(Path dir, String tag, Image image) {
        return write(dir, tag, image.manifest(), image.blobs());
    }

    public static Path write(Path dir, String tag, Index index) {
        return write(dir, tag, index.index(), index.blobs());
    }

    /** The descriptor that the layout's {@code index.json} names {@code tag}. */
    public static JsonNode descriptor(Path dir, String tag) {
        JsonNode index = readJson(readFile(dir.resolve("index.json")));
        for (JsonNode descriptor : index.path("manifests")) {
            if (tag.equals(descriptor.path("annotations").path(REF_NAME).asText(null))) {
                return descriptor;
            }
        }
        throw new AssertionError("no manifest tagged " + tag + " in " + dir.resolve("index.json") + ": " + index);
    }

    /** The bytes of a blob of the layout; fails when the layout does not hold it. */
    public static byte[] blob(Path dir, String digest) {
        Path path = blobPath(dir, digest);
        if (!Files.isRegularFile(path)) {
            throw new AssertionError("layout " + dir + " has no blob " + digest);
        }
        return readFile(path);
    }

    public static boolean hasBlob(Path dir, String digest) {
        return Files.isRegularFile(blobPath(dir, digest));
    }

    public static JsonNode readJson(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path blobPath(Path dir, String digest) {
        if (!digest.startsWith("sha256:")) {
            throw new IllegalArgumentException("not a sha256 digest: " + digest);
        }
        return dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    }

    private static byte[] readFile(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A POSIX ustar archive of regular files (mode 0644, owner 0:0, mtime 0), ended by two zero blocks. */
    public static byte[] tar(Map<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            byte[] content = file.getValue();
            out.writeBytes(ustarHeader(file.getKey(), content.length));
            out.writeBytes(content);
            out.writeBytes(new byte[(512 - content.length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static byte[] ustarHeader(String name, long size) {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length > 100) {
            throw new IllegalArgumentException("tar entry name longer than 100 bytes: " + name);
        }
        byte[] header = new byte[512];
        System.arraycopy(nameBytes, 0, header, 0, nameBytes.length);
        field(header, 100, octal(0644, 8));          // mode
        field(header, 108, octal(0, 8));             // uid
        field(header, 116, octal(0, 8));             // gid
        field(header, 124, octal(size, 12));         // size
        field(header, 136, octal(0, 12));            // mtime
        header[156] = '0';                           // typeflag: regular file
        field(header, 257, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        field(header, 263, "00".getBytes(StandardCharsets.US_ASCII));
        field(header, 265, "root".getBytes(StandardCharsets.US_ASCII));  // uname
        field(header, 297, "root".getBytes(StandardCharsets.US_ASCII));  // gname
        // The checksum is computed with its own field filled with spaces, then written as 6 octal digits, NUL, space.
        for (int i = 148; i < 156; i++) {
            header[i] = ' ';
        }
        long checksum = 0;
        for (byte b : header) {
            checksum += b & 0xff;
        }
        byte[] digits = String.format("%06o", checksum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, header, 148, 6);
        header[154] = 0;
        header[155] = ' ';
        return header;
    }

    /** {@code width - 1} zero-padded octal digits followed by NUL. */
    private static byte[] octal(long value, int width) {
        String digits = Long.toOctalString(value);
        if (digits.length() > width - 1) {
            throw new IllegalArgumentException(value + " does not fit a tar field of " + width + " bytes");
        }
        return ("0".repeat(width - 1 - digits.length()) + digits + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    private static void field(byte[] header, int offset, byte[] value) {
        System.arraycopy(value, 0, header, offset, value.length);
    }

    public static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
